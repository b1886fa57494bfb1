"""Run the layout engine over every PDF of the shared corpus: no crash, pages/second, labels.

    .venv/bin/python benchmarks/layout_corpus.py [--heuristic] [--out benchmarks/results/layout_corpus.txt]

Reads ../shared/corpus relative to the repository root; prints one row per file and a total.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heuristic", action="store_true", help="no layout model")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 1
    from docparse.engines.layout import LayoutEngine
    from docparse.source import open_source, page_inputs

    engine = LayoutEngine(use_layout_model=not args.heuristic)
    rows = []
    labels: collections.Counter[str] = collections.Counter()
    total_pages, total_seconds, failures = 0, 0.0, 0
    for path in sorted(CORPUS.rglob("*.pdf")):
        src = open_source(str(path))
        start = time.perf_counter()
        statuses: collections.Counter[str] = collections.Counter()
        n = 0
        try:
            for inp in page_inputs(src.doc, dpi=72):
                try:
                    out = engine.process([inp])[0]
                    statuses[str(out.status)] += 1
                    labels.update(b.label.value for b in out.blocks)
                except Exception as exc:  # report, never stop: the point is to find crashes
                    failures += 1
                    statuses["CRASH"] += 1
                    print(f"CRASH {path.name} p{inp.index}: {type(exc).__name__}: {exc}", file=sys.stderr)
                n += 1
        finally:
            src.close()
        seconds = time.perf_counter() - start
        total_pages += n
        total_seconds += seconds
        rows.append(f"{path.relative_to(CORPUS)!s:90.90} {n:4d} {seconds:7.2f}s {dict(statuses)}")
        print(rows[-1], file=sys.stderr, flush=True)
    lines = ["file pages seconds statuses", *rows]
    lines.append(
        f"TOTAL {total_pages} pages in {total_seconds:.1f}s = {total_pages / max(total_seconds, 1e-9):.2f} pages/s; "
        f"crashes {failures}; mode {'heuristic' if args.heuristic else 'layout model'}"
    )
    lines.append("labels " + ", ".join(f"{k}={v}" for k, v in labels.most_common()))
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
