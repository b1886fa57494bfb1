"""Batch conversion: discover files, convert them (in worker processes), write outputs, resume.

- Folders are searched recursively; their structure is mirrored under OUT. Output names are
  safe, short, unique and stable across reruns (see names.py).
- One bad file never stops the run: it is reported (status ``failed`` with its error) and the
  rest convert. A folder that cannot be read is reported too.
- Outputs are written atomically; each document's stamp (sha256 of the source + options key)
  is written last, so a rerun skips what is already done and redoes what was interrupted.
- ``OUT/docparse-report.json`` is merged and rewritten (atomically, under a lock) after every
  file (see report.py); when it cannot be written (disk full) the run goes on and tries again.
- Workers die with the run; SIGINT/SIGTERM stop it cleanly (see process_guard.py).
- In one process (``--workers 1``, the default below 8 cores) every file goes through one page pipeline
  (``docparse.pipeline``): the engine sees the pages of the following files too, so a batch or
  many server requests fill from several short files. Progress counts pages answered. A file with
  a failed page is not stamped done: a rerun converts it again.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from docparse import __version__
from docparse.errors import DocparseError, InputError, OutputError, os_error_message, to_docparse_error
from docparse.options import ConvertOptions
from docparse.output.files import safe_child
from docparse.output.stamp import read_stamp, write_stamp
from docparse.output.writer import write_outputs
from docparse.report import REPORT_NAME, write_report


@dataclass
class BatchItem:
    """One source file and the folder (relative to OUT) its outputs go to."""

    source: Path
    out_rel: str  # e.g. "reports/2024/annual" (posix, no "..")
    pages: int = 0  # page count, for the progress bar (0 when it cannot be read)


@dataclass
class ItemResult:
    input: str
    output: str
    status: str  # ok | partial | failed | skipped
    pages: int = 0
    pages_failed: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class BatchSettings:
    formats: list[str]
    overwrite: bool = False
    save_page_images: bool = False
    overlay: bool = False


# -- how many worker processes -------------------------------------------------------------------

#: Cores one worker keeps busy: MuPDF's text extraction on one thread plus the layout model's ONNX
#: Runtime session, which runs its networks on several threads of its own. A second worker on a
#: 2-core machine only adds its own model load and contention (measured: see the README, -w).
CORES_PER_WORKER = 4

WORKERS_HELP = (
    "Files converted in parallel (processes). Each worker loads its own engine (the layout models, or a "
    "vlm model) and the layout model already runs on several threads, so on few cores more workers are "
    f"slower, not faster. Default: one per {CORES_PER_WORKER} cores (this machine: {{default}})."
)


def available_cores() -> int:
    """Cores this process may run on (a container's or taskset's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def default_workers(cores: int | None = None) -> int:
    """``--workers`` when not given: one per ``CORES_PER_WORKER`` cores, at least one."""
    return max(1, (cores or available_cores()) // CORES_PER_WORKER)


def count_pages(path: Path) -> int:
    """Page count for the progress bar; 0 when the file cannot be read (it fails later, properly)."""
    try:
        import pymupdf

        if path.suffix.lower() != ".pdf":
            return 1
        with pymupdf.open(path) as doc:
            return doc.page_count
    except Exception:
        return 0


# -- converting one item (runs in the main process or a worker) ----------------------------------

_worker_engine = None
_worker_engine_error: str | None = None  # why this worker has no engine (each of its files fails with it)
_worker_queue = None


def convert_item(
    item: BatchItem,
    out_dir: Path,
    options: ConvertOptions,
    settings: BatchSettings,
    engine: Any = None,
    on_page: Callable[[Any], None] | None = None,
) -> ItemResult:
    """Convert one file and write its outputs; never raises for a bad file (nor a bad output path).

    The worker processes use this; a run in this process goes through ``BatchRun._run_pipeline``
    instead, which keeps pages of the following files in flight."""
    from docparse.api import run_pipeline
    from docparse.source import open_source

    start = time.perf_counter()
    result = ItemResult(input=str(item.source), output=item.out_rel, status="failed")
    try:
        todo = _check(item, out_dir, options, settings, result)
        if todo is not None:
            target, sha = todo
            opened = open_source(item.source, password=options.password)
            try:
                document = run_pipeline(opened, engine, options, on_page)
                _write(document, opened.doc, item, target, sha, options, settings, result)
            finally:
                opened.close()
    except BaseException as exc:
        if not _fail(result, exc, item):
            raise
    finally:
        result.seconds = round(time.perf_counter() - start, 3)
    return result


def _fail(result: ItemResult, exc: BaseException, item: BatchItem) -> bool:
    """Record ``exc`` as this file's failure; False for what must stop the run (Ctrl-C, exit)."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        return False
    if isinstance(exc, DocparseError):
        result.status, result.error = "failed", str(exc)
    elif isinstance(exc, Exception):  # an unforeseen file (or a bug): report it, keep the batch going
        result.status, result.error = "failed", str(to_docparse_error(exc, str(item.source)))[:500]
    else:
        return False
    return True


def _check(
    item: BatchItem, out_dir: Path, options: ConvertOptions, settings: BatchSettings, result: ItemResult
) -> tuple[Path, str] | None:
    """The output folder and source hash of a file to convert, or None when its outputs are up to
    date (``result`` then says ``skipped``). Raises ``DocparseError`` for an unreadable file."""
    import hashlib

    target = safe_child(out_dir, *item.out_rel.split("/"))  # refuses a symlink planted in OUT
    sha = hashlib.sha256(_read_source(item.source)).hexdigest()
    stamp = read_stamp(target)
    if not settings.overwrite and _is_done(stamp, sha, options, settings):
        result.status = "skipped"
        result.pages = stamp.get("pages", 0)
        result.files = stamp.get("files", [])
        # the outputs' warnings still hold: a rerun reports them, not 0 (stamps before 0.1: none kept)
        result.warnings = [str(w) for w in stamp.get("warnings", []) if isinstance(w, str)]
        return None
    return target, sha


def _write(
    document: Any,
    pdf: Any,
    item: BatchItem,
    target: Path,
    sha: str,
    options: ConvertOptions,
    settings: BatchSettings,
    result: ItemResult,
) -> None:
    """Write a converted document's outputs, fill ``result``, and write its stamp last."""
    try:
        result.files = write_outputs(
            document, pdf, target, settings.formats,
            save_page_images=settings.save_page_images, overlay=settings.overlay,
        )
    except OSError as exc:  # disk full, read-only: the message names the document's folder
        raise OutputError(f"cannot write {target}: {os_error_message(exc, path='')}") from exc
    result.pages = len(document.pages)
    result.pages_failed = sum(1 for p in document.pages if p.status.value == "failed")
    result.status = {"ok": "ok", "partial": "partial", "failed": "failed"}[document.status]
    result.warnings = list(document.warnings) + [f"page {p.index + 1}: {w}" for p in document.pages for w in p.warnings]
    if result.pages_failed:
        result.warnings += [f"page {p.index + 1} failed: {p.error}" for p in document.pages if p.error]
    stamp = {
        "docparse": __version__, "source": str(item.source), "sha256": sha, "options_key": options.key(),
        "formats": settings.formats, "pages": result.pages, "pages_failed": result.pages_failed,
        "status": result.status, "files": result.files, "warnings": result.warnings,
    }
    try:
        write_stamp(target, stamp)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {os_error_message(exc, path='')}") from exc


def _read_source(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # unreadable, a symlink loop, vanished since discovery
        raise InputError(f"cannot read {path}: {os_error_message(exc, path='')}") from exc


def _is_done(stamp: dict[str, Any] | None, sha: str, options: ConvertOptions, settings: BatchSettings) -> bool:
    """Same content, same options, the formats asked for, and no page failed (a rerun redoes those:
    a server that went away mid-run, a page the engine raised on)."""
    return bool(
        stamp
        and stamp.get("sha256") == sha
        and not stamp.get("pages_failed")
        and stamp.get("status") != "failed"
        and stamp.get("options_key") == options.key()
        and set(settings.formats) <= set(stamp.get("formats", []))
    )


def _worker_init(options: ConvertOptions, queue: Any, parent_pid: int) -> None:
    global _worker_engine, _worker_engine_error, _worker_queue
    from docparse.engines import create_engine
    from docparse.process_guard import guard_worker

    guard_worker(parent_pid)  # first: a worker never outlives the run
    _worker_queue = queue
    try:
        _worker_engine = create_engine(options)
    except DocparseError as exc:  # as with one worker: each file fails with the cause, no broken pool
        _worker_engine_error = str(exc)


def _worker_convert(item: BatchItem, out_dir: Path, options: ConvertOptions, settings: BatchSettings) -> ItemResult:
    queue = _worker_queue
    if _worker_engine_error is not None:
        return ItemResult(str(item.source), item.out_rel, "failed", error=_worker_engine_error)

    def on_page(page: Any) -> None:
        if queue is not None:
            queue.put(1)

    return convert_item(item, out_dir, options, settings, _worker_engine, on_page)


# -- the run -------------------------------------------------------------------------------------


class BatchRun:
    """Converts a list of items with N workers, keeping the report file up to date.

    ``on_notice`` hears about trouble that is not one file's (the report cannot be written: disk
    full), once per kind of trouble."""

    def __init__(
        self,
        out_dir: Path,
        options: ConvertOptions,
        settings: BatchSettings,
        workers: int = 1,
        on_notice: Callable[[str], None] | None = None,
    ):
        self.out_dir = out_dir
        self.options = options
        self.settings = settings
        self.workers = max(1, workers)
        self.on_notice = on_notice
        self.results: list[ItemResult] = []
        self.started = time.time()
        self.report_error: str | None = None  # why the last report write failed; None when written
        self.engine_error: str | None = None  # why the engine could not start (every file failed for it)
        self._noticed: set[str] = set()

    def run(
        self,
        items: list[BatchItem],
        problems: list[ItemResult],
        on_page: Callable[[int], None] | None = None,
        on_file: Callable[[ItemResult], None] | None = None,
    ) -> list[ItemResult]:
        """Convert ``items``; a ``KeyboardInterrupt`` (``RunInterrupted``) stops the workers and
        propagates: the caller writes the report (``finish``) and exits."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for p in problems:
            self._record(p, on_file)
        if not items:
            return self.results
        if self.workers == 1 or len(items) == 1:
            self._run_here(items, on_page, on_file)
        else:
            self._run_pool(items, on_page, on_file)
        return self.results

    def _run_here(self, items: list[BatchItem], on_page: Any, on_file: Any) -> None:
        from docparse.engines import create_engine

        try:
            engine = create_engine(self.options)
        except DocparseError as exc:  # one cause for every file: said once (see engine_error)
            self.engine_error = str(exc)
            for item in items:
                self._record(ItemResult(str(item.source), item.out_rel, "failed", error=str(exc)), None)
            return
        try:
            self._run_pipeline(engine, items, on_page, on_file)
        finally:
            engine.close()

    def _run_pipeline(self, engine: Any, items: list[BatchItem], on_page: Any, on_file: Any) -> None:
        """All files through one page pipeline: while one file's last pages are read, the next files'
        pages are in flight (an engine with a batch or many requests never waits for a file to end)."""
        from docparse.pipeline import DocumentJob, convert_documents

        def jobs() -> Any:
            for item in items:
                result = ItemResult(input=str(item.source), output=item.out_rel, status="failed")
                start = time.perf_counter()
                try:
                    todo = _check(item, self.out_dir, self.options, self.settings, result)
                except BaseException as exc:
                    if not _fail(result, exc, item):
                        raise
                    todo = None
                if todo is None:  # skipped, or failed before converting
                    result.seconds = round(time.perf_counter() - start, 3)
                    self._record(result, on_file)
                    continue
                yield DocumentJob(source=item.source, tag=(item, todo, result, start))

        page_done = (lambda _page: on_page(1)) if on_page else None
        for done in convert_documents(jobs(), engine, self.options, page_done):
            item, (target, sha), result, start = done.tag
            try:
                if done.error is not None:
                    raise done.error
                _write(done.document, done.opened.doc, item, target, sha, self.options, self.settings, result)
            except BaseException as exc:
                if not _fail(result, exc, item):
                    raise
            result.seconds = round(time.perf_counter() - start, 3)
            self._record(result, on_file)

    def _run_pool(self, items: list[BatchItem], on_page: Any, on_file: Any) -> None:
        from docparse.process_guard import stop_processes

        # spawn, not fork: the parent may hold MuPDF/ONNX state that must not be shared
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)),
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(self.options, queue, os.getpid()),
        )
        try:
            pending: dict[Future, BatchItem] = {
                pool.submit(_worker_convert, item, self.out_dir, self.options, self.settings): item for item in items
            }
            self._collect(pending, queue, on_page, on_file)
        except BaseException:  # interrupted (or a bug here): the workers stop now, not after the queue
            stop_processes(list(getattr(pool, "_processes", {}).values()))  # no public way to reach them
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _collect(self, pending: dict[Future, BatchItem], queue: Any, on_page: Any, on_file: Any) -> None:
        while pending:
            done = [f for f in pending if f.done()]
            self._drain(queue, on_page)
            for fut in done:
                item = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # the worker died (crash, out of memory)
                    res = ItemResult(str(item.source), item.out_rel, "failed", error=f"worker failed: {exc}")
                self._record(res, on_file)
            if pending and not done:
                time.sleep(0.05)
        self._drain(queue, on_page)

    @staticmethod
    def _drain(queue: Any, on_page: Any) -> None:
        import queue as queue_mod

        while True:
            try:
                n = queue.get_nowait()
            except (queue_mod.Empty, OSError, ValueError):
                return
            if on_page:
                on_page(n)

    def _record(self, result: ItemResult, on_file: Callable[[ItemResult], None] | None) -> None:
        self.results.append(result)
        self.finish()
        if on_file:
            on_file(result)

    def finish(self) -> bool:
        """Write the report now; False (and a notice, once) when it cannot be written. The run
        goes on either way and tries again after the next file."""
        try:
            self.write_report()
        except OSError as exc:
            self.report_error = f"cannot write the report {self.out_dir / REPORT_NAME}: {os_error_message(exc, path='')}"
            self.notice("report", self.report_error + " (the run goes on; it is written when space allows)")
            return False
        self.report_error = None
        return True

    def notice(self, kind: str, message: str) -> None:
        if kind not in self._noticed and self.on_notice:
            self._noticed.add(kind)
            self.on_notice(message)

    def write_report(self) -> None:
        header = {
            "docparse": __version__,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "engine": self.options.resolved_engine,
            "model": self.options.resolved_model,
            "options_key": self.options.key(),
            "formats": self.settings.formats,
        }
        write_report(self.out_dir, header, [asdict(r) for r in self.results])


def exit_code(results: list[ItemResult]) -> int:
    """0 when every file converted (or was already done), 1 when any failed."""
    return 1 if any(r.status == "failed" for r in results) else 0


def __getattr__(name: str) -> Any:
    """``batch.discover``: its old home (discovery.py imports this module, so not at import time)."""
    if name == "discover":
        from docparse.discovery import discover

        return discover
    raise AttributeError(name)
