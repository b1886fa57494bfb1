"""Batch conversion: discover files, convert them (in worker processes), write outputs, resume.

- Folders are searched recursively; their structure is mirrored under OUT.
- One bad file never stops the run: it is reported (status ``failed`` with its error) and the
  rest convert.
- Outputs are written atomically; each document's stamp (sha256 of the source + options key)
  is written last, so a rerun skips what is already done and redoes what was interrupted.
- ``OUT/docparse-report.json`` is rewritten (atomically) after every file.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from docparse import __version__
from docparse.errors import DocparseError
from docparse.options import ConvertOptions
from docparse.outputs import atomic_write, read_stamp, safe_child, write_outputs, write_stamp
from docparse.source import SUPPORTED_SUFFIXES, _safe_name

REPORT_NAME = "docparse-report.json"


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


# -- discovery -----------------------------------------------------------------------------------


def discover(inputs: Iterable[str | os.PathLike], out_dir: Path) -> tuple[list[BatchItem], list[ItemResult]]:
    """Files to convert, and failures for inputs that do not exist or hold nothing convertible."""
    items: list[BatchItem] = []
    problems: list[ItemResult] = []
    out_resolved = out_dir.resolve()
    taken: set[str] = set()

    def add(path: Path, rel_parent: Path) -> None:
        stem = _safe_name(path.stem)
        rel = (rel_parent / stem).as_posix()
        if rel in taken:  # a.pdf and a.png side by side: keep both
            rel = (rel_parent / _safe_name(f"{path.stem}_{path.suffix.lstrip('.')}")).as_posix()
        taken.add(rel)
        items.append(BatchItem(source=path, out_rel=rel))

    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            problems.append(ItemResult(input=str(path), output="", status="failed", error=f"no such file: {path}"))
        elif path.is_dir():
            found = False
            for root, dirs, files in os.walk(path):  # followlinks=False: no symlink loops
                root_path = Path(root)
                if root_path.resolve() == out_resolved or out_resolved in root_path.resolve().parents:
                    dirs[:] = []
                    continue
                dirs.sort()
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in sorted(files):
                    f = root_path / name
                    if f.suffix.lower() in SUPPORTED_SUFFIXES and not name.startswith("."):
                        found = True
                        rel_parent = Path(*[_safe_name(p) for p in root_path.relative_to(path).parts])
                        add(f, rel_parent)
            if not found:
                problems.append(
                    ItemResult(input=str(path), output="", status="failed", error=f"no PDF or image files in folder: {path}")
                )
        else:
            add(path, Path("."))
    return items, problems


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
_worker_queue = None


def convert_item(
    item: BatchItem,
    out_dir: Path,
    options: ConvertOptions,
    settings: BatchSettings,
    engine: Any = None,
    on_page: Callable[[Any], None] | None = None,
) -> ItemResult:
    """Convert one file and write its outputs; never raises for a bad file."""
    import hashlib

    from docparse.api import run_pipeline
    from docparse.source import open_source

    start = time.perf_counter()
    target = safe_child(out_dir, *item.out_rel.split("/"))
    result = ItemResult(input=str(item.source), output=str(target.relative_to(out_dir.resolve())), status="failed")
    try:
        sha = hashlib.sha256(item.source.read_bytes()).hexdigest() if item.source.is_file() else None
        stamp = read_stamp(target)
        if (
            not settings.overwrite
            and stamp
            and sha
            and stamp.get("sha256") == sha
            and stamp.get("options_key") == options.key()
            and set(settings.formats) <= set(stamp.get("formats", []))
        ):
            result.status = "skipped"
            result.pages = stamp.get("pages", 0)
            result.files = stamp.get("files", [])
            return result

        opened = open_source(item.source, password=options.password)
        try:
            document = run_pipeline(opened, engine, options, on_page)
            result.files = write_outputs(
                document,
                opened.doc,
                target,
                settings.formats,
                save_page_images=settings.save_page_images,
                overlay=settings.overlay,
            )
        finally:
            opened.close()
        result.pages = len(document.pages)
        result.pages_failed = sum(1 for p in document.pages if p.status.value == "failed")
        result.status = {"ok": "ok", "partial": "partial", "failed": "failed"}[document.status]
        result.warnings = list(document.warnings) + [
            f"page {p.index + 1}: {w}" for p in document.pages for w in p.warnings
        ]
        if result.pages_failed:
            result.warnings += [f"page {p.index + 1} failed: {p.error}" for p in document.pages if p.error]
        write_stamp(
            target,
            {
                "docparse": __version__,
                "source": str(item.source),
                "sha256": sha,
                "options_key": options.key(),
                "formats": settings.formats,
                "pages": result.pages,
                "status": result.status,
                "files": result.files,
            },
        )
    except DocparseError as exc:
        result.error = str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a bug or an unforeseen file: report it, keep the batch going
        result.error = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        result.seconds = round(time.perf_counter() - start, 3)
    return result


def _worker_init(options: ConvertOptions, queue: Any) -> None:
    global _worker_engine, _worker_queue
    from docparse.engines import create_engine

    _worker_engine = create_engine(options)
    _worker_queue = queue


def _worker_convert(item: BatchItem, out_dir: Path, options: ConvertOptions, settings: BatchSettings) -> ItemResult:
    queue = _worker_queue

    def on_page(page: Any) -> None:
        if queue is not None:
            queue.put(1)

    return convert_item(item, out_dir, options, settings, _worker_engine, on_page)


# -- the run -------------------------------------------------------------------------------------


class BatchRun:
    """Converts a list of items with N workers, keeping the report file up to date."""

    def __init__(self, out_dir: Path, options: ConvertOptions, settings: BatchSettings, workers: int = 1):
        self.out_dir = out_dir
        self.options = options
        self.settings = settings
        self.workers = max(1, workers)
        self.results: list[ItemResult] = []
        self.started = time.time()

    def run(
        self,
        items: list[BatchItem],
        problems: list[ItemResult],
        on_page: Callable[[int], None] | None = None,
        on_file: Callable[[ItemResult], None] | None = None,
    ) -> list[ItemResult]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for p in problems:
            self._record(p, on_file)
        if not items:
            return self.results
        if self.workers == 1 or len(items) == 1:
            from docparse.engines import create_engine

            try:
                engine = create_engine(self.options)
            except DocparseError as exc:
                for item in items:
                    self._record(ItemResult(str(item.source), item.out_rel, "failed", error=str(exc)), on_file)
                return self.results
            try:
                for item in items:
                    res = convert_item(
                        item, self.out_dir, self.options, self.settings, engine,
                        (lambda _p: on_page(1)) if on_page else None,
                    )
                    self._record(res, on_file)
            finally:
                engine.close()
        else:
            self._run_pool(items, on_page, on_file)
        return self.results

    def _run_pool(self, items: list[BatchItem], on_page: Any, on_file: Any) -> None:
        # spawn, not fork: the parent may hold MuPDF/ONNX state that must not be shared
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)),
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(self.options, queue),
        ) as pool:
            pending: dict[Future, BatchItem] = {
                pool.submit(_worker_convert, item, self.out_dir, self.options, self.settings): item for item in items
            }
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
        self.write_report()
        if on_file:
            on_file(result)

    def write_report(self) -> None:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        report = {
            "docparse": __version__,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "engine": self.options.resolved_engine,
            "model": self.options.resolved_model,
            "options_key": self.options.key(),
            "formats": self.settings.formats,
            "counts": counts,
            "files": [asdict(r) for r in self.results],
        }
        atomic_write(self.out_dir / REPORT_NAME, json.dumps(report, indent=2, ensure_ascii=False))


def exit_code(results: list[ItemResult]) -> int:
    """0 when every file converted (or was already done), 1 when any failed."""
    return 1 if any(r.status == "failed" for r in results) else 0

