"""The engine interface: a batch of pages in, blocks per page out.

Engines know nothing of files or output formats. A page arrives as a ``PageInput`` (the open
PyMuPDF document, the page index, its size in points and a lazily rendered model-input image)
and leaves as a ``PageOutput`` (blocks in page points, raw output, stop reason, timings).

Engines that write QwenVL HTML (the ``vlm`` engine, the ``remote`` engine) return the raw HTML
and let ``qwenvl_output`` turn it into blocks, so every such engine shares one reader.

Two ways in, one way out:

- ``process(pages)``: a batch in, one output per page in order (every engine has it).
- ``stream(pages)`` (optional, ``StreamingEngine``): an iterator of pages from any number of
  documents in, ``(page, output_or_exception)`` pairs out *as they complete*, in any order. An
  engine that keeps many requests in flight (``remote``) or admits pages while others decode
  (a continuous-batching scheduler) implements it. ``stream_pages(engine, pages)`` is what
  callers use: it calls ``stream`` when the engine has one, else ``batched_stream`` (batches of
  ``batch_size`` through ``process``, a failing batch retried page by page).

The stream contract (callers such as ``docparse.pipeline`` rely on it):
- The engine pulls pages from the iterator lazily and holds at most a bounded number it has not
  answered yet (its in-flight window: ``batch_size`` or its concurrency). It renders a page only
  when it is about to send it and drops the image once sent.
- Every page pulled is answered exactly once, with a ``PageOutput`` or the exception that failed
  it (that page is then ``failed``; the others go on). ``KeyboardInterrupt``/``MemoryError`` and
  errors that make the whole engine unusable (``EngineError``, e.g. a server that cannot be
  reached at all) propagate instead.
- Closing the returned generator early (an error downstream, Ctrl-C) stops the engine's work
  for pages still in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Protocol, Union, runtime_checkable

from docparse.document import Block, EngineInfo, PageStatus
from docparse.geometry import PageSpace

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf
    from PIL import Image


@dataclass
class PageInput:
    """One page handed to an engine.

    ``render()`` returns the page as an RGB PIL image of exactly ``image_size`` pixels, rendered
    once, straight at that size (see ``docparse.source``). Call it only when needed: the layout
    engine usually does not.
    """

    doc: "pymupdf.Document"
    index: int  # 0-based page index in ``doc``
    width: float  # points, as displayed (after /Rotate)
    height: float
    image_size: tuple[int, int]  # (width_px, height_px) of the model input
    render: Callable[[], "Image.Image"]
    has_text_layer: bool = True
    options: dict = field(default_factory=dict)  # engine-independent hints (ocr language ...)

    @property
    def page(self) -> "pymupdf.Page":
        return self.doc[self.index]

    @property
    def space(self) -> PageSpace:
        return PageSpace(self.width, self.height, self.image_size[0], self.image_size[1])


@dataclass
class PageOutput:
    """What an engine made of one page. Boxes are in page points."""

    index: int
    blocks: list[Block] = field(default_factory=list)
    status: PageStatus = PageStatus.OK
    raw: str | None = None
    stop_reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    image_size: tuple[int, int] | None = None
    meta: dict = field(default_factory=dict)  # engine extras for ``Page.meta`` (token usage, attempts ...)
    error: str | None = None  # why a ``failed`` page failed


@runtime_checkable
class Engine(Protocol):
    """Turns batches of pages into blocks.

    ``batch_size`` is how many pages the engine wants at once (1 for the layout engine, more for
    a GPU model). ``process`` must return one ``PageOutput`` per input, in order; it may raise,
    in which case the caller retries the pages one by one and marks the failing page ``failed``.
    """

    name: str
    batch_size: int

    def info(self) -> EngineInfo: ...

    def process(self, pages: list[PageInput]) -> list[PageOutput]: ...

    def close(self) -> None: ...


#: What a stream yields for each page: the page and its output, or the exception that failed it.
PageResult = tuple[PageInput, Union[PageOutput, BaseException]]


@runtime_checkable
class StreamingEngine(Engine, Protocol):
    """An engine that takes a stream of pages and answers them as they complete (see module doc)."""

    def stream(self, pages: Iterable[PageInput]) -> Iterator[PageResult]: ...


def stream_pages(engine: Engine, pages: Iterable[PageInput]) -> Iterator[PageResult]:
    """The engine's answers to ``pages``: its own ``stream`` when it has one, else ``batched_stream``."""
    stream = getattr(engine, "stream", None)
    if callable(stream):
        return stream(pages)
    return batched_stream(engine, pages)


def batched_stream(engine: Engine, pages: Iterable[PageInput]) -> Iterator[PageResult]:
    """The default stream for ``process``-only engines: batches of ``batch_size``, answered in order.

    A batch fills from as many documents as the stream holds, so short documents share batches.
    """
    size = max(1, int(getattr(engine, "batch_size", 1) or 1))
    batch: list[PageInput] = []
    for page in pages:
        batch.append(page)
        if len(batch) >= size:
            yield from zip(batch, process_batch(engine, batch))
            batch = []
    if batch:
        yield from zip(batch, process_batch(engine, batch))


def process_batch(engine: Engine, batch: list[PageInput]) -> list[PageOutput | BaseException]:
    """``engine.process(batch)``; when the batch raises, its pages are retried one by one so that
    only the page at fault fails."""
    from docparse.errors import EngineError

    try:
        outputs = engine.process(batch)
        if len(outputs) != len(batch):
            raise RuntimeError(f"engine {engine.name} returned {len(outputs)} pages for {len(batch)}")
        return list(outputs)
    except (KeyboardInterrupt, MemoryError, EngineError):
        raise
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
    results: list[PageOutput | BaseException] = []
    for page in batch:
        try:
            results.append(engine.process([page])[0])
        except (KeyboardInterrupt, MemoryError, EngineError):
            raise
        except Exception as exc:
            results.append(exc)
    return results


#: characters one generated token can stand for, at most: Qwen's longest vocabulary entries
#: (runs of spaces, dashes or "=") are a few dozen bytes; real pages average 3-4 characters a
#: token. Output beyond ``max_tokens`` times this cannot have come from ``max_tokens`` tokens.
MAX_CHARS_PER_TOKEN = 32
#: tags ("<") one token can open, at most ("><" and "</" are single tokens): bounds the element
#: count, which the reader's time follows (about 0.3 ms an element).
MAX_TAGS_PER_TOKEN = 2
DEFAULT_MAX_TOKENS = 8192  # ConvertOptions.max_new_tokens' default


def cap_output(raw: str, max_tokens: int | None) -> tuple[str, str | None]:
    """``raw`` cut to what ``max_tokens`` tokens can say, and the warning when it was cut.

    A remote server is untrusted: 50 MB for one page would cost the reader and the passes
    minutes and gigabytes, for text no page holds.
    """
    tokens = max(1, max_tokens or DEFAULT_MAX_TOKENS)
    if not isinstance(raw, str):
        return raw, None
    end = min(len(raw), tokens * MAX_CHARS_PER_TOKEN)
    tag = -1
    for _ in range(tokens * MAX_TAGS_PER_TOKEN):  # the position of the last tag allowed
        tag = raw.find("<", tag + 1, end)
        if tag < 0:
            break
    else:
        following = raw.find("<", tag + 1, end)
        if following >= 0:
            end = following
    if end >= len(raw):
        return raw, None
    return raw[:end], (
        f"the model output ({len(raw)} characters) is more than {tokens} tokens can say; "
        f"only the first {end} characters were read"
    )


def qwenvl_output(
    page: PageInput,
    raw: str,
    stop_reason: str | None,
    source: str,
    seconds: float = 0.0,
    max_tokens: int | None = None,
) -> PageOutput:
    """Turn one page of raw QwenVL HTML into a ``PageOutput`` (shared by QwenVL-writing engines).

    The reader never raises on model output; what it cannot read becomes a page warning. A page
    cut short by the token limit or the loop guard is ``partial``; so is one whose output was
    longer than ``max_tokens`` tokens can be (``cap_output``).
    """
    from docparse.qwenvl.reader import read_qwenvl

    raw, too_long = cap_output(raw, max_tokens)
    result = read_qwenvl(raw, page.space, page_index=page.index, source=source)
    status = PageStatus.OK
    if stop_reason in ("length", "loop") or too_long:
        status = PageStatus.PARTIAL
    elif not result.blocks:
        status = PageStatus.EMPTY
    warnings = ([too_long] if too_long else []) + list(result.warnings)
    if stop_reason == "length":
        warnings.append("generation hit max_new_tokens: the page may be incomplete")
    elif stop_reason == "loop":
        warnings.append("generation stopped by the loop guard (repeated output): the page may be incomplete")
    return PageOutput(
        index=page.index,
        blocks=result.blocks,
        status=status,
        raw=raw,
        stop_reason=stop_reason,
        warnings=warnings,
        seconds=seconds,
        image_size=page.image_size,
    )


class Timer:
    """``with Timer() as t: ...; t.seconds``"""

    def __enter__(self) -> "Timer":
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
