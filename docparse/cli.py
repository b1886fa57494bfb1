"""The command line: ``docparse convert``, ``docparse eval``, ``docparse schema``, ``docparse model info``.

Progress and errors go to stderr (rich); results go to files (or stdout for ``schema``).
Exit codes: 0 everything converted, 1 some file failed, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from docparse import __version__
from docparse.errors import DocparseError, OptionsError
from docparse.names import printable
from docparse.batch import WORKERS_HELP, default_workers
from docparse.cli_options import Command, Group, options_from, with_options
from docparse.cli_progress import print_summary, run_with_progress
from docparse.cli_stdio import convert_to_stdout
from docparse.options import parse_formats
from docparse.serve.command import build_serve_command

app = typer.Typer(
    name="docparse",
    help="Convert PDFs and page images into HTML, Markdown, JSON and QwenVL HTML with layout boxes and reading order.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)
model_app = typer.Typer(help="Inspect Qwen2.5-VL checkpoints.", no_args_is_help=True, cls=Group)
app.add_typer(model_app, name="model")
# `docparse serve`: its options are generated from ConvertOptions (FastAPI is imported only when it runs)
app.command("serve", cls=Command)(build_serve_command())

err = Console(stderr=True)

_OUTPUT, _RUN = "Output", "Run"


def set_log_level(verbose: int) -> None:
    """-v: docparse's and httpx's loggers at INFO on stderr; -vv: DEBUG. Other libraries stay at
    WARNING (httpcore's DEBUG lines would show request internals)."""
    import logging

    if verbose <= 0:
        return
    level = logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("docparse", "httpx"):
        logging.getLogger(name).setLevel(level)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docparse {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """docparse: documents to structured content."""


@app.command(cls=Command)
@with_options(after="format")
def convert(
    # readable=False: an unreadable file is one failed file (exit 1), not a usage error for the run
    inputs: List[Path] = typer.Argument(..., readable=False, help="PDF or image files, or folders (searched recursively); '-': one PDF or image read from stdin."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", show_default=False, rich_help_panel=_OUTPUT,
                                       help="Output folder; input folders are mirrored under it (default: out). '-': write one format to stdout (one input file); the default for input '-'."),
    format: Optional[str] = typer.Option(None, "--format", "-f", show_default=False, rich_help_panel=_OUTPUT,
                                         help="Comma-separated: md, html, json, qwenvl (or all); default: all four, md to stdout."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, show_default=False, rich_help_panel=_RUN,
                                         help=WORKERS_HELP.format(default=default_workers())),
    overwrite: bool = typer.Option(False, "--overwrite", rich_help_panel=_RUN, help="Convert again even when the outputs are up to date."),
    save_page_images: bool = typer.Option(False, "--save-page-images", rich_help_panel=_OUTPUT, help="Also save each page image at its model input size (pages/), next to qwenvl/: training pairs."),
    overlay: bool = typer.Option(False, "--overlay", rich_help_panel=_OUTPUT, help="Draw the boxes on page images: overlay/, the page images without boxes in pages/, and the boxes in the HTML."),
    quiet: bool = typer.Option(False, "--quiet", "-q", rich_help_panel=_RUN, help="No progress bar or summary."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, metavar="", show_default=False, rich_help_panel=_RUN, help="Say more on stderr: -v each file's status and warnings as it ends, and docparse's and the HTTP client's log at INFO; -vv at DEBUG."),
    runner: str = typer.Option("local", "--runner", rich_help_panel=_RUN, help="Where to convert: 'local' (this machine, --workers processes) or 'ray' (a Ray cluster with Ray Data, docparse\\[ray]; --workers N: N engine actors, default one per CPU, or per GPU for vlm)."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", rich_help_panel=_RUN, help="--runner ray: the cluster, e.g. 'auto' or HOST:PORT (default: $RAY_ADDRESS, else a Ray started for this run)."),
    ray_chunk_pages: int = typer.Option(64, "--ray-chunk-pages", min=1, rich_help_panel=_RUN, help="--runner ray: a longer document is split into page ranges of this size, converted by different workers."),
    **conversion: Any,
) -> None:
    """Convert PDFs and images. Writes OUT/<name>/<name>.{md,html,json}, qwenvl/, assets/ and OUT/docparse-report.json."""
    from docparse.batch import BatchRun, BatchSettings, exit_code
    from docparse.discovery import discover

    set_log_level(verbose)
    to_stdout = str(out) == "-" or (out is None and [str(i) for i in inputs] == ["-"])
    try:
        options = options_from(conversion)
        formats = parse_formats(format or ("md" if to_stdout else "md,html,json,qwenvl"))
    except OptionsError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    if to_stdout:
        raise typer.Exit(convert_to_stdout(inputs, formats, options, quiet=quiet, say=_say))
    if any(str(i) == "-" for i in inputs):
        _say("[red]error:[/red]", "input '-' (stdin) is written to stdout: leave out -o, or save it to a file first")
        raise typer.Exit(2)
    out = out or Path("out")

    from docparse.output.files import prepare_output_folder
    from docparse.process_guard import interrupt_on_signals

    try:
        if runner == "ray":  # a shared folder, file:// or an fsspec URL (s3:// ...)
            from docparse.runners.ray import resolve_out

            out = resolve_out(str(out))
        if isinstance(out, Path):
            prepare_output_folder(out)
    except DocparseError as exc:
        _say("[red]error:[/red]", str(exc))
        raise typer.Exit(2)

    settings = BatchSettings(formats=formats, overwrite=overwrite, save_page_images=save_page_images, overlay=overlay)
    notice = lambda m: _say("[yellow]warning:[/yellow]", m)  # noqa: E731
    if runner == "ray":  # --workers not given: Ray's own default (one actor per CPU, or per GPU for vlm)
        run = _ray_run(out, options, settings, ray_address, workers, ray_chunk_pages, notice)
        out = run.out_dir  # where the report is written (with a URL: a local copy, uploaded after each file)
    elif runner == "local":
        run = BatchRun(out, options, settings, workers=workers or default_workers(), on_notice=notice)
    else:
        _say("[red]error:[/red]", f"unknown runner {runner!r}: choose local or ray")
        raise typer.Exit(2)
    started = time.monotonic()  # the summary's pages/s: wall time, not the sum of per-file seconds
    restore_signals = interrupt_on_signals()  # SIGINT/SIGTERM: stop the workers, write the report
    try:
        items, problems = discover(inputs, out)
        results = run_with_progress(run, items, problems, quiet=quiet, verbose=verbose, say=_say, console=err)
    except KeyboardInterrupt as exc:  # RunInterrupted, or Ctrl-C before the handler was set
        run.finish()
        code = getattr(exc, "exit_code", 130)
        _say("[red]interrupted:[/red]", f"{len(run.results)} file(s) done, report: {out / 'docparse-report.json'}")
        raise typer.Exit(code)
    finally:
        restore_signals()
    if run.engine_error is not None:  # the engine never started (a server not reachable ...): one line
        run.finish()
        failed = sum(1 for r in results if r.status == "failed")
        _say("[red]failed[/red]", f"{failed} file(s), the engine did not start: {run.engine_error}")
        raise typer.Exit(1)
    if not quiet:
        print_summary(results, out, time.monotonic() - started, err)
    if not run.finish():
        _say("[red]error:[/red]", str(run.report_error))
        raise typer.Exit(1)
    raise typer.Exit(exit_code(results))


def _ray_run(out, options, settings, address, workers, chunk_pages, notice):  # noqa: ANN001, ANN202
    """The Ray runner, or exit 2 with one line when Ray is not installed."""
    try:
        from docparse.runners.ray import RayRun
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError as exc:
        from docparse.runners.ray import ray_unavailable_message

        _say("[red]error:[/red]", ray_unavailable_message(exc))
        raise typer.Exit(2)
    try:
        return RayRun(out, options, settings, address=address, workers=workers,
                      chunk_pages=chunk_pages, on_notice=notice)
    except DocparseError as exc:  # an output URL fsspec cannot write
        _say("[red]error:[/red]", str(exc))
        raise typer.Exit(2)


def _say(prefix: str, message: str) -> None:
    """One line on stderr: ``prefix`` is markup, ``message`` is not (file names hold brackets)."""
    err.print(f"{prefix} {escape(printable(message))}", highlight=False, soft_wrap=True)


@app.command("eval", cls=Command)
@with_options(after="prediction", names=("engine", "model", "ocr_language"))
def eval_(
    document: Path = typer.Argument(..., help="The PDF or image the ground truth describes."),
    truth: Path = typer.Option(..., "--truth", "-t", help="Ground truth: docparse JSON, OmniDocBench JSON, DoclingDocument JSON, docling-eval CVAT XML or Markdown."),
    truth_format: str = typer.Option("auto", "--truth-format", help="auto, docparse, omnidocbench, docling, cvat or markdown."),
    prediction: Optional[Path] = typer.Option(None, "--prediction", help="Score this docparse JSON output instead of converting the document now."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON on stdout."),
    **conversion: Any,
) -> None:
    """Score docparse's output for one document against its ground truth (text and reading-order
    edit distance, table TEDS, layout and heading precision/recall; see benchmarks/QUALITY.md)."""
    from docparse.document import Document
    from docparse.evaluation.against import TRUTH_FORMATS, TruthError, evaluate, summary_dict

    if truth_format not in TRUTH_FORMATS:
        err.print(f"[red]error:[/red] --truth-format must be one of {', '.join(TRUTH_FORMATS)}")
        raise typer.Exit(2)
    try:
        if prediction is not None:
            doc = Document.from_dict(json.loads(prediction.read_text(encoding="utf-8")))
        else:
            if not document.is_file():
                raise TruthError(f"document not found: {document}")
            from docparse.api import convert as convert_document

            doc = convert_document(document, **conversion)
        total, pages = evaluate(document, truth, truth_format, prediction=doc)
    except (DocparseError, OSError, ValueError, KeyError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    if as_json:
        out = {"document": str(document), "truth": str(truth), "engine": doc.engine.name, **summary_dict(total)}
        out["per_page"] = [{"page": p, **summary_dict(s)} for p, s in pages]
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    Console().print(_scores_table(f"{document.name} vs {truth.name} ({doc.engine.name})", total, pages))


def _scores_table(title: str, total, pages) -> Table:  # noqa: ANN001
    from docparse.evaluation.against import summary_dict

    columns = [
        ("text edit ↓", "text_edit"), ("order edit ↓", "order_edit"), ("TEDS ↑", "teds"),
        ("TEDS-S ↑", "teds_structure"), ("layout P / R ↑", ("layout_precision", "layout_recall")),
        ("heading P / R ↑", ("heading_precision", "heading_recall")), ("level P / R ↑", ("level_precision", "level_recall")),
    ]

    def fmt(d: dict, key) -> str:  # noqa: ANN001
        if isinstance(key, tuple):
            a, b = d[key[0]], d[key[1]]
            return "–" if a is None and b is None else " / ".join("–" if v is None else f"{v:.2f}" for v in (a, b))
        v = d[key]
        return "–" if v is None else f"{v:.3f}"

    table = Table(title=title)
    table.add_column("page")
    for name, _ in columns:
        table.add_column(name, justify="right")
    rows = [("all" if len(pages) != 1 or pages[0][0] is None else str(pages[0][0] + 1), total)]
    if len(pages) > 1:
        rows = [(str(p + 1) if p is not None else "doc", s) for p, s in pages] + rows
    for label, s in rows:
        d = summary_dict(s)
        table.add_row(label, *(fmt(d, key) for _, key in columns))
    return table


@app.command(cls=Command)
def profiles() -> None:
    """List the checkpoint profiles: the checkpoints each serves, its prompts, chat order, image rule and settings."""
    from docparse.profiles import DEFAULT_PROFILE, PROFILES

    table = Table(title="docparse profiles (--profile NAME; default: detected from the model, else "
                  f"{DEFAULT_PROFILE})", show_lines=True)
    for col in ("profile", "checkpoints", "prompts (--prompt)", "request", "good at"):
        table.add_column(col, overflow="fold")
    for p in PROFILES.values():
        prompts = "\n".join(f"{c.name}{' (default)' if i == 0 else ''}" for i, c in enumerate(p.prompts))
        system = "template system" if p.system is None else "own system"
        gen = p.generation
        ladder = f", ladder {'/'.join(str(t) for t in gen.ladder)}" if gen.ladder else ""
        request = (f"{p.order}, {system}\n{p.image.note}\ntemperature {gen.temperature}, max {gen.max_tokens} tokens"
                   f"{ladder}\n{'boxes' if p.has_boxes else 'no boxes (aligned to the page words)'}"
                   f"{', remote only' if p.remote_only else ''}")
        table.add_row(p.name, "\n".join(p.checkpoints), prompts, request, p.good_at)
    Console(width=max(140, Console().width)).print(table)


@app.command(cls=Command)
def schema() -> None:
    """Print the JSON schema of the JSON output."""
    from docparse.schema import document_schema

    sys.stdout.write(json.dumps(document_schema(), indent=2) + "\n")


@model_app.command("info", cls=Command)
def model_info(path: str = typer.Argument(..., help="Checkpoint folder or model id in the local Hugging Face cache.")) -> None:
    """Check a checkpoint: size, dtype, parameter count, missing or unexpected tensors. Exit 1 when incomplete."""
    try:
        from qwen2_5_vl.weights import checkpoint_info
    except ImportError as exc:
        err.print(f"[red]error:[/red] the model tools need torch, safetensors and tokenizers ({exc})")
        raise typer.Exit(2)
    try:
        info = checkpoint_info(path)
    except (OSError, ValueError, MemoryError) as exc:  # missing, unreadable, corrupt or refused files
        err.print(f"[red]error:[/red] {_one_line(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    except Exception as exc:  # anything unforeseen still ends in one line, not a traceback
        err.print(f"[red]error:[/red] {type(exc).__name__}: {_one_line(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    table = Table(title=f"checkpoint {path}")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    shown = dict(info)
    shown["size_bytes"] = f"{info['size_bytes']:,} ({info['size_bytes'] / 1e9:.2f} GB)"
    shown["parameter_count"] = f"{info['parameter_count']:,} ({info['parameter_count'] / 1e9:.2f} B)"
    for key, value in shown.items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value[:20])) + (f" … (+{len(value) - 20})" if len(value) > 20 else "") if value else "none"
        table.add_row(str(key), str(value))
    Console().print(table)
    # incomplete: a tensor missing / unexpected / mis-shaped / duplicated, or no usable config.json
    if not info.get("complete", False):
        reasons = [f"{part}: {info[part]['error']}" for part in ("config", "tokenizer")
                   if isinstance(info.get(part), dict) and "error" in info[part]]
        reasons += [f"{key.replace('_', ' ')} ({len(info[key])})" for key in
                    ("missing_keys", "unexpected_keys", "mismatched_shapes", "duplicate_keys", "non_float_tensors")
                    if info.get(key)]
        why = _one_line("; ".join(reasons) or "see the table")
        err.print(f"[red]checkpoint incomplete:[/red] {_one_line(path)} cannot be loaded as it is ({why})",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    raise typer.Exit(0)


def _one_line(message: object) -> str:
    """An error message on one line, rich markup escaped (a path may hold brackets)."""
    from rich.markup import escape

    text = " ".join(str(message).split())
    return escape(text if len(text) <= 600 else text[:597] + "...")


def main() -> None:
    try:
        app()
    except DocparseError as exc:  # pragma: no cover - commands handle their own
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
