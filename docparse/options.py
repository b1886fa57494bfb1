"""Conversion options: one typed place, with the descriptions the CLI help and API docs use."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from docparse.errors import OptionsError
from docparse.geometry import DEFAULT_DPI, DEFAULT_MAX_PIXELS, MIN_PIXELS

ENGINES = ("auto", "layout", "vlm", "remote")
FORMATS = ("md", "html", "json", "qwenvl")
OCR_MODES = ("auto", "always", "never")
VERIFY_MODES = ("auto", "off", "text", "ocr")


def _opt(default: Any, help: str, repr: bool = True, **kw: Any) -> Any:
    return field(default=default, repr=repr, metadata={"help": help, **kw})


#: Options only the remote engine reads: they change no other engine's output (nor its resume key).
REMOTE_ONLY = ("temperature", "retry_temperatures", "repetition_penalty")


@dataclass
class ConvertOptions:
    engine: str = _opt("auto", "Engine: 'layout' (PDF text layer + layout model + OCR, no weights), "
                       "'vlm' (Qwen2.5-VL in-process), 'remote' (an OpenAI-compatible server such as vLLM or "
                       "SGLang), 'auto' (remote when a server is configured, else vlm when a model is, else layout).")
    model: str | None = _opt(None, "vlm: Qwen2.5-VL checkpoint folder or Hugging Face model id in the local cache "
                             "(default: $DOCPARSE_MODEL). remote: the served model name (default: the first "
                             "one the server lists).")
    pages: str | None = _opt(None, "Pages to convert, 1-based: '1-3,7', '10-'. Default: all.")
    password: str | None = _opt(None, "Password of an encrypted PDF.")
    dpi: float = _opt(DEFAULT_DPI, "Render resolution before fitting to the model's pixel budget "
                      "(scanned pages use their own image resolution).")
    min_pixels: int = _opt(MIN_PIXELS, "Smallest model-input image, in pixels.")
    max_pixels: int = _opt(DEFAULT_MAX_PIXELS, "Largest model-input image, in pixels (28*28 per image token).")
    ocr: str = _opt("auto", "OCR with Tesseract: 'auto' (pages without a text layer), 'always', 'never'.")
    ocr_language: str = _opt("eng", "Tesseract language(s), e.g. 'eng' or 'eng+deu'.")
    passes: bool = _opt(True, "Run the document passes (headers/footers, joined paragraphs, captions, tables).")
    # vlm engine
    max_new_tokens: int = _opt(8192, "vlm: most tokens generated per page.")
    batch_size: int = _opt(8, "vlm: most pages decoded at once (continuous batching: a finished page's "
                           "place goes to the next page at once).")
    kv_cache_gb: float | None = _opt(None, "vlm: KV cache budget in GiB (default: 80% of free GPU memory, "
                                     "2 GiB on CPU); pages wait or are recomputed when it is full.")
    device: str | None = _opt(None, "vlm: 'cuda', 'cpu' ... (default: CUDA when present).")
    dtype: str | None = _opt(None, "vlm: 'bfloat16', 'float16' or 'float32' (default: bf16 on CUDA, fp32 on CPU).")
    # checkpoint profiles (vlm and remote engines)
    profile: str = _opt("auto", "Checkpoint profile: prompt, chat order, image size, settings and reader of a model "
                        "family (olmocr, nanonets, rolmocr, infinity-parser, dolphin, monkeyocr, dotsocr, "
                        "qwen-spotting, qwenvl-html); 'auto' detects it from the model. See `docparse profiles`.")
    prompt: str | None = _opt(None, "Another published prompt of the profile (e.g. olmocr: v3; infinity-parser: "
                              "cli). Default: the profile's own choice.")
    # hybrid verification of model engines (docparse/verify)
    verify: str = _opt("auto", "Model engines: check each block against the page's words and repair it: 'auto' "
                       "(pages with a usable text layer), 'text' (same, and say so on pages without one), "
                       "'ocr' (Tesseract's words on the other pages too), 'off'.")
    samples: int = _opt(1, "Model engines: answers asked per page; the one agreeing best with the page's words "
                        "is kept (N times the generation cost).")
    verify_retries: int = _opt(2, "Model engines: a page cut short, looping or disagreeing with its words is asked "
                               "again up to this many times at rising temperature, then read by the layout engine.")

    # remote engine
    server: str | None = _opt(None, "remote: base URL of an OpenAI-compatible server, ending in /v1 "
                              "(default: $DOCPARSE_SERVER).")
    api_key: str | None = _opt(None, "remote: API key sent as a bearer token (default: $DOCPARSE_API_KEY); "
                               "never printed, logged or written.", repr=False)
    concurrency: int = _opt(16, "remote: requests in flight (pages of the following documents too).")
    timeout: float = _opt(600.0, "remote: seconds to wait for one answer (connecting has its own 10 s limit).")
    retries: int = _opt(3, "remote: retries of a request after a connection error, a timeout, 429 or 5xx "
                        "(exponential backoff with jitter, honouring Retry-After).")
    temperature: float = _opt(0.0, "remote: sampling temperature of the first request (0: greedy, like vlm).")
    retry_temperatures: str = _opt("0.2,0.5", "remote: a page cut by the token limit or a loop is asked again "
                                   "at these temperatures, in turn, until one ends normally ('' = never).")
    repetition_penalty: float = _opt(1.05, "remote: repetition_penalty sent to the server (the checkpoints' own "
                                     "1.05, as vlm uses; 1 = not sent).")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.engine not in ENGINES:
            raise OptionsError(f"unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}")
        if self.ocr not in OCR_MODES:
            raise OptionsError(f"unknown ocr mode {self.ocr!r}: choose one of {', '.join(OCR_MODES)}")
        if not (18 <= float(self.dpi) <= 1200):
            raise OptionsError(f"dpi must be between 18 and 1200, got {self.dpi}")
        if self.min_pixels < 28 * 28 or self.max_pixels < self.min_pixels:
            raise OptionsError(
                f"need 784 <= min_pixels <= max_pixels, got min_pixels={self.min_pixels}, max_pixels={self.max_pixels}"
            )
        if self.profile != "auto":
            from docparse.profiles import get_profile

            profile = get_profile(self.profile)
            if self.prompt is not None:
                profile.prompt(self.prompt)
        if self.verify not in VERIFY_MODES:
            raise OptionsError(f"unknown verify mode {self.verify!r}: choose one of {', '.join(VERIFY_MODES)}")
        if not (1 <= int(self.samples) <= 16):
            raise OptionsError(f"samples must be between 1 and 16, got {self.samples}")
        if not (0 <= int(self.verify_retries) <= 8):
            raise OptionsError(f"verify_retries must be between 0 and 8, got {self.verify_retries}")
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise OptionsError("max_new_tokens and batch_size must be at least 1")
        if self.concurrency < 1 or self.retries < 0 or not self.timeout > 0:
            raise OptionsError("need concurrency >= 1, retries >= 0 and timeout > 0")
        if not (0.0 <= self.temperature <= 2.0) or self.repetition_penalty <= 0:
            raise OptionsError("need 0 <= temperature <= 2 and repetition_penalty > 0")
        self.retry_ladder  # validates the temperatures
        if self.kv_cache_gb is not None and not (0 < float(self.kv_cache_gb) < 1e6):
            raise OptionsError(f"kv_cache_gb must be a positive number of GiB, got {self.kv_cache_gb}")

    @property
    def retry_ladder(self) -> tuple[float, ...]:
        """``retry_temperatures`` as numbers: '0.2,0.5' -> (0.2, 0.5); '' or 'none' -> ()."""
        spec = (self.retry_temperatures or "").strip().lower()
        if spec in ("", "none", "off"):
            return ()
        try:
            ladder = tuple(float(t) for t in spec.split(",") if t.strip())
        except ValueError:
            raise OptionsError(f"retry temperatures must be numbers like '0.2,0.5', got {self.retry_temperatures!r}") from None
        if any(not (0.0 <= t <= 2.0) for t in ladder):
            raise OptionsError(f"retry temperatures must be between 0 and 2, got {self.retry_temperatures!r}")
        return ladder

    @property
    def resolved_server(self) -> str | None:
        return self.server or os.environ.get("DOCPARSE_SERVER") or None

    @property
    def resolved_api_key(self) -> str | None:
        return self.api_key or os.environ.get("DOCPARSE_API_KEY") or None

    def tokens_for(self, profile_default: int) -> int:
        """``--max-new-tokens`` when given, else the profile's own limit (olmOCR 8000, dots.ocr 16384)."""
        unset = self.max_new_tokens == ConvertOptions.__dataclass_fields__["max_new_tokens"].default
        return profile_default if unset else self.max_new_tokens

    @property
    def resolved_model(self) -> str | None:
        return self.model or os.environ.get("DOCPARSE_MODEL") or None

    @property
    def resolved_engine(self) -> str:
        if self.engine == "auto":
            if self.resolved_server:
                return "remote"
            return "vlm" if self.resolved_model else "layout"
        return self.engine

    def key(self) -> str:
        """A short hash of everything that changes the output (resume: same content + same key = skip)."""
        ignored = ("password", "device", "batch_size", "server", "api_key", "concurrency", "timeout", "retries",
                   "kv_cache_gb")
        if self.resolved_engine != "remote":
            ignored += REMOTE_ONLY
        d = {k: v for k, v in asdict(self).items() if k not in ignored}
        d["engine"] = self.resolved_engine
        d["model"] = self.resolved_model
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "ConvertOptions":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise OptionsError(f"unknown option(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        return cls(**kwargs)


def parse_formats(spec: str | list[str] | tuple[str, ...]) -> list[str]:
    """'md,html' -> ['md', 'html'] with validation; 'all' -> every format."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item == "all":
            return list(FORMATS)
        if item == "markdown":
            item = "md"
        if item not in FORMATS:
            raise OptionsError(f"unknown format {item!r}: choose from {', '.join(FORMATS)}")
        if item not in out:
            out.append(item)
    if not out:
        raise OptionsError("no output format given")
    return out
