"""Qwen2.5-VL tokenizer: a checkpoint's tokenizer.json through `tokenizers`, the chat template,
`<|image_pad|>` expansion and a streaming UTF-8 decoder."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from tokenizers import Tokenizer

from .errors import CheckpointError

# The real Qwen2 tokenizer.json is 11 MB; anything past this is not one (and would be parsed whole).
MAX_TOKENIZER_BYTES = 256 * 2**20


class TokenizerFileError(CheckpointError):
    """tokenizer.json is corrupt, too large, or lacks the Qwen2.5-VL special tokens."""


DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
VISION_START = "<|vision_start|>"
VISION_END = "<|vision_end|>"
IMAGE_PAD = "<|image_pad|>"
VIDEO_PAD = "<|video_pad|>"
IMAGE_PLACEHOLDER = VISION_START + IMAGE_PAD + VISION_END
VIDEO_PLACEHOLDER = VISION_START + VIDEO_PAD + VISION_END


def _is_image_item(item: Mapping[str, Any]) -> bool:
    return item.get("type") == "image" or "image" in item or "image_url" in item


def _is_video_item(item: Mapping[str, Any]) -> bool:
    return item.get("type") == "video" or "video" in item


def render_chat(
    messages: Sequence[Mapping[str, Any]],
    add_generation_prompt: bool = True,
    add_vision_id: bool = False,
) -> str:
    """The Qwen2.5-VL chat template (checkpoint chat_template, reference §3.8) in plain Python.

    `messages` are `{"role", "content"}` with content a string or a list of items: `{"type": "text",
    "text": ...}`, `{"type": "image"}` (or any dict with an "image"/"image_url" key), `{"type": "video"}`.
    Each image becomes one `<|vision_start|><|image_pad|><|vision_end|>`; expand pads after encoding.
    """
    out: list[str] = []
    images = videos = 0
    for index, message in enumerate(messages):
        if index == 0 and message["role"] != "system":
            out.append(f"{IM_START}system\n{DEFAULT_SYSTEM_PROMPT}{IM_END}\n")
        out.append(f"{IM_START}{message['role']}\n")
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            for item in content:
                if _is_image_item(item):
                    images += 1
                    out.append((f"Picture {images}: " if add_vision_id else "") + IMAGE_PLACEHOLDER)
                elif _is_video_item(item):
                    videos += 1
                    out.append((f"Video {videos}: " if add_vision_id else "") + VIDEO_PLACEHOLDER)
                elif "text" in item:
                    out.append(item["text"])
        out.append(f"{IM_END}\n")
    if add_generation_prompt:
        out.append(f"{IM_START}assistant\n")
    return "".join(out)


def user_messages(
    content: Sequence[Any], system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
) -> list[dict[str, Any]]:
    """Messages for one user turn: strings are text, anything else (an image) is an image slot."""
    items = [{"type": "text", "text": c} if isinstance(c, str) else {"type": "image"} for c in content]
    messages: list[dict[str, Any]] = []
    if system_prompt is not None:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": items})
    return messages


class StreamDecoder:
    """Turns token ids into text as they come, emitting only complete UTF-8 characters.

    Works on bytes: each id maps to its byte string, and an incremental UTF-8 decoder holds back an
    unfinished multi-byte character until its last byte arrives.
    """

    def __init__(self, tokenizer: "QwenTokenizer", skip_special_tokens: bool = True):
        self._tokenizer = tokenizer
        self._skip = skip_special_tokens
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, ids: int | Iterable[int]) -> str:
        """Add one or more ids; returns the text completed by them (maybe empty)."""
        if isinstance(ids, int):
            ids = [ids]
        data = b"".join(self._tokenizer.token_bytes(i, self._skip) for i in ids)
        return self._utf8.decode(data)

    def flush(self) -> str:
        """Whatever is still held back (an incomplete character becomes U+FFFD)."""
        return self._utf8.decode(b"", final=True)


class QwenTokenizer:
    """Qwen2/Qwen2.5 byte-level BPE tokenizer with the Qwen2.5-VL special tokens."""

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self.endoftext_id = self._require(ENDOFTEXT)
        self.im_start_id = self._require(IM_START)
        self.im_end_id = self._require(IM_END)
        self.vision_start_id = self._require(VISION_START)
        self.vision_end_id = self._require(VISION_END)
        self.image_pad_id = self._require(IMAGE_PAD)
        self.video_pad_id = self._require(VIDEO_PAD)
        self.pad_id = self.endoftext_id  # Qwen2 pads with <|endoftext|>
        self.eos_ids = [self.im_end_id, self.endoftext_id]
        added = tokenizer.get_added_tokens_decoder()  # id -> AddedToken
        self.special_ids = frozenset(i for i, tok in added.items() if tok.special)
        self._added_content = {i: tok.content for i, tok in added.items()}
        self._byte_decoder = _unicode_to_bytes()
        self._bytes_cache: dict[int, bytes] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> "QwenTokenizer":
        """Load a tokenizer.json; ``TokenizerFileError`` (one line naming the file) when it is unusable."""
        file = Path(path)
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            raise FileNotFoundError(f"no tokenizer.json at {file}") from None
        if size > MAX_TOKENIZER_BYTES:
            raise TokenizerFileError(f"{file} is {size:,} bytes, more than a tokenizer.json can sensibly be "
                                     f"({MAX_TOKENIZER_BYTES:,})")
        try:
            tokenizer = Tokenizer.from_file(str(file))
        except Exception as exc:  # the Rust side raises a bare Exception for any parse error
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise TokenizerFileError(f"{file} is not a valid tokenizer file: {first}") from None
        try:
            return cls(tokenizer)
        except ValueError as exc:
            raise TokenizerFileError(f"{file}: {exc}") from None

    @classmethod
    def from_dir(cls, path: str | Path) -> "QwenTokenizer":
        """Load `tokenizer.json` from a checkpoint folder."""
        file = Path(path) / "tokenizer.json"
        if not file.is_file():
            raise FileNotFoundError(f"no tokenizer.json in {path}")
        return cls.from_file(file)

    def _require(self, token: str) -> int:
        token_id = self.tokenizer.token_to_id(token)
        if token_id is None:
            raise ValueError(f"tokenizer has no {token}: not a Qwen2.5-VL tokenizer")
        return token_id

    @property
    def vocab_size(self) -> int:
        """Number of ids, added tokens included (the embedding table may be larger)."""
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        """Ids for `text`; special-token strings in it are recognised (as transformers does)."""
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def token_bytes(self, token_id: int, skip_special_tokens: bool = True) -> bytes:
        """The raw bytes one id stands for (b"" for a skipped special token)."""
        if token_id in self._added_content:
            if skip_special_tokens and token_id in self.special_ids:
                return b""
            return self._added_content[token_id].encode("utf-8")
        cached = self._bytes_cache.get(token_id)
        if cached is None:
            piece = self.tokenizer.id_to_token(token_id)
            if piece is None:
                raise ValueError(f"unknown token id {token_id}")
            cached = bytes(self._byte_decoder[c] for c in piece)
            self._bytes_cache[token_id] = cached
        return cached

    def stream_decoder(self, skip_special_tokens: bool = True) -> StreamDecoder:
        return StreamDecoder(self, skip_special_tokens)

    def expand_image_pads(self, ids: Sequence[int], image_token_counts: Sequence[int]) -> list[int]:
        """Replace the i-th `<|image_pad|>` by `image_token_counts[i]` copies."""
        out: list[int] = []
        image = 0
        for token_id in ids:
            if token_id == self.image_pad_id:
                if image >= len(image_token_counts):
                    raise ValueError("more <|image_pad|> tokens than images")
                out.extend([self.image_pad_id] * int(image_token_counts[image]))
                image += 1
            else:
                out.append(token_id)
        if image != len(image_token_counts):
            raise ValueError(f"{image} <|image_pad|> tokens for {len(image_token_counts)} images")
        return out

    def encode_chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        image_token_counts: Sequence[int] = (),
        add_generation_prompt: bool = True,
    ) -> list[int]:
        """Render the chat template, encode, and expand each image's pad to its token count."""
        ids = self.encode(render_chat(messages, add_generation_prompt=add_generation_prompt))
        return self.expand_image_pads(ids, image_token_counts)

    def encode_prompt(
        self,
        content: Sequence[Any],
        image_token_counts: Sequence[int] = (),
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
    ) -> list[int]:
        """One user turn (text and images in the given order) plus the generation prompt.

        `content`: strings are text, any other item is an image slot; `system_prompt=None` leaves
        the template's own default in place.
        """
        return self.encode_chat(user_messages(content, system_prompt), image_token_counts)


def _unicode_to_bytes() -> dict[str, int]:
    from .tiktoken_convert import bytes_to_unicode

    return {char: byte for byte, char in bytes_to_unicode().items()}
