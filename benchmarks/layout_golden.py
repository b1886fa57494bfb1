"""Golden output of the layout engine: dump it before a refactor, dump it after, diff.

A refactor that must not change behaviour (issue 15 item 4) is checked by converting a fixed set
of inputs with the layout engine, with the layout model (every input) and without it (the
heuristic fallback; every input but the 18 OmniDocBench image-only pages, whose OCR makes them
the slowest by far, unless ``--all``), and comparing the Document JSON byte for byte. Timing fields (``seconds``) are the
only thing dropped, since they differ on every run.

Inputs: every PDF under ../shared/corpus (relative to the repository root) and under samples/,
which is what the tests and benchmarks convert (the corpus's page images are read only for
their sizes; their image-only PDFs under omnidocbench/derived_pdf are converted).

To dump a given commit without touching the working tree, run the script from an export of it
placed beside a ``shared`` link (the corpus is found at ``ROOT/../shared/corpus``)::

    git archive COMMIT | tar -x -C SNAP/src && ln -s /work/shared SNAP/shared
    PYTHONPATH=SNAP/src .venv/bin/python SNAP/src/benchmarks/layout_golden.py --out DIR

    .venv/bin/python benchmarks/layout_golden.py --out /tmp/golden/before
    ... refactor ...
    .venv/bin/python benchmarks/layout_golden.py --out /tmp/golden/after --compare /tmp/golden/before

``--compare DIR`` prints one line per file that differs (or is missing) and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus"
MODES = {"model": True, "heuristic": False}


def golden_inputs() -> list[Path]:
    """Every PDF the tests and benchmarks convert, in a stable order."""
    found = sorted(p for p in CORPUS.rglob("*.pdf") if p.is_file()) if CORPUS.is_dir() else []
    found.extend(sorted((ROOT / "samples").glob("*.pdf")))
    return found


def _drop_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_drop_timings(v) for v in value]
    return value


def dump_name(path: Path, mode: str) -> str:
    base = ROOT / "samples" if path.is_relative_to(ROOT / "samples") else CORPUS
    prefix = "samples" if base.name == "samples" else "corpus"
    rel = path.resolve().relative_to(base.resolve()).as_posix().replace("/", "__")
    return f"{mode}__{prefix}__{rel}.json"


def dump(out: Path, modes: list[str], keep: bool = False, everything: bool = False, fast: bool = False) -> int:
    from docparse.api import convert
    from docparse.engines.layout import LayoutEngine

    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for mode in modes:
        engine = LayoutEngine(use_layout_model=MODES[mode])
        for path in golden_inputs():
            if "derived_pdf" in path.parts and (fast or (mode == "heuristic" and not everything)):
                continue
            target = out / dump_name(path, mode)
            if keep and target.exists():
                continue
            start = time.perf_counter()
            try:
                doc = convert(str(path), engine=engine)
                data = _drop_timings(json.loads(doc.to_json()))
                text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
                # the checkout's location is no behaviour: dumps of two checkouts compare equal
                text = text.replace(json.dumps(str(ROOT))[1:-1], "<repo>")
            except Exception as exc:  # recorded, so a changed failure shows up in the diff too
                failures += 1
                text = f"ERROR {type(exc).__name__}: {exc}\n"
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)  # whole or absent: an interrupted dump resumes with --keep
            print(f"{mode:9} {time.perf_counter() - start:6.1f}s {path.name}", file=sys.stderr, flush=True)
    print(f"wrote {out} ({failures} inputs raised)", file=sys.stderr)
    return 0


def compare(new: Path, old: Path) -> int:
    names = sorted({p.name for p in new.glob("*.json")} | {p.name for p in old.glob("*.json")})
    differing = 0
    for name in names:
        a, b = old / name, new / name
        if not a.exists() or not b.exists():
            differing += 1
            print(f"MISSING in {'before' if not a.exists() else 'after'}: {name}")
            continue
        if a.read_bytes() != b.read_bytes():
            differing += 1
            diff = difflib.unified_diff(
                a.read_text(encoding="utf-8").splitlines(),
                b.read_text(encoding="utf-8").splitlines(),
                "before/" + name,
                "after/" + name,
                lineterm="",
                n=1,
            )
            print("\n".join(list(diff)[:40]))
    print(f"{len(names) - differing} of {len(names)} dumps identical, {differing} differ")
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON dumps")
    parser.add_argument("--compare", type=Path, default=None, help="earlier dump folder to diff with")
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=list(MODES))
    parser.add_argument("--no-dump", action="store_true", help="only compare --out with --compare")
    parser.add_argument("--all", action="store_true", help="heuristic mode on the OmniDocBench pages too")
    parser.add_argument("--fast", action="store_true", help="leave out the 18 OmniDocBench pages in both modes")
    parser.add_argument("--keep", action="store_true", help="skip inputs already dumped in --out (resume)")
    args = parser.parse_args()
    if not args.no_dump:
        dump(args.out, args.modes, keep=args.keep, everything=args.all, fast=args.fast)
    if args.compare is not None:
        return compare(args.out, args.compare)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
