"""A profile's ``Request`` as an OpenAI chat-completions payload, and the answer back as a ``Reply``.

The image goes as a lossless PNG data URL at exactly the size the profile rendered (a server's
processor then sees multiples of 28 and keeps them, so boxes stay in our pixel space). The order
of the text and image parts and the system turn are the profile's; ``repetition_penalty`` is a
vLLM/SGLang extension sent only when the family uses one.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from docparse.profiles.base import Reply, Request

#: OpenAI finish_reason -> docparse stop reason.
_FINISH = {"stop": "eos", "length": "length", "eos": "eos", "end_turn": "eos"}


def image_data_url(image: Any) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # lossless either way; level 1 is ~5x faster
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def chat_payload(request: Request, model: str, max_tokens: int | None = None) -> dict[str, Any]:
    """The JSON body of ``POST /v1/chat/completions`` for one request."""
    part = {"type": "image_url", "image_url": {"url": image_data_url(request.image)}}
    gen = request.generation
    body: dict[str, Any] = {
        "model": model,
        "messages": request.messages(part),
        "max_tokens": int(max_tokens or gen.max_tokens),
        "temperature": float(gen.temperature),
    }
    if gen.top_p is not None:
        body["top_p"] = float(gen.top_p)
    if gen.repetition_penalty is not None:
        body["repetition_penalty"] = float(gen.repetition_penalty)
    return body


def reply_from_response(data: Any) -> Reply:
    """A chat-completions response -> ``Reply`` (a malformed one is an error reply, not a raise)."""
    try:
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        finish = str(choice.get("finish_reason") or "stop")
    except (KeyError, IndexError, TypeError, AttributeError):
        return Reply(text="", stop_reason="error", error="the server's answer has no choices[0].message")
    if not isinstance(text, str):
        return Reply(text="", stop_reason="error", error="the server's answer content is not text")
    return Reply(text=text, stop_reason=_FINISH.get(finish, finish))
