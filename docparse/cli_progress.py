"""What ``docparse convert`` shows on stderr while a batch runs: failures, a progress bar, a summary.

Honest on a rerun: files skipped because their outputs are up to date leave the bar's total (the
bar counts pages to convert) and are counted apart; the summary says how many were converted and
how many skipped, and its pages/s is pages converted over the run's wall time (with several
workers the per-file seconds overlap, and adding them up would understate the rate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from docparse import __version__
from docparse.names import printable
from docparse.report import REPORT_NAME

Say = Callable[[str, str], None]

#: More files than this: the summary table lists only those that are not ``ok``.
SUMMARY_ROWS = 50


def run_with_progress(run: Any, items: list[Any], problems: list[Any], *, quiet: bool, verbose: int,
                      say: Say, console: Console) -> list[Any]:
    """Run the batch; failures one line each on stderr, a progress bar over pages unless quiet,
    with ``verbose`` each file's status and warnings as it ends."""
    from docparse.batch import count_pages

    def on_file(res: Any) -> None:
        if res.status == "failed":
            say("[red]failed[/red]", f"{res.input}: {res.error}")
        elif verbose:
            say(f"[dim]{res.status}[/dim]", f"{res.input}: {res.pages} page(s), {res.seconds:.2f} s, "
                f"{len(res.warnings)} warning(s)")
        if verbose:
            for warning in res.warnings:
                say("[yellow]warning:[/yellow]", f"{res.input}: {warning}")

    if quiet:
        return run.run(items, problems, on_file=on_file)
    for item in items:
        item.pages = count_pages(item.source)
    total = sum(i.pages for i in items)
    with Progress(
        TextColumn("[bold]converting"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
        TextColumn("{task.fields[skipped]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        console=console, transient=False,
    ) as progress:
        task = progress.add_task("pages", total=total or None, skipped="")
        skipped = {"files": 0, "pages": 0}

        def on_file_progress(res: Any) -> None:
            on_file(res)
            if res.status == "skipped":  # up to date: its pages leave the total, counted apart
                skipped["files"] += 1
                skipped["pages"] += res.pages
                progress.update(task, total=max(0, total - skipped["pages"]), skipped=f"({skipped['files']} skipped)")

        return run.run(items, problems, on_page=lambda n: progress.advance(task, n), on_file=on_file_progress)


def summary_line(results: list[Any], wall_seconds: float) -> str:
    """'2 converted (1 ok, 1 partial), 3 skipped, 1 failed; 12 pages in 4.1 s, 2.93 pages/s'."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    converted = counts.get("ok", 0) + counts.get("partial", 0)
    parts = ", ".join(f"{counts[s]} {s}" for s in ("ok", "partial") if counts.get(s))
    line = f"{converted} converted" + (f" ({parts})" if parts else "")
    for status in ("skipped", "failed"):
        if counts.get(status):
            line += f", {counts[status]} {status}"
    pages = sum(r.pages for r in results if r.status in ("ok", "partial"))
    rate = f", {pages / wall_seconds:.2f} pages/s" if wall_seconds > 0 and pages else ""
    return line + f"; {pages} pages in {wall_seconds:.1f} s{rate}"


def print_summary(results: list[Any], out: Path, wall_seconds: float, console: Console) -> None:
    table = Table(title=f"docparse {__version__}: {len(results)} file(s) -> {out}", show_lines=False)
    for col in ("file", "status", "pages", "seconds", "warnings"):
        table.add_column(col, justify="right" if col in ("pages", "seconds", "warnings") else "left")
    style = {"ok": "green", "partial": "yellow", "failed": "red", "skipped": "dim"}
    shown = results if len(results) <= SUMMARY_ROWS else [r for r in results if r.status != "ok"][:SUMMARY_ROWS]
    for r in shown:
        table.add_row(
            printable(Path(r.input).name), f"[{style.get(r.status, '')}]{r.status}[/]", str(r.pages), f"{r.seconds:.2f}",
            str(len(r.warnings)),
        )
    console.print(table)
    console.print(summary_line(results, wall_seconds), highlight=False)
    console.print(f"report: {out / REPORT_NAME}", highlight=False)
