"""Does memory grow with the page count? Convert a long generated PDF and sample the RSS.

    .venv/bin/python benchmarks/memory_pages.py --pages 400

Makes an N-page PDF (text in two columns, a table every 10 pages), converts it with the layout
engine through ``docparse.convert`` and records the process's resident memory after every page.
Prints a table (RSS at 10%, 25%, 50%, 75%, 100% of the pages and the growth per 100 pages over
the second half) next to pymupdf4llm.to_markdown on the same file, measured the same way in a
subprocess; writes it to benchmarks/MEMORY.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "MEMORY.md"

WORDS = ("measurement sensor calibration field moisture soil probe reading error season site "
         "weekly sample texture logger voltage average result study cost").split()


def rss_mib() -> float:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_pdf(path: Path, n: int) -> None:
    import random

    import pymupdf

    rnd = random.Random(0)
    doc = pymupdf.open()
    for i in range(n):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 50), f"Long document - page {i + 1}", fontsize=9)
        page.insert_text((72, 90), f"{i + 1} Section heading number {i + 1}", fontsize=14)
        for col, x in enumerate((72, 320)):
            text = " ".join(rnd.choice(WORDS) for _ in range(260))
            page.insert_textbox(pymupdf.Rect(x, 110, x + 220, 700), text, fontsize=9)
        if i % 10 == 0:
            for r in range(4):
                for c in range(3):
                    rect = pymupdf.Rect(72 + c * 80, 705 + r * 14, 152 + c * 80, 719 + r * 14)
                    page.draw_rect(rect, width=0.5)
                    page.insert_text((rect.x0 + 3, rect.y1 - 4), f"r{r}c{c}", fontsize=7)
        page.insert_text((300, 780), str(i + 1), fontsize=9)
    doc.save(path, garbage=3, deflate=True)


def measure_docparse(path: Path) -> list[float]:
    import docparse

    samples: list[float] = []
    docparse.convert(path, engine="layout", on_page=lambda _p: samples.append(rss_mib()))
    return samples


def measure_pymupdf4llm(path: Path, n: int) -> list[float]:
    """pymupdf4llm converts page by page here (to_markdown(pages=[i])) on one open document."""
    import pymupdf
    import pymupdf4llm

    samples: list[float] = []
    with pymupdf.open(path) as doc:
        for i in range(n):
            pymupdf4llm.to_markdown(doc, pages=[i])
            samples.append(rss_mib())
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    n = len(samples)
    at = {f"{q}%": samples[max(0, round(n * q / 100) - 1)] for q in (10, 25, 50, 75, 100)}
    half = samples[n // 2 :]
    growth = (half[-1] - half[0]) / max(1, len(half) - 1) * 100 if len(half) > 1 else 0.0
    return {**at, "growth_per_100_pages": growth}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--tool", choices=["docparse", "pymupdf4llm"], help=argparse.SUPPRESS)
    ap.add_argument("--pdf", help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.tool:
        path = Path(args.pdf)
        start = time.perf_counter()
        samples = measure_docparse(path) if args.tool == "docparse" else measure_pymupdf4llm(path, args.pages)
        print(json.dumps({"samples": samples, "seconds": time.perf_counter() - start}))
        return

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "long.pdf"
        make_pdf(pdf, args.pages)
        rows = []
        for tool in ("docparse", "pymupdf4llm"):
            out = subprocess.run(
                [sys.executable, __file__, "--tool", tool, "--pdf", str(pdf), "--pages", str(args.pages)],
                capture_output=True, text=True, cwd=REPO, check=True,
            ).stdout
            rec = json.loads(out.strip().splitlines()[-1])
            rows.append((tool, summary(rec["samples"]), rec["seconds"], len(rec["samples"])))

    head = "| tool | pages | RSS MiB at 10% | 25% | 50% | 75% | 100% | growth MiB / 100 pages (2nd half) | seconds |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tool, s, secs, n in rows:
        lines.append(
            f"| {tool} | {n} | {s['10%']:.0f} | {s['25%']:.0f} | {s['50%']:.0f} | {s['75%']:.0f} | {s['100%']:.0f} "
            f"| {s['growth_per_100_pages']:.1f} | {secs:.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        RESULTS.write_text(
            "# Memory over a long document\n\n"
            f"Command: `python benchmarks/memory_pages.py --pages {args.pages}` ({time.strftime('%Y-%m-%d')}, CPU).\n\n"
            "A generated two-column PDF with a ruled table every 10 pages, converted with the layout engine "
            "(docparse.convert, document passes on); resident memory sampled after every page. pymupdf4llm "
            "converts the same file page by page on one open document.\n\n"
            f"{table}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
