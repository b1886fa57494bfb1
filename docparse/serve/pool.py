"""The pool of conversion processes, its start-up check, page progress, and recovery from a crash."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from typing import Callable

from docparse.errors import EngineError
from docparse.options import ConvertOptions
from docparse.serve.worker import ConvertTask, convert_task, init_worker, ready

STARTUP_LINGER_S = 0.3  # each start-up ping keeps its worker busy this long, so every worker gets one
ProgressCallback = Callable[[str, "int | None", "int | None"], None]


class ConversionPool:
    """``workers`` processes, each with the engine built once from ``options``."""

    def __init__(self, options: ConvertOptions, workers: int) -> None:
        self.options = options
        self.workers = max(1, workers)
        # spawn, not fork: the server process holds sockets and threads a child must not inherit
        self._ctx = mp.get_context("spawn")
        self._progress = self._ctx.Queue()
        self._on_progress: ProgressCallback | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_progress, name="docparse-progress", daemon=True)
        self._stopping = False

    def start(self) -> None:
        """Start the workers and wait until each has loaded its engine; ``EngineError`` if one cannot."""
        self._executor = self._new_executor()
        pings = [self._executor.submit(ready, STARTUP_LINGER_S) for _ in range(self.workers)]
        errors = {p.result() for p in pings} - {None}
        if errors:
            self.close()
            raise EngineError(sorted(errors)[0])
        if not self._reader.is_alive():
            self._reader.start()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=init_worker,
            initargs=(asdict(self.options), self._progress),
        )

    def on_progress(self, callback: ProgressCallback) -> None:
        self._on_progress = callback

    def submit(self, task: ConvertTask) -> Future:
        with self._lock:
            assert self._executor is not None, "pool not started"
            return self._executor.submit(convert_task, task)

    def replace_broken(self) -> None:
        """After a worker died (crash, killed for memory): a fresh pool for the next jobs."""
        with self._lock:
            old = self._executor
            self._executor = self._new_executor()
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._stopping = True
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())  # to stop conversions in flight
        executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.terminate()
        for proc in processes:
            proc.join(timeout=5)

    def _read_progress(self) -> None:
        while not self._stopping:
            try:
                job_id, done, total = self._progress.get(timeout=0.5)
            except queue_mod.Empty:
                continue
            except (OSError, ValueError, EOFError):
                return
            if self._on_progress is not None:
                self._on_progress(job_id, done, total)
