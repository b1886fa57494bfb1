"""Score one document's conversion against a ground-truth file: what ``docparse eval`` runs.

The ground truth can be any format the benchmark reads:

- ``docparse``: a docparse JSON document written or corrected by hand (the easiest way to make
  ground truth for your own files: convert, fix the JSON, keep it);
- ``omnidocbench``: an OmniDocBench JSON (a list of page entries; the entry whose
  ``image_path`` has the document's file stem is used);
- ``docling``: a DoclingDocument JSON;
- ``cvat``: a docling-eval CVAT 1.1 XML (the image named ``doc_<document stem>_page_…``);
- ``markdown``: Markdown for the whole document (text, headings, tables; no boxes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docparse.errors import DocparseError
from docparse.evaluation.evaluate import Summary, score_page
from docparse.evaluation.groundtruth import (
    omnidocbench_page,
    read_docling_json,
    read_markdown,
    read_samples_truth,
)
from docparse.evaluation.groundtruth_cvat import read_cvat
from docparse.evaluation.predictions import from_document, whole_document
from docparse.evaluation.types import GTDocument, PageItems

TRUTH_FORMATS = ("auto", "docparse", "omnidocbench", "docling", "cvat", "markdown")


class TruthError(DocparseError):
    """A ground-truth file that cannot be read, or that says nothing about the document."""


def detect_format(truth: Path) -> str:
    """The ground-truth format of ``truth``, from its extension and (for JSON) its top level."""
    suffix = truth.suffix.lower()
    if suffix in (".md", ".markdown", ".txt"):
        return "markdown"
    if suffix == ".xml":
        return "cvat"
    if suffix != ".json":
        raise TruthError(f"cannot tell the ground-truth format of {truth.name}: use --truth-format")
    data = _load_json(truth)
    if isinstance(data, list):
        if data and isinstance(data[0], dict) and "layout_dets" in data[0]:
            return "omnidocbench"
    elif isinstance(data, dict):
        if "schema_version" in data and "pages" in data:
            return "docparse"
        if data.get("schema_name") == "DoclingDocument" or ("body" in data and "texts" in data):
            return "docling"
    raise TruthError(f"{truth.name} is JSON, but not docparse, OmniDocBench or DoclingDocument JSON")


def load_truth(truth: Path, document: Path, fmt: str = "auto") -> GTDocument:
    """Ground truth for ``document`` read from ``truth``."""
    truth, document = Path(truth), Path(document)
    if not truth.is_file():
        raise TruthError(f"ground truth not found: {truth}")
    if fmt not in TRUTH_FORMATS:
        raise TruthError(f"truth format must be one of {', '.join(TRUTH_FORMATS)}, got {fmt!r}")
    if fmt == "auto":
        fmt = detect_format(truth)
    try:
        if fmt == "docparse":
            return read_samples_truth(truth, pdf=document, source="docparse")
        if fmt == "docling":
            return read_docling_json(truth, document)
        if fmt == "markdown":
            return read_markdown(truth, document, "markdown", document.stem)
        if fmt == "omnidocbench":
            return _omnidocbench(truth, document)
        return _cvat(truth, document)
    except TruthError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise TruthError(f"cannot read {truth.name} as {fmt} ground truth ({type(exc).__name__}: {exc})") from exc


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TruthError(f"cannot read {path.name} as JSON ({exc})") from exc


def _omnidocbench(truth: Path, document: Path) -> GTDocument:
    entries = _load_json(truth)
    for entry in entries:
        if Path(entry["page_info"]["image_path"]).stem == document.stem:
            return GTDocument("omnidocbench", document.stem, str(document), [omnidocbench_page(entry, document)])
    raise TruthError(f"{truth.name} has no page whose image_path is named {document.stem}.*")


def _cvat(truth: Path, document: Path) -> GTDocument:
    for gt in read_cvat(truth, document.parent):
        if Path(gt.pdf).resolve() == document.resolve():
            return gt
    raise TruthError(f"{truth.name} has no image named doc_{document.stem}_page_*")


def score_document(gt: GTDocument, pred_pages: list[PageItems]) -> tuple[Summary, list[tuple[int | None, Summary]]]:
    """The document's summary and one summary per ground-truth page (page None: whole document)."""
    total = Summary(files=1, pdf_pages=max(len(pred_pages), len(gt.pages)))
    per_page = []
    by_index = {p.page: p for p in pred_pages}
    for gt_page in gt.pages:
        pred = whole_document(pred_pages) if gt_page.page is None else by_index.get(gt_page.page, PageItems(page=gt_page.page))
        score = score_page(gt_page, pred)
        page_summary = Summary()
        page_summary.add(score)
        per_page.append((gt_page.page, page_summary))
        total.add(score)
    return total, per_page


def evaluate(document: Path, truth: Path, fmt: str = "auto", prediction: Any = None) -> tuple[Summary, list[tuple[int | None, Summary]]]:
    """Score ``prediction`` (a docparse Document; None: convert ``document`` now) against ``truth``."""
    gt = load_truth(truth, document, fmt)
    if prediction is None:
        from docparse.api import convert

        prediction = convert(document)
    return score_document(gt, from_document(prediction))


def summary_dict(s: Summary) -> dict[str, Any]:
    """The reported numbers of a summary, for JSON output (None: not measurable)."""
    layout = s.layout_total()
    return {
        "pages": s.pages,
        "text_edit": s.text_edit(),
        "order_edit": s.order_edit(),
        "teds": s.teds(),
        "teds_structure": s.teds_s(),
        "tables": len(s.tables),
        "formula_edit": s.formula_edit(),
        "formulas": len(s.formulas),
        "layout_precision": layout.precision if layout else None,
        "layout_recall": layout.recall if layout else None,
        "heading_precision": s.headings.precision,
        "heading_recall": s.headings.recall,
        "level_precision": s.levels.precision if s.has_levels else None,
        "level_recall": s.levels.recall if s.has_levels else None,
    }
