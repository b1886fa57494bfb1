"""What a profile is: the request a checkpoint family expects and the reader of its answer.

A ``Profile`` bundles, for one family of Qwen2.5-VL document checkpoints (or a dialect served
remotely), everything that differs between them:

- the prompt(s): the exact user text, and which alternatives a family published (``--prompt``);
- the chat order: text before or after the image, and the system turn (an explicit one, or
  ``None`` for the chat template's default ``You are a helpful assistant.``);
- the image rule: how large the page image is (longest side, dpi, pixel limits);
- the generation settings: temperature, token limit and the temperature ladder used when the
  answer stops without its end token;
- the reader: raw answer -> docparse blocks (never raises).

Multi-request families (Dolphin's two stages, MonkeyOCR's crops, olmOCR's rotation retry) run as
a *page job*: a generator that yields lists of ``Request`` and receives the ``Reply`` list for
each (see ``jobs.py``), so an engine can batch the requests of many pages at every round.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Generator

from docparse.geometry import PageSpace

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from docparse.document import Block
    from docparse.engines.base import PageInput, PageOutput

#: The Qwen2.5-VL chat template's own system turn (used when a request's system is None).
TEMPLATE_SYSTEM = "You are a helpful assistant."

TEXT_FIRST = "text-first"
IMAGE_FIRST = "image-first"


@dataclass(frozen=True)
class ImageRule:
    """How large the image sent for a page is.

    ``longest_side``: render the page so its longest side has this many pixels (olmOCR's 1288).
    ``dpi``: render at this resolution (Infinity-Parser's and dots.ocr's 200 dpi).
    Neither: docparse's own choice for the page (``--dpi``, a scan's own resolution).
    ``max_longest_side``: shrink when the longest side is larger (Dolphin's 1600).
    Then ``smart_resize`` (factor 28) into ``[min_pixels, max_pixels]``, as the processor does.
    """

    longest_side: int | None = None
    dpi: float | None = None
    max_longest_side: int | None = None
    min_pixels: int | None = None  # None: docparse's --min-pixels
    max_pixels: int | None = None  # None: docparse's --max-pixels
    note: str = ""


@dataclass(frozen=True)
class Generation:
    """Sampling settings of a family. ``ladder``: temperatures of the retries after an answer
    that stopped without its end token (olmOCR: 0.1 -> 1.0); empty: no retry."""

    temperature: float = 0.0
    max_tokens: int = 4096
    top_p: float | None = None
    repetition_penalty: float | None = None
    ladder: tuple[float, ...] = ()


@dataclass(frozen=True)
class PromptChoice:
    """One published prompt of a family; ``text`` is byte-exact."""

    name: str
    text: str
    why: str
    system: str | None | bool = False  # False: the profile's system turn; else this one (None: template default)


@dataclass
class Request:
    """One chat request: a user turn with one image and one text, in the family's order."""

    prompt: str
    image: "Image.Image"
    system: str | None = None  # None: the chat template's default system turn
    order: str = TEXT_FIRST
    generation: Generation = field(default_factory=Generation)
    kind: str = "page"  # "page", "layout", "text", "table", "formula", "code" (logs, replay, tests)

    @property
    def text_first(self) -> bool:
        return self.order == TEXT_FIRST

    def messages(self, image_part: Any) -> list[dict[str, Any]]:
        """Chat messages (OpenAI layout) with ``image_part`` as the image item."""
        text_part = {"type": "text", "text": self.prompt}
        content = [text_part, image_part] if self.text_first else [image_part, text_part]
        out: list[dict[str, Any]] = []
        if self.system is not None:
            out.append({"role": "system", "content": self.system})
        out.append({"role": "user", "content": content})
        return out

    def with_temperature(self, temperature: float) -> "Request":
        return replace(self, generation=replace(self.generation, temperature=temperature))


@dataclass
class Reply:
    """An engine's answer to one ``Request``. ``stop_reason``: "eos" (ended by itself), "length"
    (token limit), "loop" (loop guard), "error" (the request failed; ``error`` says why)."""

    text: str
    stop_reason: str = "eos"
    error: str | None = None


@dataclass
class Reading:
    """What a reader made of an answer: blocks (page points), warnings, page facts."""

    blocks: list["Block"] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # page facts (olmOCR front matter ...)
    truncated: bool = False


Reader = Callable[[str, PageSpace, int, str], Reading]
PageJob = Generator[list[Request], list[Reply], "PageOutput"]


@dataclass
class PageContext:
    """What a page job gets: the page, the options that matter, and helpers engines provide."""

    page: "PageInput"
    source: str  # engine name written on the blocks
    min_pixels: int
    max_pixels: int
    dpi: float
    layout: Callable[["PageInput"], "PageOutput"] | None = None  # the layout engine (MonkeyOCR)
    align: bool = True  # give boxes to dialects without boxes (text layer / OCR words)


@dataclass(frozen=True)
class Profile:
    """One checkpoint family's request and reader (see the module docstring)."""

    name: str
    checkpoints: tuple[str, ...]
    good_at: str
    prompts: tuple[PromptChoice, ...]
    order: str
    system: str | None
    image: ImageRule
    generation: Generation
    reader: Reader | None
    has_boxes: bool
    remote_only: bool = False  # another architecture: only the remote engine can serve it
    job: Callable[["Profile", PageContext, str], PageJob] | None = None  # None: one request per page
    detect: tuple[str, ...] = ()  # lower-case substrings of a model id/name that mean this family
    prompt_prefix: str = ""  # literal text sent before the prompt (dots.ocr's image tokens)

    def system_for(self, choice: PromptChoice) -> str | None:
        return self.system if choice.system is False else choice.system  # type: ignore[return-value]

    @property
    def default_prompt(self) -> PromptChoice:
        return self.prompts[0]

    def prompt(self, name: str | None = None) -> PromptChoice:
        """The prompt called ``name`` (None: the family default); ``OptionsError`` otherwise."""
        if name is None:
            return self.default_prompt
        for choice in self.prompts:
            if choice.name == name:
                return choice
        from docparse.errors import OptionsError

        known = ", ".join(p.name for p in self.prompts)
        raise OptionsError(f"profile {self.name!r} has no prompt {name!r}; known: {known}")
