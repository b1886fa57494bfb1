"""Conversion processes: each loads the engine once and converts one spooled upload at a time.

PyMuPDF is not thread-safe and a model engine holds the GIL while it computes, so conversions
run in worker processes (``--workers``), never on the server's event loop. A worker reads only
the spool file the server names, writes the response body to a result file next to it
(atomically), and reports page progress on a queue. Errors come back as values, not exceptions.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docparse.errors import DocparseError

_engine: Any = None
_engine_error: str | None = None
_progress: Any = None


@dataclass
class ConvertTask:
    job_id: str
    upload: str  # path of the spooled upload (chosen by the server, never by the client)
    result: str  # where the response body goes
    name: str  # the document's name (the stem of the client's file name, made safe)
    filename: str  # the client's file name (made safe), for messages
    options: dict[str, Any]  # ConvertOptions fields: the server's, with the request's overrides
    formats: list[str]
    max_pages: int


def init_worker(options: dict[str, Any], progress: Any) -> None:
    """Process initializer: build the engine once for every conversion this process runs."""
    global _engine, _engine_error, _progress
    from docparse.engines import create_engine
    from docparse.options import ConvertOptions

    _progress = progress
    try:
        _engine = create_engine(ConvertOptions(**options))
    except DocparseError as exc:
        _engine_error = str(exc)
    except Exception as exc:  # a broken install: say what, the server refuses to start
        _engine_error = f"{type(exc).__name__}: {exc}"


def ready(linger_s: float = 0.0) -> str | None:
    """None when this worker's engine loaded, else why not. ``linger_s`` keeps the worker busy a
    moment so that start-up pings spread over every process of the pool."""
    time.sleep(linger_s)
    return _engine_error


def convert_task(task: ConvertTask) -> dict[str, Any]:
    """Convert one upload; ``{"ok": True, "pages": n}`` or ``{"ok": False, "status", "code", "message"}``."""
    from docparse.serve.errors import ApiError, from_docparse_error

    if _engine is None:
        return _failure(ApiError(500, "engine_error", _engine_error or "the engine did not load"))
    try:
        pages = _convert(task)
    except DocparseError as exc:
        return _failure(from_docparse_error(exc), task)
    except MemoryError:
        return _failure(ApiError(500, "conversion_failed", "out of memory while converting this document"), task)
    except Exception as exc:  # a bug or an unforeseen file: one line for the client, the server lives on
        return _failure(ApiError(500, "conversion_failed", f"{type(exc).__name__}: {str(exc)[:300]}"), task)
    return {"ok": True, "pages": pages}


def _failure(err: Any, task: ConvertTask) -> dict[str, Any]:
    # the message names the document as the client did; a server path never leaves the server
    message = err.message.replace(task.upload, task.filename).replace(str(Path(task.upload).parent), "<server>")
    return {"ok": False, "status": err.status, "code": err.code, "message": message}


def _convert(task: ConvertTask) -> int:
    from docparse.api import run_pipeline
    from docparse.options import ConvertOptions
    from docparse.output.files import atomic_write
    from docparse.serve.errors import TooManyPagesError
    from docparse.source import open_source, parse_page_range

    options = ConvertOptions(**task.options)
    # from bytes, labelled with the client's file name: messages and the document never show the spool path
    opened = open_source(Path(task.upload).read_bytes(), password=options.password, name=task.filename)
    try:
        opened.info.name = task.name
        selected = len(parse_page_range(options.pages, opened.doc.page_count))
        if selected > task.max_pages:
            raise TooManyPagesError(
                f"{selected} pages asked for; this server converts at most {task.max_pages} per request (--max-pages)"
            )
        _report(task.job_id, None, selected)
        document = run_pipeline(opened, _engine, options, lambda _page: _report(task.job_id, 1, None))
    finally:
        opened.close()
    atomic_write(Path(task.result), response_body(document, task.formats))
    return len(document.pages)


def response_body(document: Any, formats: list[str]) -> str:
    """The JSON answer: ``document`` always, ``markdown`` / ``html`` / ``qwenvl`` as asked.
    (Images are left out of markdown and html: an API answer has no asset files to link, and
    embedding every crop would multiply the answer's size; figures show their text.)"""
    parts = [f'"document": {document.to_json(indent=None)}']
    if "md" in formats:
        parts.append(f'"markdown": {json.dumps(document.to_markdown(embed_images=False), ensure_ascii=False)}')
    if "html" in formats:
        parts.append(f'"html": {json.dumps(document.to_html(embed_images=False), ensure_ascii=False)}')
    if "qwenvl" in formats:
        parts.append(f'"qwenvl": {json.dumps(document.to_qwenvl(), ensure_ascii=False)}')
    return "{" + ", ".join(parts) + "}"


def _report(job_id: str, done: int | None, total: int | None) -> None:
    if _progress is not None:
        try:
            _progress.put((job_id, done, total))
        except (OSError, ValueError):  # the server is going away; the conversion result still counts
            pass
