"""``docparse serve``: its options are the server's own plus every engine field of ``ConvertOptions``.

The engine options are generated from the dataclass (name, default, help), so a field another
part of docparse adds to ``ConvertOptions`` becomes a ``docparse serve`` flag without an edit here.
"""

from __future__ import annotations

import inspect
import os
import sys
from dataclasses import MISSING, fields
from typing import Any, Callable, Optional

import typer

from docparse.options import ConvertOptions
from docparse.serve.fields import REQUEST_ONLY_FIELDS, base_type, coerce, option_help, option_types
from docparse.serve.settings import (
    DEFAULT_JOB_TTL_S, DEFAULT_MAX_PAGES, DEFAULT_MAX_UPLOAD_MB, DEFAULT_QUEUE_SIZE, ServeSettings,
)

_SIMPLE = (str, int, float, bool)

_SERVER_PARAMS: list[tuple[str, Any, Any]] = [
    ("host", str, typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface).")),
    ("port", int, typer.Option(8000, "--port", min=1, max=65535, help="TCP port.")),
    ("workers", int, typer.Option(1, "--workers", "-w", min=1, help="Conversion processes, each holding one engine (a vlm engine: one per GPU).")),
    ("api_key", Optional[str], typer.Option(None, "--api-key", envvar="DOCPARSE_API_KEY", show_default=False,
                                            help="Require 'Authorization: Bearer KEY' on /v1/* (prefer the DOCPARSE_API_KEY variable: a flag shows in ps).")),
    ("max_upload_mb", float, typer.Option(DEFAULT_MAX_UPLOAD_MB, "--max-upload-mb", min=0.001, help="Largest upload, in MB; refused (413) while it streams.")),
    ("max_pages", int, typer.Option(DEFAULT_MAX_PAGES, "--max-pages", min=1, help="Most pages converted per request (after --pages); more is refused (413).")),
    ("queue_size", int, typer.Option(DEFAULT_QUEUE_SIZE, "--queue-size", min=0, help="Conversions that may wait for a worker; beyond that requests get 503.")),
    ("job_ttl", float, typer.Option(DEFAULT_JOB_TTL_S, "--job-ttl", min=1, help="Seconds a finished job's result is kept.")),
    ("log_level", str, typer.Option("info", "--log-level", help="uvicorn log level: critical, error, warning, info, debug.")),
]


def engine_fields() -> list[str]:
    """The ``ConvertOptions`` fields that are server options (all but the per-request-only ones)."""
    return [f.name for f in fields(ConvertOptions) if f.name not in REQUEST_ONLY_FIELDS]


def _default(name: str) -> Any:
    f = ConvertOptions.__dataclass_fields__[name]
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def param_name(field: str, server_names: set[str]) -> str:
    """The ``serve`` parameter of an engine field: its own name, or ``engine_<name>`` where the
    server has a parameter of that name (``--api-key`` is the server's key; the remote engine's
    key for its upstream server is ``--engine-api-key``)."""
    return f"engine_{field}" if field in server_names else field


def _engine_param(name: str, field: str, hint: Any) -> inspect.Parameter:
    kind, nullable = base_type(hint)
    default = _default(field)
    flag = "--" + name.replace("_", "-")
    note = f" (for serve: {flag}; the server's own options come first)" if name != field else ""
    if kind is bool:
        option = typer.Option(bool(default), f"{flag}/--no-{name.replace('_', '-')}", help=option_help(field))
        annotation: Any = bool
    elif kind in _SIMPLE:
        option = typer.Option(default, flag, help=option_help(field) + note, show_default=field != "api_key")
        annotation = Optional[kind] if nullable or default is None else kind
    else:  # lists and the like: a comma-separated string, read like a form field
        shown = ",".join(map(str, default)) if isinstance(default, (list, tuple)) else default
        option = typer.Option(None if shown is None else str(shown), flag, help=option_help(field) + " (comma-separated)")
        annotation = Optional[str]
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)


def build_serve_command() -> Callable[..., None]:
    hints = option_types()
    params = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=o, annotation=t) for n, t, o in _SERVER_PARAMS]
    server_names = {p.name for p in params}
    params += [_engine_param(param_name(n, server_names), n, hints[n]) for n in engine_fields()]

    def serve(**kwargs: Any) -> None:
        """Run the conversion API over HTTP (FastAPI + uvicorn): POST /v1/convert, /v1/jobs, GET /health, /docs."""
        run_server(kwargs, hints)

    serve.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    serve.__annotations__ = {p.name: p.annotation for p in params}
    return serve


def run_server(kwargs: dict[str, Any], hints: dict[str, Any]) -> None:
    server_names = {name for name, _, _ in _SERVER_PARAMS}
    from rich.console import Console

    from docparse.errors import DocparseError

    err = Console(stderr=True)
    try:
        import uvicorn

        from docparse.serve.app import create_app
        from docparse.serve.pool import ConversionPool
    except ImportError as exc:
        err.print(f"[red]error:[/red] docparse serve needs FastAPI and uvicorn ({exc}): pip install 'docparse[serve]'")
        raise typer.Exit(2)
    try:
        engine_kwargs = {}
        for name in engine_fields():
            value = kwargs.get(param_name(name, server_names))
            if isinstance(value, str) and base_type(hints[name])[0] not in _SIMPLE:
                value = coerce(name, value, hints[name])
            engine_kwargs[name] = value
        options = ConvertOptions(**engine_kwargs)
        settings = ServeSettings(
            options=options, workers=kwargs["workers"], api_key=kwargs["api_key"] or None,
            max_upload_mb=kwargs["max_upload_mb"], max_pages=kwargs["max_pages"],
            queue_size=kwargs["queue_size"], job_ttl_s=kwargs["job_ttl"],
        )
        # The server's own key is read; the workers must not see it: the remote engine would take
        # $DOCPARSE_API_KEY for its upstream server's key (that one is --engine-api-key).
        os.environ.pop("DOCPARSE_API_KEY", None)
        pool = ConversionPool(options, settings.workers)
        err.print(f"docparse serve: starting {settings.workers} worker(s) with the {options.resolved_engine} engine")
        pool.start()
    except DocparseError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    app = create_app(settings, pool)
    auth = "API key required" if settings.api_key else "no API key (anyone who can reach the port can convert)"
    err.print(f"docparse serve: http://{kwargs['host']}:{kwargs['port']} ({auth}); OpenAPI at /docs")
    uvicorn.run(app, host=kwargs["host"], port=kwargs["port"], log_level=kwargs["log_level"], workers=1)
    sys.stderr.flush()
