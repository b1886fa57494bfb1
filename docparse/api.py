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
from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Iterator

from docparse.document import Document, Page
from docparse.engines import create_engine
from docparse.engines.base import Engine
from docparse.errors import DocparseError, to_docparse_error
from docparse.options import ConvertOptions
from docparse.pipeline import DocumentJob, convert_documents
from docparse.source import OpenedSource, SourceLike, open_source

PageCallback = Callable[[Page], None]

#: The keyword options of ``convert``/``convert_many``: every field of ``ConvertOptions`` but
#: ``engine`` (there a name or an ``Engine`` instance).
OPTION_FIELDS = tuple(f.name for f in fields(ConvertOptions) if f.name != "engine")


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
    # -- the fields of ConvertOptions, in its order (tests/test_api_signature.py keeps them equal) --
    model: str | None = None,
    pages: str | None = None,
    password: str | None = None,
    dpi: float = 200,
    min_pixels: int = 3136,
    max_pixels: int = 1605632,
    ocr: str = "auto",
    ocr_language: str = "eng",
    passes: bool = True,
    max_new_tokens: int = 8192,
    batch_size: int = 8,
    kv_cache_gb: float | None = None,
    device: str | None = None,
    dtype: str | None = None,
    profile: str = "auto",
    prompt: str | None = None,
    verify: str = "auto",
    samples: int = 1,
    verify_retries: int = 2,
    server: str | None = None,
    api_key: str | None = None,
    concurrency: int = 16,
    timeout: float = 600.0,
    retries: int = 3,
    temperature: float = 0.0,
    retry_temperatures: str = "0.2,0.5",
    repetition_penalty: float = 1.05,
) -> Document:
    """Convert a PDF or image (path, bytes or PIL image) into a ``Document``.

    ``engine`` is a name ("auto", "layout", "vlm", "remote") or an ``Engine`` instance to reuse;
    ``on_page`` is called with each finished ``Page``. The other keywords are the fields of
    ``ConvertOptions``, each described under "Options" below (``pages="1-3"``, ``dpi=150``,
    ``model=...``). Raises ``DocparseError`` subclasses for unusable input (missing, not a PDF,
    encrypted ...) and ``OptionsError`` for a bad option value.
    """
    opts, eng, own_engine = _setup(engine, _option_values(locals()))
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
    # -- the fields of ConvertOptions, in its order (tests/test_api_signature.py keeps them equal) --
    model: str | None = None,
    pages: str | None = None,
    password: str | None = None,
    dpi: float = 200,
    min_pixels: int = 3136,
    max_pixels: int = 1605632,
    ocr: str = "auto",
    ocr_language: str = "eng",
    passes: bool = True,
    max_new_tokens: int = 8192,
    batch_size: int = 8,
    kv_cache_gb: float | None = None,
    device: str | None = None,
    dtype: str | None = None,
    profile: str = "auto",
    prompt: str | None = None,
    verify: str = "auto",
    samples: int = 1,
    verify_retries: int = 2,
    server: str | None = None,
    api_key: str | None = None,
    concurrency: int = 16,
    timeout: float = 600.0,
    retries: int = 3,
    temperature: float = 0.0,
    retry_temperatures: str = "0.2,0.5",
    repetition_penalty: float = 1.05,
) -> Iterator[ConversionResult]:
    """Convert many sources with one engine; yields a ``ConversionResult`` (document or error) per
    source, in order. The keywords are those of ``convert`` (see "Options" below).

    The pages of the following sources are in flight while earlier ones finish (``docparse.pipeline``).
    """
    opts, eng, own_engine = _setup(engine, _option_values(locals()))
    try:
        jobs = (DocumentJob(source=src, tag=src) for src in sources)
        for result in convert_documents(jobs, eng, opts, on_page):
            yield ConversionResult(result.tag, result.document, result.error, result.seconds)
    finally:
        if own_engine:
            eng.close()


def _option_values(arguments: dict[str, Any]) -> dict[str, Any]:
    """The ``ConvertOptions`` fields among a call's arguments (``locals()`` on entry)."""
    return {name: arguments[name] for name in OPTION_FIELDS}


def _options_doc() -> str:
    """The "Options" section of ``convert``'s docstring, from ``ConvertOptions``' own help texts."""
    lines = ["", "    Options (the fields of ``docparse.options.ConvertOptions``):", ""]
    for f in fields(ConvertOptions):
        if f.name in OPTION_FIELDS:
            lines.append(f"    {f.name} (default {f.default!r}): {f.metadata['help']}")
    return "\n".join(lines) + "\n"


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


# help(docparse.convert) describes every option with ConvertOptions' own text (one place).
convert.__doc__ = (convert.__doc__ or "") + _options_doc()
convert_many.__doc__ = (convert_many.__doc__ or "") + _options_doc()
