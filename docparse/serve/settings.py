"""The server's settings: limits, queue, job lifetime, and the options its engine is built from."""

from __future__ import annotations

from dataclasses import dataclass, field

from docparse.options import ConvertOptions

DEFAULT_MAX_UPLOAD_MB = 100.0  # a long scanned PDF; bigger belongs in the batch runners
DEFAULT_MAX_PAGES = 500  # pages per request (after --pages), so one request cannot hold a worker for hours
DEFAULT_QUEUE_SIZE = 32  # conversions waiting for a worker; one more gets 503
DEFAULT_JOB_TTL_S = 3600.0  # a finished job's result is kept this long, then deleted
MAX_FORM_FIELD_BYTES = 4096  # a form field (formats, pages ...) is a short string
MAX_FORM_FIELDS = 32


@dataclass
class ServeSettings:
    options: ConvertOptions = field(default_factory=ConvertOptions)
    workers: int = 1  # conversion processes, each holding one engine
    api_key: str | None = None  # never logged; compared in constant time
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    max_pages: int = DEFAULT_MAX_PAGES
    queue_size: int = DEFAULT_QUEUE_SIZE
    job_ttl_s: float = DEFAULT_JOB_TTL_S

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def capacity(self) -> int:
        """Conversions the server holds at once: one running per worker plus the queue."""
        return self.workers + self.queue_size
