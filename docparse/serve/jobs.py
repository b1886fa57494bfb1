"""Jobs: what a conversion is doing, its page progress, where its result is, when it expires.

Every conversion -- a synchronous ``/v1/convert`` as much as a ``/v1/jobs`` -- is a job, so one
bound covers both: at most ``capacity`` jobs are queued or running; one more is refused (503).
Finished jobs keep their result file (in the private spool folder) for ``ttl_s`` seconds.
All methods run on the event loop's thread.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docparse.serve.errors import ApiError

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)


@dataclass
class Job:
    id: str
    name: str
    upload: Path
    result: Path
    status: str = QUEUED
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    pages_done: int = 0
    pages_total: int | None = None
    error: ApiError | None = None
    deleted: bool = False  # DELETE while running: forget it as soon as it ends
    future: Any = None

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "name": self.name,
            "pages_done": self.pages_done,
            "pages_total": self.pages_total,
            "created": _iso(self.created),
            "started": _iso(self.started),
            "finished": _iso(self.finished),
        }
        if self.error is not None:
            out["error"] = self.error.body()["error"]
        return out

    def remove_files(self) -> None:
        self.upload.unlink(missing_ok=True)
        self.result.unlink(missing_ok=True)


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class JobStore:
    def __init__(self, spool_dir: Path, capacity: int, ttl_s: float) -> None:
        self.spool_dir = spool_dir
        self.capacity = capacity
        self.ttl_s = ttl_s
        self.jobs: dict[str, Job] = {}

    def active(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status in ACTIVE)

    def check_capacity(self) -> None:
        """503 when ``capacity`` jobs are already queued or running."""
        self.expire()
        if self.active() >= self.capacity:
            raise ApiError(503, "queue_full", f"the server is busy ({self.capacity} conversions queued or running); retry later")

    def create(self, name: str, upload: Path) -> Job:
        """A new queued job, or 503 when the queue is full."""
        self.check_capacity()
        job_id = secrets.token_hex(16)
        job = Job(id=job_id, name=name, upload=upload, result=self.spool_dir / f"result-{job_id}.json")
        self.jobs[job_id] = job
        return job

    def get(self, job_id: str) -> Job:
        self.expire()
        job = self.jobs.get(job_id)
        if job is None or job.deleted:
            raise ApiError(404, "not_found", "no such job (it may have expired)")
        return job

    def progress(self, job_id: str, done: int | None, total: int | None) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            return
        if job.status == QUEUED:
            job.status, job.started = RUNNING, time.time()
        if total is not None:
            job.pages_total = total
        if done is not None:
            job.pages_done += done

    def finish(self, job: Job, error: ApiError | None) -> None:
        job.finished = time.time()
        job.status = FAILED if error else DONE
        job.error = error
        job.upload.unlink(missing_ok=True)  # the upload is never needed again
        if job.deleted:
            self.drop(job)

    def drop(self, job: Job) -> None:
        job.remove_files()
        self.jobs.pop(job.id, None)

    def delete(self, job_id: str) -> Job:
        """Forget a job: a queued one is cancelled, a running one dropped when it ends."""
        job = self.get(job_id)
        job.deleted = True
        if job.status == QUEUED:
            if job.future is not None and job.future.cancel():
                job.status, job.finished = FAILED, time.time()
            else:  # already handed to a worker: without its upload it ends at once
                job.upload.unlink(missing_ok=True)
        if job.status not in ACTIVE:
            self.drop(job)
        return job

    def expire(self) -> None:
        """Drop finished jobs older than the TTL (their results with them)."""
        now = time.time()
        for job in [j for j in self.jobs.values() if j.finished is not None and now - j.finished > self.ttl_s]:
            self.drop(job)

    def clear(self) -> None:
        for job in list(self.jobs.values()):
            self.drop(job)
