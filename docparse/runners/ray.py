"""``docparse convert ... --runner ray``: the batch on a Ray cluster, with Ray Data.

    docparse convert /shared/in -o /shared/out --runner ray --ray-address auto

- The driver lists the files (``docparse.discovery``), skips those whose stamp says they are
  done (the local runner's rule), and makes one task per document -- or, for a long document, one
  per range of ``chunk_pages`` pages, so one big file spreads over many workers.
- The tasks are a Ray Dataset mapped by ``ConvertActor``: a pool of actors, each holding one
  engine for all its tasks (layout: CPU actors; vlm: one actor per GPU; remote: CPU actors that
  call the server). A whole document is converted by the local runner's ``convert_item``, which
  writes its outputs atomically into OUT and its stamp last.
- A long document's ranges come back as pages; when all are in, a Ray task finishes it with the
  same ``convert_item``, over a ``ReplayEngine`` holding those pages (passes, outputs, stamp).
- The driver keeps the progress bar and the run report (``BatchRun``), as the local runner does.
OUT is a folder every node sees (a shared file system, or a ``file://`` URL), or an fsspec URL
(``s3://`` ...; see ``storage``): each document staged on its worker, then uploaded, stamp last.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from docparse.batch import BatchItem, BatchRun, BatchSettings, ItemResult, _is_done, convert_item, count_pages
from docparse.errors import DocparseError, EngineError
from docparse.options import ConvertOptions
from docparse.output.files import safe_child
from docparse.output.stamp import read_stamp
from docparse.report import REPORT_NAME
from docparse.runners.storage import RemoteOut, split_out, staging_dir

DEFAULT_CHUNK_PAGES = 64  # a document longer than this is split into ranges of this many pages


def ray_unavailable_message(exc: BaseException) -> str:
    return f"--runner ray needs Ray Data ({exc}): pip install 'docparse[ray]'"


def resolve_out(out: str | Path) -> Path | str:
    """OUT as a local path (a path, a ``file://`` URL) or as an fsspec URL (``s3://``, ``local://`` ...)."""
    local, url = split_out(out)
    return url if url is not None else local


class RayRun(BatchRun):
    """``BatchRun`` whose documents are converted on a Ray cluster; the report stays on the driver."""

    def __init__(self, out: Path | str, options: ConvertOptions, settings: BatchSettings, address: str | None = None,
                 workers: int | None = None, chunk_pages: int = DEFAULT_CHUNK_PAGES,
                 on_notice: Callable[[str], None] | None = None) -> None:
        local, self.url = split_out(out)
        self.remote = RemoteOut(self.url) if self.url else None
        # with a URL, the report is kept in a local folder and uploaded after every file
        out_dir = staging_dir("docparse-ray-report-") if self.remote else local
        super().__init__(out_dir, options, settings, workers=1, on_notice=on_notice)
        self.address = address
        self.actors = workers
        self.chunk_pages = max(1, chunk_pages)

    def run(self, items: list[BatchItem], problems: list[ItemResult], on_page: Callable[[int], None] | None = None,
            on_file: Callable[[ItemResult], None] | None = None) -> list[ItemResult]:
        import ray

        self.out_dir.mkdir(parents=True, exist_ok=True)
        for p in problems:
            self._record(p, on_file)
        tasks, whole = self._plan(items, on_file, on_page)
        if not tasks:
            return self.results
        if not ray.is_initialized():
            check_reachable(self.address)
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING, ignore_reinit_error=True)
            except Exception as exc:  # no cluster there, a version mismatch ...
                raise EngineError(f"cannot start or join the Ray cluster {self.address or '(local)'}: "
                                  f"{_one_line(exc)}") from None
        try:
            self._execute(tasks, whole, on_page, on_file)
        except Exception as exc:  # the cluster failed under the run (a node lost, an actor that cannot start)
            done = {r.input for r in self.results}
            for item in whole.values():
                if str(item.source) not in done:
                    self._record(ItemResult(str(item.source), item.out_rel, "failed",
                                            error=f"the Ray run failed: {_one_line(exc)}"), on_file)
        return self.results

    # -- planning on the driver ------------------------------------------------------------------

    def _plan(self, items: list[BatchItem], on_file: Any, on_page: Any) -> tuple[list[dict[str, Any]], dict[int, BatchItem]]:
        """One task per document (or per page range of a long one); done documents skipped here."""
        from docparse.source import parse_page_range

        tasks: list[dict[str, Any]] = []
        by_doc: dict[int, BatchItem] = {}
        for doc_id, item in enumerate(items):
            if not self.settings.overwrite and (skipped := self._skipped(item)) is not None:
                self._record(skipped, on_file)  # (the CLI's progress counts a skipped file's pages itself)
                continue
            by_doc[doc_id] = item
            try:
                selected = parse_page_range(self.options.pages, count_pages(item.source) or 1)
            except DocparseError:
                selected = []  # convert_item reports the bad range, as the local runner does
            row = {"doc": doc_id, "source": str(item.source), "out_rel": item.out_rel, "pages": "", "chunk": 0,
                   "chunks": 1}
            if len(selected) <= self.chunk_pages:
                tasks.append(row)
                continue
            ranges = [selected[i:i + self.chunk_pages] for i in range(0, len(selected), self.chunk_pages)]
            for n, indices in enumerate(ranges):
                tasks.append({**row, "pages": ",".join(str(i + 1) for i in indices), "chunk": n, "chunks": len(ranges)})
        return tasks, by_doc

    def _skipped(self, item: BatchItem) -> ItemResult | None:
        try:
            sha = hashlib.sha256(item.source.read_bytes()).hexdigest()
            if self.remote is not None:
                stamp = self.remote.read_stamp(item.out_rel)
            else:
                stamp = read_stamp(safe_child(self.out_dir, *item.out_rel.split("/")))
        except (OSError, ValueError):
            return None  # convert_item reports it
        if not _is_done(stamp, sha, self.options, self.settings):
            return None
        return ItemResult(str(item.source), item.out_rel, "skipped", pages=stamp.get("pages", 0),
                          files=stamp.get("files", []))

    # -- running on the cluster ------------------------------------------------------------------

    def _execute(self, tasks: list[dict[str, Any]], whole: dict[int, BatchItem], on_page: Any, on_file: Any) -> None:
        import ray
        import ray.data

        ray.data.DataContext.get_current().enable_progress_bars = False  # the driver shows its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        placement = actor_resources(self.options, ray.cluster_resources(), self.actors)
        ds = ray.data.from_items(tasks, override_num_blocks=len(tasks))
        ds = ds.map(ConvertActor, fn_constructor_kwargs=self._actor_kwargs(), **placement)
        finish = ray.remote(num_cpus=1)(finish_document)
        chunks: dict[int, list[dict[str, Any]]] = {}
        finishing: dict[Any, BatchItem] = {}
        for row in ds.iter_rows():
            if on_page:
                on_page(int(row["pages_done"]))
            if row["kind"] == "item":
                self._record(ItemResult(**json.loads(row["result"])), on_file)
                continue
            got = chunks.setdefault(int(row["doc"]), [])
            got.append(row)
            if len(got) == int(row["chunks"]):
                item = whole[int(row["doc"])]
                ref = finish.remote(item, self.url or str(self.out_dir), asdict(self.options),
                                    asdict(self.settings), [r["output"] for r in got])
                finishing[ref] = item
                chunks.pop(int(row["doc"]))
        while finishing:
            done, _ = ray.wait(list(finishing), num_returns=1)
            item = finishing.pop(done[0])
            try:
                result = ItemResult(**json.loads(ray.get(done[0])))
            except Exception as exc:  # the task's worker died
                result = ItemResult(str(item.source), item.out_rel, "failed", error=f"worker failed: {exc}")
            self._record(result, on_file)

    def _actor_kwargs(self) -> dict[str, Any]:
        return {"out": self.url or str(self.out_dir), "options": asdict(self.options),
                "settings": asdict(self.settings)}

    def finish(self) -> bool:
        """The report, written locally and, with an output URL, uploaded."""
        if not super().finish():
            return False
        if self.remote is None:
            return True
        try:
            self.remote.put(self.out_dir / REPORT_NAME, REPORT_NAME)
        except OSError as exc:
            self.report_error = f"cannot upload the report to {self.url}: {exc}"
            self.notice("report-upload", self.report_error + " (the run goes on)")
            return False
        return True

    @property
    def shown_out(self) -> str:
        return self.url or str(self.out_dir)


CONNECT_TIMEOUT_S = 5.0  # Ray itself retries an unreachable head for minutes


def check_reachable(address: str | None) -> None:
    """A HOST:PORT address must accept a TCP connection, or the run stops at once with one line."""
    import socket

    if not address or address in ("auto", "local") or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            return
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot reach the Ray cluster at {address}: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def actor_resources(options: ConvertOptions, cluster: dict[str, float], actors: int | None) -> dict[str, Any]:
    """Where the engine actors go: one per GPU for the vlm engine, else one per CPU (or ``actors``)."""
    if options.resolved_engine == "vlm" and cluster.get("GPU", 0) >= 1:
        return {"num_gpus": 1, "compute": _pool(actors or int(cluster["GPU"]))}
    if options.resolved_engine == "vlm":  # no GPU in the cluster: one CPU actor (the model is big)
        return {"num_cpus": 1, "compute": _pool(actors or 1)}
    return {"num_cpus": 1, "compute": _pool(actors or max(1, int(cluster.get("CPU", 1))))}


def _pool(size: int) -> Any:
    import ray.data

    # two tasks queued per actor: no idle gap between documents, and no long queue behind a slow one
    return ray.data.ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=2)


class ConvertActor:
    """A Ray Data actor: builds the engine once, then converts one task (row) at a time."""

    def __init__(self, out: str, options: dict[str, Any], settings: dict[str, Any]) -> None:
        from docparse.engines import create_engine

        self.out = out
        self.options = ConvertOptions(**options)
        self.settings = BatchSettings(**settings)
        self.error: str | None = None
        try:
            self.engine = create_engine(self.options)
        except DocparseError as exc:  # every task of this actor reports it
            self.engine, self.error = None, str(exc)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        item = BatchItem(Path(row["source"]), row["out_rel"])
        out = {"doc": row["doc"], "chunks": row["chunks"], "result": "", "output": ""}
        if self.engine is None:
            result = ItemResult(str(item.source), item.out_rel, "failed", error=self.error)
            return {**out, "kind": "item", "pages_done": 0, "result": json.dumps(asdict(result))}
        if int(row["chunks"]) == 1:
            result = write_item(item, self.out, self.options, self.settings, self.engine)
            return {**out, "kind": "item", "pages_done": result.pages, "result": json.dumps(asdict(result))}
        pages = convert_range(item.source, row["pages"], self.options, self.engine)
        return {**out, "kind": "chunk", "pages_done": len(pages["pages"]), "output": json.dumps(pages)}


def convert_range(source: Path, pages: str, options: ConvertOptions, engine: Any) -> dict[str, Any]:
    """The engine's pages for one range of a document (no passes: they run on the whole document)."""
    from docparse.api import run_pipeline
    from docparse.source import open_source

    opts = ConvertOptions(**{**asdict(options), "pages": pages, "passes": False})
    try:
        opened = open_source(source, password=opts.password)
        try:
            document = run_pipeline(opened, engine, opts)
        finally:
            opened.close()
    except DocparseError:  # the document itself is unreadable: finish_document reports it once
        return {"engine": asdict(engine.info()), "pages": []}
    return {"engine": asdict(document.engine), "pages": [p.to_dict() for p in document.pages]}


def finish_document(item: BatchItem, out: str, options: dict[str, Any], settings: dict[str, Any],
                    outputs: list[str]) -> str:
    """A Ray task: a long document's ranges, converted elsewhere, made into its outputs and stamp."""
    from docparse.runners.replay import ReplayEngine

    parts = [json.loads(o) for o in outputs]
    engine = ReplayEngine.from_pages(parts[0]["engine"], [p for part in parts for p in part["pages"]])
    result = write_item(item, out, ConvertOptions(**options), BatchSettings(**settings), engine)
    result.seconds = round(result.seconds + sum(p.get("seconds") or 0 for part in parts for p in part["pages"]), 3)
    return json.dumps(asdict(result))


def write_item(item: BatchItem, out: str, options: ConvertOptions, settings: BatchSettings, engine: Any) -> ItemResult:
    """``convert_item`` into OUT: straight into a shared folder, or staged locally and uploaded to a URL."""
    import shutil

    local, url = split_out(out)
    if url is None:
        return convert_item(item, local, options, settings, engine)
    stage = staging_dir("docparse-ray-")
    try:
        result = convert_item(item, stage, options, BatchSettings(**{**asdict(settings), "overwrite": True}), engine)
        staged = stage.joinpath(*item.out_rel.split("/"))
        if staged.is_dir():
            try:
                RemoteOut(url).upload_document(staged, item.out_rel)
            except (OSError, ValueError, DocparseError) as exc:
                result.status, result.error = "failed", f"cannot write {url}/{item.out_rel}: {exc}"[:500]
        return result
    finally:
        shutil.rmtree(stage, ignore_errors=True)
