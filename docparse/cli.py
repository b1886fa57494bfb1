"""The command line: ``docparse convert``, ``docparse eval``, ``docparse schema``, ``docparse model info``.

Progress and errors go to stderr (rich); results go to files (or stdout for ``schema``).
Exit codes: 0 everything converted, 1 some file failed, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from docparse import __version__
from docparse.errors import DocparseError, OptionsError
from docparse.names import printable
from docparse.options import ConvertOptions, parse_formats
from docparse.serve.command import build_serve_command

app = typer.Typer(
    name="docparse",
    help="Convert PDFs and page images into HTML, Markdown, JSON and QwenVL HTML with layout boxes and reading order.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="Inspect Qwen2.5-VL checkpoints.", no_args_is_help=True)
app.add_typer(model_app, name="model")
# `docparse serve`: its options are generated from ConvertOptions (FastAPI is imported only when it runs)
app.command("serve")(build_serve_command())

err = Console(stderr=True)

_HELP = {f: ConvertOptions.__dataclass_fields__[f].metadata["help"] for f in ConvertOptions.__dataclass_fields__}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docparse {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """docparse: documents to structured content."""


@app.command()
def convert(
    # readable=False: an unreadable file is one failed file (exit 1), not a usage error for the run
    inputs: List[Path] = typer.Argument(..., readable=False, help="PDF or image files, or folders (searched recursively)."),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder; input folders are mirrored under it."),
    format: str = typer.Option("md,html,json,qwenvl", "--format", "-f", help="Comma-separated: md, html, json, qwenvl (or all)."),
    engine: str = typer.Option("auto", "--engine", "-e", help=_HELP["engine"]),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=_HELP["model"]),
    pages: Optional[str] = typer.Option(None, "--pages", "-p", help=_HELP["pages"]),
    dpi: float = typer.Option(ConvertOptions.dpi, "--dpi", help=_HELP["dpi"]),
    min_pixels: int = typer.Option(ConvertOptions.min_pixels, "--min-pixels", help=_HELP["min_pixels"]),
    max_pixels: int = typer.Option(ConvertOptions.max_pixels, "--max-pixels", help=_HELP["max_pixels"]),
    ocr: str = typer.Option("auto", "--ocr", help=_HELP["ocr"]),
    ocr_language: str = typer.Option("eng", "--ocr-language", help=_HELP["ocr_language"]),
    no_passes: bool = typer.Option(False, "--no-passes", help="Skip the document passes (raw engine blocks)."),
    password: Optional[str] = typer.Option(None, "--password", help=_HELP["password"]),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Files converted in parallel (processes)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Convert again even when the outputs are up to date."),
    save_page_images: bool = typer.Option(False, "--save-page-images", help="Also save each page image at its model input size (pages/), next to qwenvl/: training pairs."),
    overlay: bool = typer.Option(False, "--overlay", help="Draw the boxes on page images (overlay/ and in the HTML)."),
    max_new_tokens: int = typer.Option(ConvertOptions.max_new_tokens, "--max-new-tokens", help=_HELP["max_new_tokens"]),
    batch_size: int = typer.Option(ConvertOptions.batch_size, "--batch-size", help=_HELP["batch_size"]),
    kv_cache_gb: Optional[float] = typer.Option(None, "--kv-cache-gb", help=_HELP["kv_cache_gb"]),
    device: Optional[str] = typer.Option(None, "--device", help=_HELP["device"]),
    dtype: Optional[str] = typer.Option(None, "--dtype", help=_HELP["dtype"]),
    server: Optional[str] = typer.Option(None, "--server", help=_HELP["server"]),
    api_key: Optional[str] = typer.Option(None, "--api-key", help=_HELP["api_key"]),
    concurrency: int = typer.Option(ConvertOptions.concurrency, "--concurrency", help=_HELP["concurrency"]),
    timeout: float = typer.Option(ConvertOptions.timeout, "--timeout", help=_HELP["timeout"]),
    retries: int = typer.Option(ConvertOptions.retries, "--retries", help=_HELP["retries"]),
    temperature: float = typer.Option(ConvertOptions.temperature, "--temperature", help=_HELP["temperature"]),
    retry_temperatures: str = typer.Option(ConvertOptions.retry_temperatures, "--retry-temperatures",
                                           help=_HELP["retry_temperatures"]),
    repetition_penalty: float = typer.Option(ConvertOptions.repetition_penalty, "--repetition-penalty",
                                             help=_HELP["repetition_penalty"]),
    profile: str = typer.Option("auto", "--profile", help=_HELP["profile"]),
    prompt: Optional[str] = typer.Option(None, "--prompt", help=_HELP["prompt"]),
    verify: str = typer.Option(ConvertOptions.verify, "--verify", help=_HELP["verify"]),
    samples: int = typer.Option(ConvertOptions.samples, "--samples", help=_HELP["samples"]),
    verify_retries: int = typer.Option(ConvertOptions.verify_retries, "--verify-retries", help=_HELP["verify_retries"]),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    runner: str = typer.Option("local", "--runner", help="Where to convert: 'local' (this machine, --workers processes) or 'ray' (a Ray cluster with Ray Data, docparse[ray]; --workers N: N engine actors, default one per CPU, or per GPU for vlm)."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="--runner ray: the cluster, e.g. 'auto' or HOST:PORT (default: $RAY_ADDRESS, else a Ray started for this run)."),
    ray_chunk_pages: int = typer.Option(64, "--ray-chunk-pages", min=1, help="--runner ray: a longer document is split into page ranges of this size, converted by different workers."),
) -> None:
    """Convert PDFs and images. Writes OUT/<name>/<name>.{md,html,json}, qwenvl/, assets/ and OUT/docparse-report.json."""
    from docparse.batch import BatchRun, BatchSettings, exit_code
    from docparse.discovery import discover

    try:
        formats = parse_formats(format)
        options = ConvertOptions(
            engine=engine, model=model, pages=pages, password=password, dpi=dpi, min_pixels=min_pixels,
            max_pixels=max_pixels, ocr=ocr, ocr_language=ocr_language, passes=not no_passes,
            max_new_tokens=max_new_tokens, batch_size=batch_size, device=device, dtype=dtype,
            server=server, api_key=api_key, concurrency=concurrency, timeout=timeout, retries=retries,
            temperature=temperature, retry_temperatures=retry_temperatures, repetition_penalty=repetition_penalty,
            profile=profile, prompt=prompt,
            kv_cache_gb=kv_cache_gb,
            verify=verify, samples=samples, verify_retries=verify_retries,
        )
    except OptionsError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)

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
    if runner == "ray":
        run = _ray_run(out, options, settings, ray_address, workers, ray_chunk_pages, notice)
        out = run.out_dir  # where the report is written (with a URL: a local copy, uploaded after each file)
    elif runner == "local":
        run = BatchRun(out, options, settings, workers=workers, on_notice=notice)
    else:
        _say("[red]error:[/red]", f"unknown runner {runner!r}: choose local or ray")
        raise typer.Exit(2)
    restore_signals = interrupt_on_signals()  # SIGINT/SIGTERM: stop the workers, write the report
    try:
        items, problems = discover(inputs, out)
        results = _run_with_progress(run, items, problems, quiet)
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
        _summary(results, out)
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
        return RayRun(out, options, settings, address=address, workers=workers if workers > 1 else None,
                      chunk_pages=chunk_pages, on_notice=notice)
    except DocparseError as exc:  # an output URL fsspec cannot write
        _say("[red]error:[/red]", str(exc))
        raise typer.Exit(2)


def _say(prefix: str, message: str) -> None:
    """One line on stderr: ``prefix`` is markup, ``message`` is not (file names hold brackets)."""
    err.print(f"{prefix} {escape(printable(message))}", highlight=False, soft_wrap=True)


def _run_with_progress(run, items, problems, quiet: bool):  # noqa: ANN001
    """Run the batch; failures one line each on stderr, a progress bar over pages unless quiet."""
    from docparse.batch import count_pages


    def on_file(res) -> None:  # noqa: ANN001
        if res.status == "failed":
            _say("[red]failed[/red]", f"{res.input}: {res.error}")

    if quiet:
        return run.run(items, problems, on_file=on_file)
    for item in items:
        item.pages = count_pages(item.source)
    total = sum(i.pages for i in items) or None
    with Progress(
        TextColumn("[bold]converting"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err, transient=False,
    ) as progress:
        task = progress.add_task("pages", total=total)

        def on_file_progress(res) -> None:  # noqa: ANN001
            on_file(res)
            if res.status == "skipped":
                progress.advance(task, res.pages)

        return run.run(items, problems, on_page=lambda n: progress.advance(task, n), on_file=on_file_progress)


def _summary(results, out: Path) -> None:  # noqa: ANN001
    table = Table(title=f"docparse {__version__}: {len(results)} file(s) -> {out}", show_lines=False)
    for col in ("file", "status", "pages", "seconds", "warnings"):
        table.add_column(col, justify="right" if col in ("pages", "seconds", "warnings") else "left")
    style = {"ok": "green", "partial": "yellow", "failed": "red", "skipped": "dim"}
    shown = results if len(results) <= 50 else [r for r in results if r.status != "ok"][:50]
    for r in shown:
        table.add_row(
            printable(Path(r.input).name), f"[{style.get(r.status, '')}]{r.status}[/]", str(r.pages), f"{r.seconds:.2f}",
            str(len(r.warnings)),
        )
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    pages = sum(r.pages for r in results if r.status != "skipped")
    secs = sum(r.seconds for r in results if r.status != "skipped")
    err.print(table)
    rate = f", {pages / secs:.2f} pages/s" if secs > 0 and pages else ""
    err.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f"; {pages} pages in {secs:.1f} s{rate}")
    err.print(f"report: {out / 'docparse-report.json'}")


@app.command("eval")
def eval_(
    document: Path = typer.Argument(..., help="The PDF or image the ground truth describes."),
    truth: Path = typer.Option(..., "--truth", "-t", help="Ground truth: docparse JSON, OmniDocBench JSON, DoclingDocument JSON, docling-eval CVAT XML or Markdown."),
    truth_format: str = typer.Option("auto", "--truth-format", help="auto, docparse, omnidocbench, docling, cvat or markdown."),
    prediction: Optional[Path] = typer.Option(None, "--prediction", help="Score this docparse JSON output instead of converting the document now."),
    engine: str = typer.Option("auto", "--engine", "-e", help=_HELP["engine"]),
    model: Optional[str] = typer.Option(None, "--model", "-m", help=_HELP["model"]),
    ocr_language: str = typer.Option("eng", "--ocr-language", help=_HELP["ocr_language"]),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON on stdout."),
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

            doc = convert_document(document, engine=engine, model=model, ocr_language=ocr_language)
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


@app.command()
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


@app.command()
def schema() -> None:
    """Print the JSON schema of the JSON output."""
    from docparse.schema import document_schema

    sys.stdout.write(json.dumps(document_schema(), indent=2) + "\n")


@model_app.command("info")
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
