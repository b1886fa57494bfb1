"""Pages per second of docparse's layout engine next to pymupdf4llm, whole process, one run.

Every conversion is a fresh Python process that imports its tool, loads its models, converts
one PDF (the chosen pages) and exits; this script times it from start to exit, so start-up
(imports, ONNX sessions) counts as a user running the tool on a file would see it. The tools
take turns file by file (the order alternating), for ``--repeat`` rounds, so a change in the
machine's load hits all of them alike; the ratio is reported per round and over all rounds.

    .venv/bin/python benchmarks/layout_speed.py                              # every PDF under ../shared/corpus
    .venv/bin/python benchmarks/layout_speed.py --pages 11-20 /work/speed-docs   # real manuals (below)
    .venv/bin/python benchmarks/layout_speed.py samples/*.pdf --tools docparse,p4l-layout,p4l-legacy

Real manuals with a text layer (Debian's R and ReportLab manuals), unpacked outside the repository:

    mkdir -p /work/speed-docs && cd /work/speed-docs
    apt-get download r-doc-pdf python-reportlab-doc
    for d in *.deb; do dpkg -x "$d" .; done      # PDFs under usr/share/{R,doc}/...

A folder argument means every PDF under it (symbolic links and same-named copies counted once).
docparse runs its default layout engine (no model weights) and renders Markdown, HTML and JSON;
pymupdf4llm runs ``to_markdown`` with its layout mode on (``pymupdf.layout``) or off (legacy).
Prints a Markdown table (with the command, the machine and its load) and writes it to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

TOOLS = {
    "docparse": "docparse layout (md+html+json)",
    "p4l-layout": "pymupdf4llm.to_markdown (layout mode)",
    "p4l-legacy": "pymupdf4llm.to_markdown (legacy mode)",
}
BASELINE = "p4l-layout"
#: seconds one conversion process may take before it counts as failed
DEFAULT_TIMEOUT_S = 600


def worker(tool: str, pdf: str, pages: list[int]) -> None:
    """Import ``tool``, convert ``pages`` (0-based) of ``pdf``, print one JSON line, exit."""
    started = time.perf_counter()
    if tool == "docparse":
        import docparse

        loaded = time.perf_counter()
        doc = docparse.convert(pdf, engine="layout", pages=",".join(str(i + 1) for i in pages))
        # text only, as pymupdf4llm writes by default (embedding figure crops would time PNG encoding)
        doc.to_markdown(embed_images=False), doc.to_html(embed_images=False), doc.to_json()
        done = len(doc.pages)
    else:
        import pymupdf4llm

        pymupdf4llm.use_layout(tool == "p4l-layout")
        loaded = time.perf_counter()
        pymupdf4llm.to_markdown(pdf, pages=pages)
        done = len(pages)
    end = time.perf_counter()
    print(json.dumps({"pages": done, "import": loaded - started, "convert": end - loaded}), flush=True)


def find_pdfs(args: list[str]) -> list[str]:
    """PDFs named or under the folders named; each real file once (by resolved path and by name)."""
    found: list[Path] = []
    for arg in args or [str(CORPUS)]:
        p = Path(arg)
        found.extend(sorted(p.rglob("*.pdf")) if p.is_dir() else [p])
    seen_paths, seen_names, out = set(), set(), []
    for p in found:
        real = p.resolve()
        if real in seen_paths or p.name in seen_names or not real.is_file():
            continue
        seen_paths.add(real)
        seen_names.add(p.name)
        out.append(str(p))
    return out


def page_list(spec: str | None, count: int) -> list[int]:
    """0-based pages of a 1-based spec ('11-20', '1-3,7', '5-'), clipped to the document."""
    if not spec:
        return list(range(count))
    pages: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        first = int(lo) if lo else 1
        last = (int(hi) if hi else count) if "-" in part else first
        pages.extend(i - 1 for i in range(first, min(last, count) + 1) if i - 1 not in pages)
    return pages


def run_one(tool: str, pdf: str, pages: list[int], timeout: float) -> dict:
    """Time one whole process; the worker's own report (pages, start-up, converting) added."""
    cmd = [sys.executable, __file__, "--worker", tool, "--worker-pages", ",".join(map(str, pages)), pdf]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - start, "error": f"timed out after {timeout:.0f} s"}
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # this process and the ones it started
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = next((json.loads(ln) for ln in proc.stdout.splitlines()[::-1] if ln.startswith("{")), None)
    if proc.returncode != 0 or report is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return {"seconds": seconds, "error": f"exit {proc.returncode}: {tail}"}
    return {"seconds": seconds, "cpu": cpu, "error": None, **report}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", help="PDFs or folders of PDFs (default: ../shared/corpus)")
    ap.add_argument("--pages", help="1-based pages of every file, e.g. 11-20 (default: all)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds over all files (default 2)")
    ap.add_argument("--tools", default="docparse,p4l-layout", help="comma list of " + ", ".join(TOOLS))
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per process")
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-pages", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.paths[0], [int(p) for p in args.worker_pages.split(",") if p])
        return

    import pymupdf

    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        sys.exit(f"unknown tool(s) {', '.join(unknown)}: choose from {', '.join(TOOLS)}")
    files = []
    for f in find_pdfs(args.paths):
        with pymupdf.open(f) as d:
            pages = page_list(args.pages, d.page_count)
        if pages:
            files.append((f, pages))
    if not files:
        sys.exit("no PDFs (with the chosen pages) found; see --help for how to get the manuals")

    load_before = os.getloadavg()
    started = time.perf_counter()
    # runs[round][tool] = list of per-file results
    runs: list[dict[str, list[dict]]] = []
    for rnd in range(args.repeat):
        results: dict[str, list[dict]] = {t: [] for t in tools}
        for n, (f, pages) in enumerate(files):
            order = tools if (n + rnd) % 2 == 0 else tools[::-1]  # alternate who goes first
            for tool in order:
                rec = run_one(tool, f, pages, args.timeout)
                results[tool].append(rec)
                status = rec["error"] or f"{rec['pages']} pages in {rec['seconds']:.1f} s"
                print(f"round {rnd + 1} [{tool}] {Path(f).name}: {status}", file=sys.stderr, flush=True)
        runs.append(results)
    minutes = (time.perf_counter() - started) / 60
    load_after = os.getloadavg()

    report = render(args, tools, files, runs, minutes, load_before, load_after)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


def _pps(recs: list[dict]) -> tuple[int, float, float, float]:
    """(pages, whole-process seconds, converting seconds, CPU seconds) of the runs that worked."""
    ok = [r for r in recs if not r["error"]]
    return (sum(r["pages"] for r in ok), sum(r["seconds"] for r in ok), sum(r["convert"] for r in ok),
            sum(r["cpu"] for r in ok))


def render(args, tools, files, runs, minutes, load_before, load_after) -> str:
    n_pages = sum(len(p) for _, p in files)
    cmd = "python benchmarks/layout_speed.py " + " ".join(sys.argv[1:])
    lines = [
        f"Command: `{cmd.strip()}` ({len(files)} PDFs, {n_pages} pages, {args.repeat} rounds; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, CPU only; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; {minutes:.1f} min).",
        "",
        "Whole process per file (Python start, imports, model loading, converting, exit), summed over "
        "files and rounds; pages/s = pages / whole-process seconds. \"Converting\": from the tool's "
        "import to the end (docparse loads PyMuPDF and its models inside it, pymupdf4llm at import). "
        "CPU s: user + system time of the process and its children (Tesseract), which the machine's "
        "load does not inflate.",
        "",
        "| tool | files | failed runs | pages | whole-process s | of it converting s | CPU s | CPU s / page | pages/s "
        f"| vs {TOOLS[BASELINE]} | per round | CPU vs {TOOLS[BASELINE]} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    base_rounds = [_pps(r[BASELINE]) for r in runs] if BASELINE in tools else None
    for tool in tools:
        recs = [rec for r in runs for rec in r[tool]]
        pages, secs, convert, cpu = _pps(recs)
        failed = sum(1 for r in recs if r["error"])
        pps = pages / secs if secs else 0.0
        ratio, per_round, cpu_ratio = "–", "–", "–"
        if base_rounds:
            bp, bs = sum(b[0] for b in base_rounds), sum(b[1] for b in base_rounds)
            ratio = f"{pps / (bp / bs):.2f}x" if bs and bp else "–"
            bc = sum(b[3] for b in base_rounds)
            cpu_ratio = f"{(bc / bp) / (cpu / pages):.2f}x" if bp and pages and cpu else "–"
            rr = []
            for r, (bp_r, bs_r, _, _) in zip(runs, base_rounds):
                p_r, s_r, _, _ = _pps(r[tool])
                rr.append(f"{(p_r / s_r) / (bp_r / bs_r):.2f}" if s_r and bs_r and bp_r else "–")
            per_round = ", ".join(rr)
        lines.append(
            f"| {TOOLS[tool]} | {len(files)} | {failed} | {pages} | {secs:.1f} | {convert:.1f} | {cpu:.1f} | "
            f"{cpu / pages if pages else 0:.3f} | {pps:.2f} | {ratio} | {per_round} | {cpu_ratio} |"
        )
    if BASELINE in tools and "docparse" in tools:
        ratios = []
        for i, (f, _) in enumerate(files):
            d = [r["docparse"][i] for r in runs]
            b = [r[BASELINE][i] for r in runs]
            if all(not x["error"] for x in d + b):
                ratios.append(statistics.median(x["seconds"] for x in b) / statistics.median(x["seconds"] for x in d))
        if ratios:
            lines += ["", f"Per file (median round), pymupdf4llm seconds / docparse seconds: median "
                      f"{statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
