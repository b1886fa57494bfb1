"""The Python API: ``convert`` one document, ``convert_many`` a stream of them.

    import docparse
    doc = docparse.convert("paper.pdf", pages="1-3")
    for block in doc.blocks:              # reading order, furniture left out
        print(block.label, block.bbox, block.text[:60])
    doc.to_markdown(); doc.to_html(); doc.to_json(); doc.to_qwenvl()

A page that fails never fails the document: it is marked ``failed`` with its error and the rest
goes on. Pages are streamed through ``docparse.pipeline``: only the engine's in-flight window of
page images exists at a time, and ``convert_many`` keeps pages of the next sources in flight.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from docparse.document import Document, Page
from docparse.engines import create_engine
from docparse.engines.base import Engine
from docparse.errors import DocparseError, to_docparse_error
from docparse.options import ConvertOptions
from docparse.pipeline import DocumentJob, convert_documents
from docparse.source import OpenedSource, SourceLike, open_source

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

    ``engine`` is a name ("auto", "layout", "vlm", "remote") or an ``Engine`` instance to reuse.
    ``options`` are the fields of ``ConvertOptions`` (pages="1-3", dpi=200, model=...).
    Raises ``DocparseError`` subclasses for unusable input (missing, not a PDF, encrypted ...).
    """
    opts, eng, own_engine = _setup(engine, options)
    try:
        opened = open_source(source, password=opts.password)
        try:
            return run_pipeline(opened, eng, opts, on_page)
        finally:
            opened.close()
    except Exception as exc:  # every failure of this document is a DocparseError (cause kept)
        error = to_docparse_error(exc, source)
        if error is exc:
            raise
        raise error from exc
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
    """Convert many sources with one engine; yields a result (document or error) per source, in order.

    The pages of the following sources are in flight while earlier ones finish (``docparse.pipeline``).
    """
    opts, eng, own_engine = _setup(engine, options)
    try:
        jobs = (DocumentJob(source=src, tag=src) for src in sources)
        for result in convert_documents(jobs, eng, opts, on_page):
            yield ConversionResult(result.tag, result.document, result.error, result.seconds)
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


def run_pipeline(
    opened: OpenedSource,
    engine: Engine,
    opts: ConvertOptions,
    on_page: PageCallback | None = None,
) -> Document:
    """One already opened source through the page pipeline -> a finished ``Document`` (left open)."""
    results = convert_documents([DocumentJob(opened=opened)], engine, opts, on_page)
    with closing(results):
        result = next(results)
    if result.error is not None:
        raise result.error
    assert result.document is not None
    return result.document
