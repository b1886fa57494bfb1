"""Pages per second of docparse's layout engine next to pymupdf4llm, whole process, one run.

Every conversion is a fresh Python process that imports its tool, loads its models, converts
one PDF (the chosen pages) and exits; this script times it from start to exit, so start-up
(imports, ONNX sessions) counts as a user running the tool on a file would see it. The tools
take turns file by file (the order alternating), for ``--repeat`` rounds, so a change in the
machine's load hits all of them alike; the ratio is reported per round and over all rounds,
in wall time (pages/s) and in CPU seconds (user + system, children included: what the load
does not inflate).

    .venv/bin/python benchmarks/layout_speed.py                  # both sets below, one table each + summary
    .venv/bin/python benchmarks/layout_speed.py --sets manuals   # or: --sets corpus
    .venv/bin/python benchmarks/layout_speed.py samples/*.pdf --tools docparse,p4l-layout,p4l-legacy

The two sets (issue 15 item 3: >= 1.5x on the manuals, >= 1.0x on the corpus):

- ``manuals``: pages 11-20 (``--manual-pages``) of nine real manuals with a text layer, Debian's
  ``r-doc-pdf`` (R-FAQ, R-admin, R-data, R-exts, R-intro, R-ints, R-lang, refman) and
  ``python-reportlab-doc`` (reportlab-userguide). Looked for in ``--manuals`` (default
  ``$DOCPARSE_MANUALS``, else ``../speed-docs`` beside the checkout, else the Debian install
  locations ``/usr/share/doc/{r-doc-pdf,python-reportlab-doc}``); get them with
  ``sudo apt-get install r-doc-pdf python-reportlab-doc`` or, without root, unpacked anywhere:

      mkdir -p ../speed-docs && cd ../speed-docs
      apt-get download r-doc-pdf python-reportlab-doc
      for d in *.deb; do dpkg -x "$d" .; done      # PDFs under usr/share/{R,doc}/...

  Without them the set is skipped with a line saying so.
- ``corpus``: every PDF under ../shared/corpus (all pages; the OmniDocBench pages are scans).
- ``scans`` (not run by default): the corpus's image-only PDFs joined into one scanned document
  (in a temporary folder), the workload of a scanned book: where the next page is OCRed in a
  second process while the current one is worked on (``scan.ocr_ahead``). No target.

Beside the tools each set times a floor (``model-only`` on the manuals, ``ocr-model`` on the
others): PyMuPDF's layout model alone, after Tesseract at docparse's resolution on scans; the
summary gives its ratio, the most an engine that runs this model on every page can reach here.

Positional arguments (PDFs or folders) replace the sets with one set of their own; a folder
means every PDF under it (symbolic links and same-named copies counted once). docparse runs its
default layout engine (no model weights) and renders Markdown, HTML and JSON; pymupdf4llm runs
``to_markdown`` with its layout mode on (``pymupdf.layout``) or off (legacy). Prints Markdown
tables (with the command, the machine and its load) and writes them to ``--out``.
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
#: the real manuals of the "manuals" set, by file name (Debian's r-doc-pdf and python-reportlab-doc)
MANUALS = (
    "R-FAQ.pdf", "R-admin.pdf", "R-data.pdf", "R-exts.pdf", "R-intro.pdf", "R-ints.pdf", "R-lang.pdf",
    "refman.pdf", "reportlab-userguide.pdf",
)
#: where the manuals are looked for when --manuals is not given, in order
MANUAL_DIRS = (REPO.parent / "speed-docs", Path("/usr/share/doc/r-doc-pdf"), Path("/usr/share/doc/python-reportlab-doc"))
#: pages of each manual converted: past the title pages and contents, into the body text
MANUAL_PAGES = "11-20"
#: issue 15 item 3: docparse pages/s over pymupdf4llm's (layout mode) that each set must reach
TARGETS = {"manuals": 1.5, "corpus": 1.0}

TOOLS = {
    "docparse": "docparse layout (md+html+json)",
    "p4l-layout": "pymupdf4llm.to_markdown (layout mode)",
    "p4l-legacy": "pymupdf4llm.to_markdown (legacy mode)",
    "model-only": "PyMuPDF's layout model alone (docparse's instance, no text work: the least time)",
    "ocr-model": "Tesseract at docparse's resolution on scans, then the layout model alone (the least time)",
}
#: tools each set times when --tools is not given. "model-only" is the floor of any engine that
#: runs PyMuPDF's layout model on every page: pymupdf imported, docparse's instance of the model
#: built and run over the pages (image features one page ahead, as the engine does), nothing
#: else; its ratio is the most a text-layer set can reach while the model runs on every page.
#: "ocr-model" is the same floor where some pages are scans: each page without a text layer is
#: first OCRed as docparse does it (rendered at ``OCR_DPI``, Tesseract through MuPDF, language
#: eng), the model then runs on the OCR copy; no orientation detection, ruling lines or cell OCR.
DEFAULT_TOOLS = {"manuals": "docparse,p4l-layout,model-only", "corpus": "docparse,p4l-layout,ocr-model",
                 "scans": "docparse,p4l-layout,ocr-model", "files": "docparse,p4l-layout"}
#: the tools that are floors, not products: the summary reports their ratio as the most reachable
FLOORS = ("model-only", "ocr-model")
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
    elif tool in FLOORS:
        import pymupdf

        from docparse.engines.layout.regions.runner import layout_model
        from docparse.engines.layout.scan.ocr import upright_ocr_page
        from docparse.source import has_text_layer

        model = layout_model()
        loaded = time.perf_counter()
        with pymupdf.open(pdf) as opened:
            chosen = [opened[i] for i in pages]
            text = [has_text_layer(p) for p in chosen]

            def ahead_of(i: int):  # the engine's look-ahead: features of text-layer pages only
                return model.prefetch(chosen[i]) if i < len(chosen) and text[i] else None

            ahead = ahead_of(0)
            for i, page in enumerate(chosen):
                following = ahead_of(i + 1)
                if text[i] or tool == "model-only":
                    model.predict(page, ahead)
                else:
                    model.predict(upright_ocr_page(page))
                ahead = following
        done = len(pages)
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


def joined_scans(pdfs: list[str]) -> str:
    """One multi-page PDF (in a temporary folder, removed at exit) of every image-only PDF among
    ``pdfs`` (no page with a text layer), in their order: a scanned document, the "scans" set."""
    import atexit
    import shutil
    import tempfile

    import pymupdf

    from docparse.source import has_text_layer

    out = pymupdf.open()
    for path in pdfs:
        with pymupdf.open(path) as doc:
            if not any(has_text_layer(page) for page in doc):
                out.insert_pdf(doc)
    folder = tempfile.mkdtemp(prefix="layout-speed-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = Path(folder) / "corpus-scans-joined.pdf"
    out.save(target)
    return str(target)


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


def _byte_compile() -> None:
    """Write docparse's bytecode caches before timing, as ``pip install`` does for an installed
    package (pymupdf4llm's are): a checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (the project
    machine's shells) would otherwise compile every module from source in every process, ~0.1
    CPU s a start that a user's install never pays. ``py_compile`` writes them whatever that
    variable says; ``__pycache__`` is git-ignored."""
    import compileall

    compileall.compile_dir(str(REPO / "docparse"), quiet=1)


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


def find_manuals(folder: Path | None) -> tuple[list[str], list[str]]:
    """(paths of the manuals found, names not found) under ``folder`` or the default places."""
    folders = [folder] if folder else ([Path(os.environ["DOCPARSE_MANUALS"])] if os.environ.get("DOCPARSE_MANUALS") else list(MANUAL_DIRS))
    found: dict[str, str] = {}
    for f in folders:
        if f.is_dir():
            for p in sorted(f.rglob("*.pdf")):
                if p.name in MANUALS and p.name not in found and p.resolve().is_file():
                    found[p.name] = str(p)
    return [found[n] for n in MANUALS if n in found], [n for n in MANUALS if n not in found]


def with_pages(paths: list[str], spec: str | None) -> list[tuple[str, list[int]]]:
    """(PDF, its chosen 0-based pages) for each PDF that has any of them."""
    import pymupdf

    out = []
    for f in paths:
        with pymupdf.open(f) as d:
            pages = page_list(spec, d.page_count)
        if pages:
            out.append((f, pages))
    return out


def run_set(files: list[tuple[str, list[int]]], tools: list[str], rounds: int, timeout: float, name: str) -> list[dict[str, list[dict]]]:
    """runs[round][tool] = per-file results, the tools taking turns file by file."""
    runs: list[dict[str, list[dict]]] = []
    for rnd in range(rounds):
        results: dict[str, list[dict]] = {t: [] for t in tools}
        for n, (f, pages) in enumerate(files):
            order = tools if (n + rnd) % 2 == 0 else tools[::-1]  # alternate who goes first
            for tool in order:
                rec = run_one(tool, f, pages, timeout)
                results[tool].append(rec)
                status = rec["error"] or f"{rec['pages']} pages in {rec['seconds']:.1f} s, CPU {rec['cpu']:.1f} s"
                print(f"{name} round {rnd + 1} [{tool}] {Path(f).name}: {status}", file=sys.stderr, flush=True)
        runs.append(results)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", help="PDFs or folders of PDFs (default: the sets of --sets)")
    ap.add_argument("--sets", default="manuals,corpus", help="comma list of manuals, corpus, scans (default: manuals,corpus)")
    ap.add_argument("--manuals", type=Path, help="folder holding the manuals (see above)")
    ap.add_argument("--manual-pages", default=MANUAL_PAGES, help=f"1-based pages of each manual (default {MANUAL_PAGES})")
    ap.add_argument("--pages", help="1-based pages of every file given as an argument, e.g. 11-20 (default: all)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds over all files of a set (default 2)")
    ap.add_argument("--tools", help="comma list of " + ", ".join(TOOLS) + " (default: per set, "
                    + "; ".join(f"{k}: {v}" for k, v in DEFAULT_TOOLS.items()) + ")")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per process")
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-pages", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.paths[0], [int(p) for p in args.worker_pages.split(",") if p])
        return

    def tools_of(set_name: str) -> list[str]:
        return [t for t in (args.tools or DEFAULT_TOOLS[set_name]).split(",") if t]

    unknown = [t for name in DEFAULT_TOOLS for t in tools_of(name) if t not in TOOLS]
    if unknown:
        sys.exit(f"unknown tool(s) {', '.join(unknown)}: choose from {', '.join(TOOLS)}")
    notes: list[str] = []
    sets: list[tuple[str, list[tuple[str, list[int]]]]] = []
    if args.paths:
        sets.append(("files", with_pages(find_pdfs(args.paths), args.pages)))
    for name in [n for n in args.sets.split(",") if n] if not args.paths else []:
        if name == "manuals":
            found, missing = find_manuals(args.manuals)
            if not found:
                notes.append(
                    "manuals: SKIPPED, none of the nine manuals found (in --manuals, $DOCPARSE_MANUALS, "
                    + ", ".join(str(d) for d in MANUAL_DIRS)
                    + "); get them: `sudo apt-get install r-doc-pdf python-reportlab-doc`, or "
                    "`apt-get download r-doc-pdf python-reportlab-doc && for d in *.deb; do dpkg -x $d .; done` "
                    "in ../speed-docs (see --help)"
                )
                continue
            if missing:
                notes.append(f"manuals: {len(missing)} of the nine not found, timed without them: {', '.join(missing)}")
            sets.append(("manuals", with_pages(found, args.manual_pages)))
        elif name == "corpus":
            if not CORPUS.is_dir():
                notes.append(f"corpus: SKIPPED, {CORPUS} not found")
                continue
            sets.append(("corpus", with_pages(find_pdfs([str(CORPUS)]), None)))
        elif name == "scans":
            if not CORPUS.is_dir():
                notes.append(f"scans: SKIPPED, {CORPUS} not found")
                continue
            sets.append(("scans", with_pages([joined_scans(find_pdfs([str(CORPUS)]))], None)))
        else:
            sys.exit(f"unknown set {name!r}: choose from manuals, corpus, scans")
    for note in notes:
        print(note, file=sys.stderr)
    if not any(files for _, files in sets):
        sys.exit("no PDFs (with the chosen pages) to time; see --help for how to get the manuals")

    _byte_compile()
    load_before = os.getloadavg()
    started = time.perf_counter()
    timed = [(name, files, tools_of(name), run_set(files, tools_of(name), args.repeat, args.timeout, name))
             for name, files in sets if files]
    minutes = (time.perf_counter() - started) / 60
    load_after = os.getloadavg()

    report = render(args, timed, notes, minutes, load_before, load_after)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


def _pps(recs: list[dict]) -> tuple[int, float, float, float]:
    """(pages, whole-process seconds, converting seconds, CPU seconds) of the runs that worked."""
    ok = [r for r in recs if not r["error"]]
    return (sum(r["pages"] for r in ok), sum(r["seconds"] for r in ok), sum(r["convert"] for r in ok),
            sum(r["cpu"] for r in ok))


def _ratios(runs: list[dict[str, list[dict]]], tool: str) -> tuple[float | None, float | None, list[float | None]]:
    """(pages/s ratio over all rounds, CPU-per-page ratio, pages/s ratio per round) of ``tool``
    against the baseline: above 1 means faster than pymupdf4llm."""
    def ratio(mine: tuple, base: tuple, index: int) -> float | None:
        (p, *m), (bp, *b) = mine, base
        if not (p and bp and m[index] and b[index]):
            return None
        return (p / m[index]) / (bp / b[index])

    mine = _pps([rec for r in runs for rec in r[tool]])
    base = _pps([rec for r in runs for rec in r[BASELINE]])
    per_round = [ratio(_pps(r[tool]), _pps(r[BASELINE]), 0) for r in runs]
    return ratio(mine, base, 0), ratio(mine, base, 2), per_round


def _x(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "–"


def render(args, timed, notes, minutes, load_before, load_after) -> str:
    cmd = "python benchmarks/layout_speed.py " + " ".join(sys.argv[1:])
    lines = [
        f"Command: `{cmd.strip()}` ({args.repeat} rounds; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, CPU only; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; {minutes:.1f} min).",
        "",
        "Whole process per file (Python start, imports, model loading, converting, exit), summed over "
        "files and rounds; pages/s = pages / whole-process seconds. \"Converting\": from the tool's "
        "import to the end (docparse loads PyMuPDF and its models inside it, pymupdf4llm at import). "
        "CPU s: user + system time of the process and its children (Tesseract), which the machine's "
        "load does not inflate. Ratios: docparse's pages/s (or pages per CPU second) over "
        f"{TOOLS[BASELINE]}'s, same run.",
    ]
    summary = []
    for name, files, tools, runs in timed:
        n_pages = sum(len(p) for _, p in files)
        lines += [
            "",
            f"### {name}: {len(files)} PDFs, {n_pages} pages a round",
            "",
            "| tool | failed runs | pages | whole-process s | of it converting s | CPU s | CPU s / page | pages/s "
            "| vs baseline (wall) | per round | vs baseline (CPU) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for tool in tools:
            recs = [rec for r in runs for rec in r[tool]]
            pages, secs, convert, cpu = _pps(recs)
            failed = sum(1 for r in recs if r["error"])
            wall_x, cpu_x, per_round = _ratios(runs, tool) if BASELINE in tools else (None, None, [])
            lines.append(
                f"| {TOOLS[tool]} | {failed} | {pages} | {secs:.1f} | {convert:.1f} | {cpu:.1f} | "
                f"{cpu / pages if pages else 0:.3f} | {pages / secs if secs else 0:.2f} | {_x(wall_x)} | "
                f"{', '.join(f'{r:.2f}' if r is not None else '–' for r in per_round) or '–'} | {_x(cpu_x)} |"
            )
        if BASELINE in tools and "docparse" in tools:
            per_file = []
            for i, (f, _) in enumerate(files):
                d = [r["docparse"][i] for r in runs]
                b = [r[BASELINE][i] for r in runs]
                if all(not x["error"] for x in d + b):
                    per_file.append(statistics.median(x["seconds"] for x in b) / statistics.median(x["seconds"] for x in d))
            if per_file:
                lines += ["", f"Per file (median round), pymupdf4llm seconds / docparse seconds: median "
                          f"{statistics.median(per_file):.2f}, min {min(per_file):.2f}, max {max(per_file):.2f}."]
            wall_x, cpu_x, _ = _ratios(runs, "docparse")
            floor = next((t for t in tools if t in FLOORS), None)
            floor_x = _ratios(runs, floor)[0] if floor else None
            summary.append((name, n_pages, wall_x, cpu_x, TARGETS.get(name), floor_x))
    if summary:
        lines += [
            "",
            "### Summary: docparse layout vs pymupdf4llm (layout mode)",
            "",
            "| set | pages a round | pages/s ratio (wall) | CPU ratio | target (issue 15 item 3) | wall ratio meets it "
            "| the floor (model-only / ocr-model), wall ratio: the most reachable |",
            "|---|---:|---:|---:|---:|---|---:|",
        ]
        for name, n_pages, wall_x, cpu_x, target, floor_x in summary:
            met = "–" if target is None or wall_x is None else ("yes" if wall_x >= target else "no")
            lines.append(f"| {name} | {n_pages} | {_x(wall_x)} | {_x(cpu_x)} | {f'>= {target:.1f}x' if target else '–'} "
                         f"| {met} | {_x(floor_x)} |")
    if notes:
        lines += [""] + [f"Note: {n}" for n in notes]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
