"""Pages per second of docparse's layout engine next to pymupdf4llm, on the same PDFs, in one run.

    .venv/bin/python benchmarks/layout_speed.py                 # every PDF under ../shared/corpus
    .venv/bin/python benchmarks/layout_speed.py samples/*.pdf   # or the files given

Each tool runs in its own subprocess (pymupdf4llm switches global layout state; a fresh process
also counts each tool's own start-up once), over the same files in the same order. Prints a
table and writes it to benchmarks/SPEED.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
RESULTS = REPO / "benchmarks" / "SPEED.md"

TOOLS = {
    "docparse layout (md+html+json)": "docparse",
    "docparse layout, no passes": "docparse-nopasses",
    "pymupdf4llm.to_markdown (layout mode)": "p4l-layout",
    "pymupdf4llm.to_markdown (legacy mode)": "p4l-legacy",
}


def worker(tool: str, files: list[str]) -> None:
    """Convert each file with one tool; print one JSON line per file."""
    import pymupdf

    if tool.startswith("docparse"):
        import docparse
        from docparse.engines.layout import LayoutEngine

        engine = LayoutEngine()
    else:
        import pymupdf4llm

        pymupdf4llm.use_layout(tool == "p4l-layout")
    for f in files:
        with pymupdf.open(f) as d:
            pages = d.page_count
        start = time.perf_counter()
        error = None
        try:
            if tool.startswith("docparse"):
                doc = docparse.convert(f, engine=engine, passes=(tool == "docparse"))
                doc.to_markdown(), doc.to_html(), doc.to_json()
            else:
                pymupdf4llm.to_markdown(f)
        except Exception as exc:  # measured, not hidden: the table counts failures
            error = f"{type(exc).__name__}: {exc}"[:200]
        print(json.dumps({"file": f, "pages": pages, "seconds": time.perf_counter() - start, "error": error}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="PDFs (default: every PDF under ../shared/corpus)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true", help="print the table only")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.files)
        return
    files = args.files or sorted(str(p) for p in CORPUS.rglob("*.pdf"))
    if not files:
        sys.exit("no PDFs given and ../shared/corpus has none")

    rows = []
    for label, tool in TOOLS.items():
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", tool, *files], capture_output=True, text=True, cwd=REPO
        )
        wall = time.perf_counter() - start
        recs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        ok = [r for r in recs if not r["error"]]
        pages = sum(r["pages"] for r in ok)
        secs = sum(r["seconds"] for r in ok)
        rows.append((label, len(recs), len(recs) - len(ok), pages, secs, wall))
        if proc.returncode:
            print(f"{label}: worker exited {proc.returncode}: {proc.stderr[-500:]}", file=sys.stderr)

    base = next((r for r in rows if r[0].startswith("pymupdf4llm.to_markdown (layout")), None)
    lines = [
        "| tool | files | failed | pages | seconds (converting) | pages/s | vs pymupdf4llm layout | wall s (incl. start-up) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, n, failed, pages, secs, wall in rows:
        pps = pages / secs if secs else 0.0
        ratio = (pps / (base[3] / base[4])) if base and base[4] else 0.0
        lines.append(f"| {label} | {n} | {failed} | {pages} | {secs:.1f} | {pps:.2f} | {ratio:.2f}x | {wall:.1f} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        cmd = "python benchmarks/layout_speed.py" + ("" if not args.files else " " + " ".join(args.files))
        RESULTS.write_text(
            "# Layout engine speed\n\n"
            f"Command: `{cmd}` ({len(files)} PDFs; {time.strftime('%Y-%m-%d')}; "
            f"{platform.processor() or platform.machine()}, {_cores()} cores, CPU only).\n\n"
            "Pages per second over the converting time of the files that converted (start-up excluded, "
            "wall time beside it). docparse's time includes rendering Markdown, HTML and JSON.\n\n"
            f"{table}\n",
            encoding="utf-8",
        )


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
