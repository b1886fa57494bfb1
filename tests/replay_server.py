"""A small real OpenAI-compatible HTTP server that answers with stored model outputs.

For end-to-end tests of the remote engine and its profiles without a model: it listens on
127.0.0.1, serves ``GET /v1/models`` (the served model name, for profile detection) and
``POST /v1/chat/completions``, records every request (tests check the prompt bytes, the chat
order and the image size) and answers with the first rule whose ``match`` occurs in the request's
text (or the default answer). A rule with several answers gives them in turn (a "length" answer
then a "stop" one exercises a retry ladder).

In a test::

    with ReplayServer([Answer(text)], model="allenai/olmOCR-2-7B-1025") as server:
        run(["docparse", "convert", pdf, "--engine", "remote", "--server", server.url, ...])
        server.requests[0]["messages"]

From a shell (ports 18200-18299 are h10's while developing)::

    python tests/replay_server.py --port 18201 --model reducto/RolmOCR --answer out.md \\
        --rule "Parse the table=table.html"
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_BODY = 64 * 1024 * 1024  # a page image as base64 PNG is a few MB at most


@dataclass
class Answer:
    """What to answer: ``texts`` in turn (the last repeats), with their finish reasons."""

    text: str | list[str]
    finish_reason: str | list[str] = "stop"
    match: str | None = None  # a substring of the request's text parts; None matches anything
    status: int = 200  # an HTTP error status instead of an answer (fault tests)
    _served: int = field(default=0, repr=False)

    def next(self) -> tuple[str, str]:
        texts = self.text if isinstance(self.text, list) else [self.text]
        reasons = self.finish_reason if isinstance(self.finish_reason, list) else [self.finish_reason] * len(texts)
        i = min(self._served, len(texts) - 1)
        self._served += 1
        return texts[i], reasons[min(i, len(reasons) - 1)]


def request_text(body: dict[str, Any]) -> str:
    """All text parts of a chat request (system and user), joined."""
    out = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "\n".join(out)


def request_image(body: dict[str, Any]):  # noqa: ANN201 - PIL.Image
    """The first image of a chat request, decoded."""
    from PIL import Image

    for message in body.get("messages") or []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = part["image_url"]["url"]
                return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    return None


def user_order(body: dict[str, Any]) -> list[str]:
    """The part types of the user turn in order, e.g. ["text", "image_url"]."""
    for message in body.get("messages") or []:
        if message.get("role") == "user" and isinstance(message.get("content"), list):
            return [p.get("type") for p in message["content"] if isinstance(p, dict)]
    return []


class ReplayServer:
    """Answers chat completions from ``answers``; ``requests`` holds every body received."""

    def __init__(self, answers: list[Answer], model: str = "replay", port: int = 0, host: str = "127.0.0.1",
                 delay: float = 0.0):
        self.answers = answers
        self.model = model
        self.delay = delay  # seconds each chat answer takes (to see which requests overlap)
        self.requests: list[dict[str, Any]] = []
        #: per request (same index as ``requests``): the bodies in flight when it arrived, itself included
        self.in_flight_at_arrival: list[list[dict[str, Any]]] = []
        self._in_flight: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "ReplayServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def choose(self, body: dict[str, Any]) -> Answer | None:
        text = request_text(body)
        for answer in self.answers:
            if answer.match is None or answer.match in text:
                return answer
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                return

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                elif self.path.rstrip("/").endswith("/health") or self.path == "/health":
                    self._send(200, {"status": "ok"})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._send(413, {"error": {"message": "request too large"}})
                    return
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "body is not JSON"}})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                with server._lock:
                    server.requests.append(body)
                    server._in_flight.append(body)
                    server.in_flight_at_arrival.append(list(server._in_flight))
                    answer = server.choose(body)
                    text, finish = answer.next() if answer else ("", "stop")
                try:
                    time.sleep(server.delay)
                finally:
                    with server._lock:
                        server._in_flight.remove(body)
                if answer is not None and answer.status != 200:
                    self._send(answer.status, {"error": {"message": "replay fault"}})
                    return
                self._send(200, {
                    "id": f"replay-{len(server.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", server.model),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": finish}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": len(text.split()), "total_tokens": 0},
                })

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Replay stored model outputs as an OpenAI-compatible server.")
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument("--model", default="replay", help="served model name (GET /v1/models)")
    parser.add_argument("--answer", type=Path, help="default answer: a file with a stored model output")
    parser.add_argument("--rule", action="append", default=[], metavar="MATCH=FILE",
                        help="answer FILE to requests whose text contains MATCH (first rule wins)")
    args = parser.parse_args(argv)
    answers = []
    for rule in args.rule:
        match, _, path = rule.partition("=")
        answers.append(Answer(Path(path).read_text(encoding="utf-8"), match=match))
    if args.answer:
        answers.append(Answer(args.answer.read_text(encoding="utf-8")))
    server = ReplayServer(answers, model=args.model, port=args.port)
    print(f"replay server on {server.url} (model {args.model!r}); Ctrl-C stops it", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()


if __name__ == "__main__":
    main()
