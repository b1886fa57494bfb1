"""Pages per second of docparse's layout engine next to pymupdf4llm, on the same PDFs, in one run.

    .venv/bin/python benchmarks/layout_speed.py                 # every PDF under ../shared/corpus
    .venv/bin/python benchmarks/layout_speed.py samples/*.pdf   # or the files given

Each tool runs in its own long-lived subprocess (pymupdf4llm switches global layout state), and
the tools take turns file by file, so a change in machine load hits all of them alike. Start-up
(imports, model loading) is not counted. Prints a table and writes it to benchmarks/SPEED.md.
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


def worker(tool: str) -> None:
    """Convert each file named on stdin with one tool; answer one JSON line per file."""
    import pymupdf

    if tool.startswith("docparse"):
        import docparse
        from docparse.engines.layout import LayoutEngine

        engine = LayoutEngine()
    else:
        import pymupdf4llm

        pymupdf4llm.use_layout(tool == "p4l-layout")
    print(json.dumps({"ready": tool}), flush=True)
    for line in sys.stdin:
        f = line.strip()
        if not f:
            continue
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
        worker(args.worker)
        return
    files = args.files or sorted(str(p) for p in CORPUS.rglob("*.pdf"))
    if not files:
        sys.exit("no PDFs given and ../shared/corpus has none")

    procs = {
        label: subprocess.Popen(
            [sys.executable, __file__, "--worker", tool], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, cwd=REPO,
        )
        for label, tool in TOOLS.items()
    }
    for proc in procs.values():
        _read_json(proc)  # wait until each tool has started
    records: dict[str, list[dict]] = {label: [] for label in TOOLS}
    walls: dict[str, float] = {label: 0.0 for label in TOOLS}
    for f in files:
        for label, proc in procs.items():
            start = time.perf_counter()
            proc.stdin.write(f + "\n")
            proc.stdin.flush()
            rec = _read_json(proc) or {"file": f, "pages": 0, "seconds": 0.0, "error": "worker died"}
            walls[label] += time.perf_counter() - start
            records[label].append(rec)
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    rows = []
    for label in TOOLS:
        recs = records[label]
        ok = [r for r in recs if not r["error"]]
        rows.append((label, len(recs), len(recs) - len(ok), sum(r["pages"] for r in ok),
                     sum(r["seconds"] for r in ok), walls[label]))

    base = next((r for r in rows if r[0].startswith("pymupdf4llm.to_markdown (layout")), None)
    lines = [
        "| tool | files | failed | pages | seconds (converting) | pages/s | vs pymupdf4llm layout | wall s |",
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
            "Pages per second over the converting time of the files that converted (start-up excluded). "
            "The tools take turns file by file. docparse's time includes rendering Markdown, HTML and JSON.\n\n"
            f"{table}\n",
            encoding="utf-8",
        )


def _read_json(proc: subprocess.Popen) -> dict | None:
    """The next JSON line a worker prints (other output skipped); None when it has exited."""
    for line in proc.stdout:
        if line.startswith("{"):
            return json.loads(line)
    return None


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
