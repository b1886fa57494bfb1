"""The FastAPI application: routes, the error JSON, the API key check.

    GET    /health                 liveness and load (no key needed)
    POST   /v1/convert             multipart ``file`` (+ ``formats``, ``pages``, options) -> 200 result
    POST   /v1/jobs                the same, answered at once -> 202 {"id", "status"}
    GET    /v1/jobs/{id}           status and page progress
    GET    /v1/jobs/{id}/result    the result once done (409 before; the job's error if it failed)
    DELETE /v1/jobs/{id}           forget the job (and its result)
    GET    /docs                   OpenAPI
"""

from __future__ import annotations

import asyncio
import hmac
import shutil
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from docparse import __version__
from docparse.errors import DocparseError
from docparse.options import FORMATS, ConvertOptions, parse_formats
from docparse.serve.errors import ApiError, from_docparse_error
from docparse.serve.fields import REQUEST_FIELDS, request_overrides
from docparse.serve.jobs import ACTIVE, QUEUED, RUNNING, Job, JobStore
from docparse.serve.pool import ConversionPool
from docparse.serve.settings import ServeSettings
from docparse.serve.upload import Upload, make_spool_dir, read_upload
from docparse.serve.worker import ConvertTask
from docparse.source import _safe_name, sniff

EXPIRY_SWEEP_S = 30.0  # how often finished jobs past their TTL are deleted even when nobody asks

_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "A PDF or an image."},
                        "formats": {"type": "string", "description": f"Comma-separated, from {', '.join(FORMATS)} (default md)."},
                        **{name: {"type": "string", "description": ConvertOptions.__dataclass_fields__[name].metadata["help"]}
                           for name in REQUEST_FIELDS},
                    },
                }
            }
        },
    }
}


class Server:
    """What the routes share: settings, the pool, the jobs, the spool folder."""

    def __init__(self, settings: ServeSettings, pool: ConversionPool) -> None:
        self.settings = settings
        self.pool = pool
        self.spool_dir = make_spool_dir()
        self.jobs = JobStore(self.spool_dir, settings.capacity, settings.job_ttl_s)
        self.tasks: set[asyncio.Task] = set()

    def prepare(self, upload: Upload) -> tuple[Job, ConvertTask]:
        """Check what came in and queue it as a job (or raise ``ApiError``; the upload is then deleted)."""
        try:
            if upload.size == 0:
                raise ApiError(422, "unreadable_document", f"empty file: {upload.filename or 'file'}")
            if sniff(upload.head) is None:
                raise ApiError(415, "not_a_document", f"not a PDF or image: {upload.filename or 'file'}")
            form = dict(upload.form)
            formats = parse_formats(form.pop("formats", "md") or "md")
            overrides = request_overrides(form)
            options = ConvertOptions(**{**asdict(self.settings.options), **overrides})
            filename = _safe_name(Path(upload.filename.replace("\\", "/")).name) if upload.filename else "document"
            name = _safe_name(Path(filename).stem)
            job = self.jobs.create(name, upload.path)
        except DocparseError as exc:
            upload.discard()
            raise from_docparse_error(exc) from None
        except ApiError:
            upload.discard()
            raise
        task = ConvertTask(job.id, str(job.upload), str(job.result), name, filename, asdict(options), formats,
                           self.settings.max_pages)
        return job, task

    async def run(self, job: Job, task: ConvertTask) -> None:
        """Run a job on the pool and record how it ended."""
        try:
            job.future = self.pool.submit(task)
            outcome = await asyncio.wrap_future(job.future)
        except asyncio.CancelledError:
            self.jobs.drop(job)
            return
        except BrokenProcessPool:
            self.pool.replace_broken()
            self.jobs.finish(job, ApiError(500, "worker_died", "the conversion process died (crash or out of memory)"))
            return
        if outcome["ok"]:
            job.pages_done = job.pages_total = outcome["pages"]
            self.jobs.finish(job, None)
        else:
            self.jobs.finish(job, ApiError(outcome["status"], outcome["code"], outcome["message"]))

    def on_progress(self, job_id: str, done: int | None, total: int | None) -> None:
        job = self.jobs.jobs.get(job_id)
        if job is not None and job.finished is None:
            self.jobs.progress(job_id, done, total)

    async def sweep(self) -> None:
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_S)
            self.jobs.expire()

    def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.pool.close()
        self.jobs.clear()
        shutil.rmtree(self.spool_dir, ignore_errors=True)


def create_app(settings: ServeSettings, pool: ConversionPool) -> FastAPI:
    """The application over a started ``pool`` (``docparse serve`` starts it before listening)."""
    server = Server(settings, pool)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        pool.on_progress(lambda *args: loop.call_soon_threadsafe(server.on_progress, *args))
        sweeper = asyncio.create_task(server.sweep())
        try:
            yield
        finally:
            sweeper.cancel()
            server.close()

    app = FastAPI(title="docparse", version=__version__, lifespan=lifespan,
                  description="Convert PDFs and page images into structured JSON, Markdown, HTML and QwenVL HTML.")
    app.state.server = server
    _add_error_handlers(app)
    auth = Depends(_key_check(settings.api_key))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        jobs = server.jobs.jobs.values()
        return {
            "status": "ok",
            "version": __version__,
            "engine": settings.options.resolved_engine,
            "workers": settings.workers,
            "queued": sum(1 for j in jobs if j.status == QUEUED),
            "running": sum(1 for j in jobs if j.status == RUNNING),
            "capacity": settings.capacity,
        }

    @app.post("/v1/convert", dependencies=[auth], openapi_extra=_UPLOAD_SCHEMA)
    async def convert(request: Request) -> Response:
        job, task = await _receive(server, request)
        try:
            await server.run(job, task)
            if job.error is not None:
                raise job.error
            return Response(job.result.read_bytes(), media_type="application/json")
        finally:
            server.jobs.drop(job)

    @app.post("/v1/jobs", status_code=202, dependencies=[auth], openapi_extra=_UPLOAD_SCHEMA)
    async def submit(request: Request) -> JSONResponse:
        job, task = await _receive(server, request)
        runner = asyncio.create_task(server.run(job, task))
        server.tasks.add(runner)
        runner.add_done_callback(server.tasks.discard)
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202)

    @app.get("/v1/jobs/{job_id}", dependencies=[auth])
    async def status(job_id: str) -> dict[str, Any]:
        return server.jobs.get(job_id).public()

    @app.get("/v1/jobs/{job_id}/result", dependencies=[auth])
    async def result(job_id: str) -> Response:
        job = server.jobs.get(job_id)
        if job.status in ACTIVE:
            raise ApiError(409, "not_finished", f"job {job.id} is {job.status}; ask again when its status is done")
        if job.error is not None:
            raise job.error
        return FileResponse(job.result, media_type="application/json")

    @app.delete("/v1/jobs/{job_id}", dependencies=[auth])
    async def delete(job_id: str) -> dict[str, Any]:
        job = server.jobs.delete(job_id)
        return {"id": job.id, "status": "deleted"}

    return app


async def _receive(server: Server, request: Request) -> tuple[Job, ConvertTask]:
    server.jobs.check_capacity()  # a full queue refuses before the upload is read, not after
    try:
        upload = await read_upload(request.headers, request.stream(), server.spool_dir, server.settings.max_upload_bytes)
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected", "the client went away mid-upload") from None
    return server.prepare(upload)


def _key_check(api_key: str | None):  # noqa: ANN202 - a FastAPI dependency
    expected = api_key.encode("utf-8") if api_key else None

    def check(request: Request) -> None:
        if expected is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken does not depend on how much of the key matched
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode("utf-8"), expected):
            raise ApiError(401, "unauthorized", "missing or wrong API key: send 'Authorization: Bearer KEY'")

    return check


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        message = f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg', 'invalid request')}"
        return JSONResponse({"error": {"code": "invalid_request", "message": message}}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": {"code": "internal", "message": f"internal error ({type(exc).__name__})"}},
                            status_code=500)
