"""The Python API: ``convert`` one document, ``convert_many`` a stream of them.

    import docparse
    doc = docparse.convert("paper.pdf", pages="1-3")
    for block in doc.blocks:              # reading order, furniture left out
        print(block.label, block.bbox, block.text[:60])
    doc.to_markdown(); doc.to_html(); doc.to_json(); doc.to_qwenvl()

A page that fails never fails the document: it is marked ``failed`` with its error and the rest
goes on. Pages are streamed: one page (and at most one batch of rendered images) at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from docparse.document import Document, Page, PageStatus
from docparse.engines import create_engine
from docparse.engines.base import Engine, PageInput, PageOutput
from docparse.errors import DocparseError
from docparse.options import ConvertOptions
from docparse.source import OpenedSource, SourceLike, make_page_input, open_source, parse_page_range

PageCallback = Callable[[Page], None]


@dataclass
class ConversionResult:
    """The outcome of one source in ``convert_many``: a document, or the error that stopped it."""

    source: Any
    document: Document | None
    error: DocparseError | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.document is not None


def convert(
    source: SourceLike,
    *,
    engine: Engine | str | None = None,
    on_page: PageCallback | None = None,
    **options: Any,
) -> Document:
    """Convert a PDF or image (path, bytes or PIL image) into a ``Document``.

    ``engine`` is a name ("auto", "layout", "vlm") or an ``Engine`` instance to reuse.
    ``options`` are the fields of ``ConvertOptions`` (pages="1-3", dpi=200, model=...).
    Raises ``DocparseError`` subclasses for unusable input (missing, not a PDF, encrypted ...).
    """
    opts, eng, own_engine = _setup(engine, options)
    try:
        return _convert_one(source, eng, opts, on_page)
    finally:
        if own_engine:
            eng.close()


def convert_many(
    sources: Iterable[SourceLike],
    *,
    engine: Engine | str | None = None,
    on_page: PageCallback | None = None,
    **options: Any,
) -> Iterator[ConversionResult]:
    """Convert many sources with one engine; yields a result (document or error) per source."""
    opts, eng, own_engine = _setup(engine, options)
    try:
        for src in sources:
            start = time.perf_counter()
            try:
                doc = _convert_one(src, eng, opts, on_page)
            except DocparseError as exc:
                yield ConversionResult(src, None, exc, time.perf_counter() - start)
                continue
            yield ConversionResult(src, doc, None, time.perf_counter() - start)
    finally:
        if own_engine:
            eng.close()


def _setup(engine: Engine | str | None, options: dict[str, Any]) -> tuple[ConvertOptions, Engine, bool]:
    """Options, the engine to use, and whether we created it (and so must close it)."""
    if isinstance(engine, str):
        options = {**options, "engine": engine}
        engine = None
    opts = ConvertOptions.from_kwargs(**options)
    if engine is not None:
        return opts, engine, False
    return opts, create_engine(opts), True


def _convert_one(source: SourceLike, engine: Engine, opts: ConvertOptions, on_page: PageCallback | None) -> Document:
    opened = open_source(source, password=opts.password)
    try:
        return run_pipeline(opened, engine, opts, on_page)
    finally:
        opened.close()


def run_pipeline(
    opened: OpenedSource,
    engine: Engine,
    opts: ConvertOptions,
    on_page: PageCallback | None = None,
) -> Document:
    """Pages -> engine (in batches) -> Page objects -> document passes."""
    indices = parse_page_range(opts.pages, opened.doc.page_count)
    info = engine.info()
    info.settings = {**info.settings, "dpi": opts.dpi, "min_pixels": opts.min_pixels, "max_pixels": opts.max_pixels}
    document = Document(source=opened.info, engine=info)

    batch: list[PageInput] = []
    for index in indices:
        try:
            batch.append(
                make_page_input(opened.doc, index, opts.dpi, opts.min_pixels, opts.max_pixels, opened.is_image)
            )
        except Exception as exc:  # a page MuPDF cannot even load
            _emit(document, _failed_page(index, exc), on_page)
            continue
        if len(batch) >= max(1, engine.batch_size):
            _run_batch(engine, batch, document, on_page)
            batch = []
    if batch:
        _run_batch(engine, batch, document, on_page)

    document.pages.sort(key=lambda p: indices.index(p.index))
    if opts.passes:
        from docparse.passes import run_passes

        run_passes(document)
    return document


def _run_batch(engine: Engine, batch: list[PageInput], document: Document, on_page: PageCallback | None) -> None:
    for page_input, output in zip(batch, _process(engine, batch)):
        if isinstance(output, BaseException):
            page = _failed_page(page_input.index, output, page_input.width, page_input.height, page_input.image_size)
        else:
            page = _to_page(page_input, output)
        _emit(document, page, on_page)


def _process(engine: Engine, batch: list[PageInput]) -> list[PageOutput | BaseException]:
    """The engine's outputs; when a batch raises, its pages are retried one by one."""
    try:
        outputs = engine.process(batch)
        if len(outputs) != len(batch):
            raise RuntimeError(f"engine {engine.name} returned {len(outputs)} pages for {len(batch)}")
        return list(outputs)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:
        if len(batch) == 1:
            return [exc]
    results: list[PageOutput | BaseException] = []
    for page_input in batch:
        try:
            results.append(engine.process([page_input])[0])
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:
            results.append(exc)
    return results


def _to_page(page_input: PageInput, out: PageOutput) -> Page:
    return Page(
        index=page_input.index,
        width=page_input.width,
        height=page_input.height,
        blocks=out.blocks,
        status=out.status,
        image_size=out.image_size or page_input.image_size,
        stop_reason=out.stop_reason,
        raw=out.raw,
        warnings=list(out.warnings),
        seconds=out.seconds,
    )


def _failed_page(
    index: int, exc: BaseException, width: float = 0.0, height: float = 0.0, image_size: tuple[int, int] | None = None
) -> Page:
    return Page(index=index, width=width, height=height, image_size=image_size, status=PageStatus.FAILED,
                error=_describe(exc))


def _describe(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}"[:500] if msg else type(exc).__name__


def _emit(document: Document, page: Page, on_page: PageCallback | None) -> None:
    document.pages.append(page)
    if on_page is not None:
        on_page(page)

