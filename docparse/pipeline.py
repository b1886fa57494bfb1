"""The page pipeline: the pages of many documents in flight through one engine, documents out in order.

    jobs = [DocumentJob(path, tag=i) for i, path in enumerate(paths)]
    for result in convert_documents(jobs, engine, options, on_page=progress):
        if result.document is not None:
            write(result.document, result.opened.doc)   # the source stays open until the next result
        else:
            report(result.error)

Why: an engine that keeps many requests in flight (``remote``) or fills a batch (``vlm``) must see
the pages of the *following* documents too, not one file at a time, or short documents leave it
idle. So the pipeline flattens the documents into one page stream for ``stream_pages``:

- Documents are opened lazily, as the engine pulls their first page; page images are rendered
  by the engine only when it sends the page (``PageInput.render``), so the look-ahead is the
  engine's in-flight window (``batch_size`` or its concurrency) and no more.
- Every answered page is handed to ``on_page`` at once (progress counts pages answered).
- A document is complete when each of its selected pages has an answer; the document passes
  run then, and complete documents are yielded in the order of ``jobs``. Later documents that
  finish first wait (as small ``Document`` objects) for the earlier ones.
- A page that fails (the engine raised for it, or MuPDF cannot load it) is ``failed`` with its
  error and the rest goes on; a document that cannot be opened is a result with ``error`` set.
- Errors that make the engine unusable, ``KeyboardInterrupt`` and errors raised by the consumer
  propagate; the engine's stream is closed (cancelling what is in flight) and every source the
  pipeline opened is closed. No document is yielded half done.
"""

from __future__ import annotations

import copy
import time
from collections import deque
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from docparse.document import Document, Page, PageStatus
from docparse.engines.base import Engine, PageInput, PageOutput, stream_pages
from docparse.errors import DocparseError, to_docparse_error
from docparse.options import ConvertOptions
from docparse.source import (
    OpenedSource,
    SourceLike,
    make_page_input,
    mark_damaged_page,
    open_source,
    parse_page_range,
)

PageCallback = Callable[[Page], None]


@dataclass
class DocumentJob:
    """One document to convert.

    ``source`` is anything ``open_source`` takes; or pass an already ``opened`` source, which the
    pipeline then uses and leaves open. ``pages`` overrides ``options.pages`` for this document.
    ``tag`` is the caller's, handed back on the result (an item of a batch, a job id ...).
    """

    source: SourceLike | None = None
    tag: Any = None
    pages: str | None = None
    opened: OpenedSource | None = None


@dataclass
class DocumentResult:
    """A finished document (``document``) or the error that stopped it before any page (``error``).

    ``opened`` is the open source (for image crops and page images); the pipeline closes it when
    the next result is asked for, unless the job brought it in already open.
    """

    job: DocumentJob
    document: Document | None = None
    error: DocparseError | None = None
    opened: OpenedSource | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.document is not None

    @property
    def tag(self) -> Any:
        return self.job.tag


@dataclass
class _DocState:
    """A document on its way through: which pages it expects and which have come back."""

    job: DocumentJob
    start: float
    opened: OpenedSource | None = None
    own: bool = False  # the pipeline opened it, so the pipeline closes it
    error: DocparseError | None = None
    indices: list[int] = field(default_factory=list)
    document: Document | None = None

    @property
    def complete(self) -> bool:
        return self.error is not None or (self.document is not None and len(self.document.pages) == len(self.indices))

    def close(self) -> None:
        if self.own and self.opened is not None:
            self.opened.close()
            self.opened = None


def convert_documents(
    jobs: Iterable[DocumentJob],
    engine: Engine,
    options: ConvertOptions,
    on_page: PageCallback | None = None,
) -> Iterator[DocumentResult]:
    """Convert ``jobs`` through ``engine`` with pages of many documents in flight; results in job order."""
    states: deque[_DocState] = deque()  # opened and not yet handed on, in job order
    owner: dict[int, _DocState] = {}  # id(PageInput) -> its document
    info = engine.info()
    info.settings = {**info.settings, "dpi": options.dpi, "min_pixels": options.min_pixels,
                     "max_pixels": options.max_pixels}

    def page_stream() -> Iterator[PageInput]:
        for job in jobs:
            state = _open(job, options, info)
            states.append(state)
            if state.error is not None:
                continue
            for index in state.indices:
                try:
                    page = make_page_input(state.opened.doc, index, options.dpi, options.min_pixels,
                                           options.max_pixels, state.opened.is_image)
                except Exception as exc:  # a page MuPDF cannot even load
                    _add(state, _failed_page(index, exc), on_page)
                    continue
                owner[id(page)] = state
                yield page

    handed: DocumentResult | None = None  # the last result yielded; its source closes on the next step
    try:
        with closing(stream_pages(engine, page_stream())) as answers:
            for page, output in answers:
                state = owner.pop(id(page))
                converted = _to_page(page, output)
                mark_damaged_page(converted, state.opened)
                _add(state, converted, on_page)
                for result in _ready(states, options):
                    handed = _release(handed)
                    handed = result
                    yield result
        for result in _ready(states, options):  # documents with no page for the engine at the end
            handed = _release(handed)
            handed = result
            yield result
    finally:
        _release(handed)
        for state in states:
            state.close()


def _release(result: DocumentResult | None) -> None:
    if result is not None and result.opened is not None and result.job.opened is None:
        result.opened.close()
        result.opened = None
    return None


def _open(job: DocumentJob, options: ConvertOptions, info: Any) -> _DocState:
    state = _DocState(job=job, start=time.perf_counter())
    try:
        if job.opened is not None:
            state.opened = job.opened
        else:
            state.opened = open_source(job.source, password=options.password)
            state.own = True
        spec = job.pages if job.pages is not None else options.pages
        state.indices = parse_page_range(spec, state.opened.doc.page_count)
        state.document = Document(source=state.opened.info, engine=copy.deepcopy(info))
        state.document.warnings.extend(state.opened.warnings)  # a damaged, repaired file says so
    except Exception as exc:  # any failure to open is this document's (a DocparseError), not the run's
        state.error = to_docparse_error(exc, job.source)
        state.close()
    return state


def _ready(states: deque[_DocState], options: ConvertOptions) -> Iterator[DocumentResult]:
    """Complete documents at the front of the queue, finished (page order, passes) and popped."""
    while states and states[0].complete:
        state = states.popleft()
        result = DocumentResult(job=state.job, error=state.error, opened=state.opened)
        if state.error is None:
            document = state.document
            position = {index: i for i, index in enumerate(state.indices)}
            document.pages.sort(key=lambda p: position.get(p.index, len(position)))
            try:
                if options.passes:
                    from docparse.passes import run_passes

                    run_passes(document)
                result.document = document
            except Exception as exc:  # a pass failing on this document fails it alone
                result.error = to_docparse_error(exc, state.opened.info.path or state.opened.info.name)
        result.seconds = time.perf_counter() - state.start
        yield result


def _add(state: _DocState, page: Page, on_page: PageCallback | None) -> None:
    state.document.pages.append(page)
    if on_page is not None:
        on_page(page)


def _to_page(page: PageInput, output: PageOutput | BaseException) -> Page:
    if isinstance(output, BaseException):
        return _failed_page(page.index, output, page.width, page.height, page.image_size)
    return Page(
        index=page.index,
        width=page.width,
        height=page.height,
        blocks=output.blocks,
        status=output.status,
        image_size=output.image_size or page.image_size,
        stop_reason=output.stop_reason,
        raw=output.raw,
        warnings=list(output.warnings),
        seconds=output.seconds,
        meta=dict(output.meta),
        error=output.error,
    )


def _failed_page(
    index: int, exc: BaseException, width: float = 0.0, height: float = 0.0, image_size: tuple[int, int] | None = None
) -> Page:
    return Page(index=index, width=width, height=height, image_size=image_size, status=PageStatus.FAILED,
                error=describe_error(exc))


def describe_error(exc: BaseException) -> str:
    """One line for a page's ``error``: the exception type and the first line of its message."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}"[:500] if msg else type(exc).__name__
