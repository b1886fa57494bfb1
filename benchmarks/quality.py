"""Quality benchmark: docparse's layout engine vs pymupdf4llm (layout and legacy modes), one run.

Reads the ground truth under ../shared/corpus (OmniDocBench pages as image-only PDFs, docling
JSON, MinerU Markdown, docling-eval CVAT) and samples/*.truth.json, converts every PDF with each
system, scores it (docparse.evaluation) and prints a per-source and overall table, written to
benchmarks/QUALITY.md with the command that made it.

    .venv/bin/python benchmarks/quality.py                      # everything
    .venv/bin/python benchmarks/quality.py --sources docling --limit 2 --details
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from docparse.evaluation.against import score_document  # noqa: E402
from docparse.evaluation.evaluate import Summary  # noqa: E402
from docparse.evaluation.groundtruth import (  # noqa: E402
    read_docling_json,
    read_markdown,
    read_omnidocbench,
    read_reading_order_truth,
    shown_as_printed,
    read_samples_truth,
)
from docparse.evaluation.groundtruth_cvat import read_cvat  # noqa: E402
from docparse.evaluation.predictions import (  # noqa: E402
    from_document,
    from_pymupdf4llm_chunks,
)
from docparse.evaluation.types import GTDocument, PageItems  # noqa: E402

CORPUS = REPO / ".." / "shared" / "corpus"
SOURCES = ("omnidocbench", "docling", "mineru", "cvat", "samples", "generated")
SYSTEMS = ("docparse", "pymupdf4llm-layout", "pymupdf4llm-legacy")


# -- ground truth ---------------------------------------------------------------------------------
def load_ground_truth(source: str, corpus: Path) -> list[GTDocument]:
    if source == "omnidocbench":
        base = corpus / "omnidocbench"
        return read_omnidocbench(base / "OmniDocBench_demo.json", base / "derived_pdf", base / "images")
    if source == "docling":
        docs = []
        for js in sorted((corpus / "docling").glob("*.json")):
            if js.name.endswith(".pages.meta.json"):
                continue
            stem = js.name.removesuffix(".json").removesuffix(".tesseract.full_page")
            pdf = js.parent / f"{stem}.pdf"
            if pdf.exists():
                docs.append(shown_as_printed(read_docling_json(js, pdf)))  # no glyph names as truth
        return docs
    if source == "mineru":
        docs = []
        for md in sorted((corpus / "mineru").glob("cleaned_*.md")):
            pdf = md.parent / (md.stem.removeprefix("cleaned_") + ".pdf")
            if pdf.exists():
                docs.append(read_markdown(md, pdf, "mineru", pdf.stem.split("_")[0]))
        return docs
    if source == "cvat":
        base = corpus / "docling-eval" / "cvat_pdfs_dataset_e2e"
        docs = []
        for xml in sorted(base.glob("case_*_annotations.xml")):
            docs.extend(read_cvat(xml, base / xml.name.removesuffix("_annotations.xml")))
        return docs
    if source == "generated":  # LaTeX pages made with their truth (three columns; fractions and scripts)
        folders = [REPO / "tests" / "data" / "multicol", REPO / "tests" / "data" / "formulas"]
        return [read_reading_order_truth(p) for folder in folders for p in sorted(folder.glob("*.json"))]
    if source == "samples":
        return [read_samples_truth(p) for p in sorted((REPO / "samples").glob("*.truth.json"))]
    raise SystemExit(f"unknown source: {source} (choose from {', '.join(SOURCES)})")


# -- systems --------------------------------------------------------------------------------------
def _pymupdf4llm(layout: bool, ocr_language: str | None) -> Callable[[str], list[PageItems]]:
    def run(pdf: str) -> list[PageItems]:
        import pymupdf4llm

        # legacy mode has no OCR and takes no OCR options
        kwargs = {"ocr_language": ocr_language} if layout and ocr_language else {}
        pymupdf4llm.use_layout(layout)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # it prints parser messages on stdout
                chunks = pymupdf4llm.to_markdown(pdf, page_chunks=True, **kwargs)
        finally:
            # use_layout(False) switches pymupdf's layout model off for the whole process,
            # docparse's layout engine included: always switch it back on
            pymupdf4llm.use_layout(True)
        return from_pymupdf4llm_chunks(chunks)

    return run


class _Docparse:
    """docparse's layout engine, built once and reused for every file (its models load once).

    ``convert(path, engine="layout")`` does not work: ``engine=`` is the Engine object there, so
    the engine is built from the options and passed in.
    """

    def __init__(self, ocr_language: str | None) -> None:
        self.engine = None
        self.options = {"engine": "layout"}
        if ocr_language:
            self.options["ocr_language"] = ocr_language

    def __call__(self, pdf: str) -> list[PageItems]:
        from docparse.api import convert
        from docparse.engines import create_engine
        from docparse.options import ConvertOptions

        if self.engine is None:
            self.engine = create_engine(ConvertOptions.from_kwargs(**self.options))
        return from_document(convert(pdf, engine=self.engine))


def get_system(name: str, ocr_language: str | None = None) -> Callable[[str], list[PageItems]] | str:
    """The converter, or why it cannot run here."""
    if name == "docparse":
        try:
            import docparse.api  # noqa: F401
        except Exception as exc:  # the API is young: report, do not crash the benchmark
            return f"docparse.api not importable: {exc}"
        return _Docparse(ocr_language)
    if name == "pymupdf4llm-layout":
        return _pymupdf4llm(True, ocr_language)
    if name == "pymupdf4llm-legacy":
        return _pymupdf4llm(False, ocr_language)
    raise SystemExit(f"unknown system: {name} (choose from {', '.join(SYSTEMS)})")


def evaluate_document(gt: GTDocument, pred_pages: list[PageItems]) -> Summary:
    return score_document(gt, pred_pages)[0]


# -- table ----------------------------------------------------------------------------------------
def _f(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _pr(p: float | None, r: float | None) -> str:
    return "–" if p is None and r is None else f"{_f(p, 2)} / {_f(r, 2)}"


HEADER = (
    "| Source | System | Files | Pages | Text edit ↓ | Order edit ↓ | TEDS ↑ | TEDS-S ↑ | Tables "
    "| Formula edit ↓ | Formulas | Layout P / R ↑ | Heading P / R ↑ | Level P / R ↑ | s / page |"
)


def row(source: str, system: str, s: Summary) -> str:
    lay = s.layout_total()
    spp = s.seconds / s.pdf_pages if s.pdf_pages else None
    return (
        f"| {source} | {system} | {s.files} | {s.pages}{' (' + str(s.failed) + ' failed)' if s.failed else ''} "
        f"| {_f(s.text_edit())} | {_f(s.order_edit())} | {_f(s.teds())} | {_f(s.teds_s())} "
        f"| {len(s.tables)} | {_f(s.formula_edit())} | {len(s.formulas)} "
        f"| {_pr(lay.precision, lay.recall) if lay else '–'} "
        f"| {_pr(s.headings.precision, s.headings.recall)} "
        f"| {_pr(s.levels.precision, s.levels.recall) if s.has_levels else '–'} | {_f(spp, 2)} |"
    )


def layout_table(results: dict[tuple[str, str], Summary], systems: list[str]) -> list[str]:
    """Per-label layout P/R over all sources with boxes."""
    lines = ["| Label | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    totals = {}
    for system in systems:
        total = Summary()
        for (src, sys_name), s in results.items():
            if sys_name == system:
                total.merge(s)
        totals[system] = total
    labels = sorted({lab for t in totals.values() for lab in t.layout})
    for label in labels:
        cells = []
        for system in systems:
            c = totals[system].layout.get(label)
            cells.append(
                "–" if c is None else f"{_pr(c.precision, c.recall)} ({c.tp}/{c.n_pred}/{c.n_gt})"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


# -- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma list of " + ", ".join(SOURCES))
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma list of " + ", ".join(SYSTEMS))
    ap.add_argument("--limit", type=int, default=0, help="at most this many files per source (0: all)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus folder")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "QUALITY.md",
                    help="results file ('-' to write none)")
    ap.add_argument("--details", action="store_true", help="print one line per file and system")
    ap.add_argument("--ocr-language", default=None,
                    help="Tesseract language(s) for both OCR-capable systems, e.g. eng+chi_sim "
                    "(default: each system's own default, eng)")
    args = ap.parse_args(argv)
    started = time.perf_counter()

    sources = [s for s in args.sources.split(",") if s]
    systems = [s for s in args.systems.split(",") if s]
    runners = {name: get_system(name, args.ocr_language) for name in systems}
    notes = [f"{n}: {r}" for n, r in runners.items() if isinstance(r, str)]
    results: dict[tuple[str, str], Summary] = {}
    details: list[str] = []
    for source in sources:
        if source != "samples" and not args.corpus.is_dir():
            notes.append(f"{source}: corpus folder {args.corpus} absent, skipped")
            continue
        docs = load_ground_truth(source, args.corpus)
        if args.limit:
            docs = docs[: args.limit]
        for system, runner in runners.items():
            if isinstance(runner, str):
                continue
            total = results.setdefault((source, system), Summary())
            for gt in docs:
                t0 = time.perf_counter()
                try:
                    pred_pages = runner(gt.pdf)
                except Exception:
                    print(f"[{system}] {gt.name}: failed\n{traceback.format_exc()}", file=sys.stderr)
                    pred_pages = []
                    total.failed += len(gt.pages)
                seconds = time.perf_counter() - t0
                s = evaluate_document(gt, pred_pages)
                s.seconds = seconds
                total.merge(s)
                line = row(source, f"{system} · {gt.name[:40]}", s)
                details.append(line)
                if args.details:
                    print(line, file=sys.stderr)

    overall = {}
    for system in systems:
        total = Summary()
        for (src, sys_name), s in results.items():
            if sys_name == system:
                total.merge(s)
        if total.files:
            overall[system] = total
    lines = [HEADER, "|" + "---|" * 15]
    for (source, system), s in results.items():
        lines.append(row(source, system, s))
    for system, s in overall.items():
        lines.append(row("**overall**", system, s))
    table = "\n".join(lines)
    print(table)
    for n in notes:
        print("note:", n)

    if str(args.out) != "-":
        command = "python benchmarks/quality.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        minutes = (time.perf_counter() - started) / 60
        write_report(args.out, command.strip(), table, layout_table(results, list(overall)),
                     details, notes, minutes)
    return 0


def write_report(
    path: Path,
    command: str,
    table: str,
    layout: list[str],
    details: list[str],
    notes: list[str],
    minutes: float,
) -> None:
    import pymupdf4llm

    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""# Quality: docparse vs pymupdf4llm

Made by `{command}` on {now} in {minutes:.1f} min (pymupdf4llm {pymupdf4llm.__version__},
2 shared CPU cores; s / page is conversion time only).
Metrics (docparse/evaluation, after OmniDocBench's end-to-end evaluation): text = normalized
edit distance per page over body text (headers, footers, page numbers, captions, footnotes and
display formulas matched then set aside; text kept to \\w and CJK), mean over pages; order =
edit distance of matched blocks' order; TEDS / TEDS-S over the GT tables (unmatched = 0);
formula = normalized edit distance of the LaTeX of each GT display formula with LaTeX and the
most similar predicted formula (spaces, font and spacing commands, braces of one-character
scripts dropped; unmatched = 1, so a system that writes no LaTeX scores 1);
layout = boxes of the same class at IoU >= 0.5 (micro over pages); headings = heading texts
matched one-to-one; level = the matched heading also has the same level (Markdown depth,
title = 1, compared as ranks among the levels used on the page), only where the ground truth has
levels (not OmniDocBench). "–": not measurable (no boxes, no levels, no tables, no prediction).

{table}

## Layout per label (all sources with boxes; P / R (matched / predicted / ground truth))

{chr(10).join(layout)}

## Per file

<details><summary>{len(details)} rows</summary>

{HEADER}
{"|" + "---|" * 15}
{chr(10).join(details)}

</details>

## Ground truth and its limits

- omnidocbench: 18 human-annotated page images (OmniDocBench demo) wrapped as image-only PDFs
  (page size = image size): every system goes through OCR. No heading levels.
- docling: docling's own regression output (silver); ocr_test* ground truth is Tesseract output;
  the bullet glyph name "SM590000" its redp5110 truth writes is taken out (the page shows a bullet).
- mineru: OpenDataLab PDF-bench Markdown per document (one "page" = the whole document, no
  boxes); headers/footers mostly left out, so emitting them costs text edits.
- cvat: docling-eval human boxes and reading order; the text is the PDF's own text layer inside
  each box (these pages test segmentation and order, not OCR).
- samples: the project's generated PDFs with their source as truth (samples/*.truth.json).
- generated: LaTeX pages made with their truth from the source (tests/data/multicol/*.json: three columns; tests/data/formulas/*.json: fractions and scripts; text, order, headings, TEDS, formulas; no boxes).
{chr(10).join('- note: ' + n for n in notes)}
"""
    path.write_text(text + _other_sections(path), encoding="utf-8")


#: the sections this script writes; any other "## " section of the file (hybrid, speed) is kept
OWN_SECTIONS = ("## Layout per label", "## Per file", "## Ground truth and its limits")


def _other_sections(path: Path) -> str:
    """The sections of an existing report that other benchmarks wrote (from the first "## "
    heading that is not one of ``OWN_SECTIONS`` to the end), so a rerun keeps them."""
    if not path.exists():
        return ""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("## ") and not line.startswith(OWN_SECTIONS):
            return "\n" + "".join(lines[i:])
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
