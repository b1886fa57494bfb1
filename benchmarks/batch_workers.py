"""Wall time of ``docparse convert FOLDER -w N`` for several N, whole process, turns interleaved.

    .venv/bin/python benchmarks/batch_workers.py                      # samples/ + a few corpus PDFs, -w 1 and 2
    .venv/bin/python benchmarks/batch_workers.py --workers 1,2,4 --rounds 3 a.pdf b.pdf

Each round runs every N once (order alternating between rounds, so a change of machine load hits
each alike), converting the same folder from scratch (--overwrite, Markdown only). The time
includes start-up: each worker process imports docparse and loads the layout models, which is
the cost a user pays. Prints a table (median of the rounds) with the core count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_FILES = [
    REPO / "samples" / "article.pdf", REPO / "samples" / "table_two_pages.pdf",
    CORPUS / "docling" / "normal_4pages.pdf", CORPUS / "docling" / "multi_page.pdf",
    CORPUS / "docling" / "2305.03393v1-pg9.pdf", CORPUS / "docling" / "code_and_formula.pdf",
]


def page_count(path: Path) -> int:
    import pymupdf

    with pymupdf.open(path) as doc:
        return doc.page_count


def convert_seconds(folder: Path, workers: int) -> float:
    out = Path(tempfile.mkdtemp(prefix="docparse-workers-"))
    cmd = [str(REPO / ".venv" / "bin" / "docparse"), "convert", str(folder), "-o", str(out), "-w", str(workers),
           "-q", "-f", "md", "--overwrite"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    files = [f for f in (args.files or DEFAULT_FILES) if f.is_file()]
    counts = [int(n) for n in args.workers.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="docparse-workers-in-"))
    for f in files:
        shutil.copy(f, folder / f.name)
    pages = sum(page_count(f) for f in files)
    times: dict[int, list[float]] = {n: [] for n in counts}
    for r in range(args.rounds):
        for n in counts if r % 2 == 0 else counts[::-1]:
            times[n].append(convert_seconds(folder, n))
    shutil.rmtree(folder, ignore_errors=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{len(files)} files, {pages} pages; {cores} cores; load average before: {os.getloadavg()[0]:.1f}; "
          f"{args.rounds} rounds, median")
    print("| --workers | wall s (median) | pages/s | each round |")
    print("|---:|---:|---:|---|")
    base = statistics.median(times[counts[0]])
    for n in counts:
        med = statistics.median(times[n])
        print(f"| {n} | {med:.1f} ({base / med:.2f}x of -w {counts[0]}) | {pages / med:.2f} | "
              f"{', '.join(f'{t:.1f}' for t in times[n])} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
