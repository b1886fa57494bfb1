"""Ground-truth readers on the shared corpus (skipped when ../shared/corpus is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.evaluation.evaluate import score_page
from docparse.evaluation.groundtruth import (
    read_docling_json,
    read_markdown,
    read_omnidocbench,
    read_samples_truth,
)
from docparse.evaluation.groundtruth_cvat import read_cvat
from docparse.evaluation.types import PageItems

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


def _as_prediction(page: PageItems) -> PageItems:
    """The ground truth itself, as a perfect system would emit it."""
    return PageItems(page=page.page, items=list(page.items), has_boxes=page.has_boxes,
                     layout_boxes=page.layout_boxes)


@needs_corpus
def test_omnidocbench_pages() -> None:
    base = CORPUS / "omnidocbench"
    docs = read_omnidocbench(base / "OmniDocBench_demo.json", base / "derived_pdf", base / "images")
    assert len(docs) == 18
    for doc in docs:
        (page,) = doc.pages
        for _, (x0, y0, x1, y1) in page.layout():  # image pixels == points of the derived PDF
            assert -2 <= x0 <= x1 <= page.width + 2 and -2 <= y0 <= y1 <= page.height + 2
        assert all(it.order is None for it in page.items if it.ignore)
        s = score_page(page, _as_prediction(page))
        assert s.text in (0.0, None) and all(t == (1.0, 1.0) for t in s.tables)
    chroma = next(d for d in docs if "chroma" in d.name).pages[0]
    assert sum(it.kind == "table" and bool(it.html) for it in chroma.items) == 1
    assert any(it.label == "page_number" and it.ignore for it in chroma.items)


@needs_corpus
def test_docling_json_tables_levels_furniture() -> None:
    doc = read_docling_json(CORPUS / "docling" / "2305.03393v1-pg9.json",
                            CORPUS / "docling" / "2305.03393v1-pg9.pdf")
    items = doc.pages[0].items
    tables = [it for it in items if it.kind == "table"]
    assert len(tables) == 1 and 'rowspan="2"' in tables[0].html and 'colspan="3"' in tables[0].html
    headings = [it for it in items if it.kind == "heading"]
    assert headings and all(it.level == 2 for it in headings)  # section level 1 under a title
    header = next(it for it in items if it.label == "header")
    assert header.ignore and header.order is None
    assert all(0 <= it.bbox[1] <= it.bbox[3] <= doc.pages[0].height for it in items)


@needs_corpus
def test_mineru_markdown_is_one_document_page() -> None:
    md = CORPUS / "mineru" / "cleaned_academic_literature_f7904bc37cc2e25c1e3e412978854b10.md"
    doc = read_markdown(md, md.with_name("academic_literature_f7904bc37cc2e25c1e3e412978854b10.pdf"), "mineru")
    (page,) = doc.pages
    assert page.page is None and not page.has_boxes
    assert any(it.kind == "heading" and it.text == "Introduction" for it in page.items)
    assert [it.order for it in page.items if it.order is not None] == sorted(
        it.order for it in page.items if it.order is not None
    )


@needs_corpus
def test_cvat_side_by_side_pages_and_order() -> None:
    base = CORPUS / "docling-eval" / "cvat_pdfs_dataset_e2e"
    docs = read_cvat(base / "case_01_annotations.xml", base / "case_01")
    assert len(docs) == 2  # two of the four images have their PDF in the corpus
    for doc in docs:
        assert len(doc.pages) == 2
        for page in doc.pages:
            assert page.layout()
            for _, (x0, _, x1, _) in page.layout():
                assert -2 <= x0 <= x1 <= page.width + 2
        ranks = [it.order for p in doc.pages for it in p.items if it.order is not None]
        assert len(ranks) >= 5 and len(set(ranks)) == len(ranks)
        texts = [it.text for p in doc.pages for it in p.items if it.kind == "text" and not it.ignore]
        assert sum(bool(t) for t in texts) >= 0.8 * len(texts)  # text comes from the PDF layer


def test_samples_truth_scores_perfectly_against_itself() -> None:
    truths = sorted((REPO / "samples").glob("*.truth.json"))
    if not truths:
        pytest.skip("samples/*.truth.json not generated")
    for path in truths:
        doc = read_samples_truth(path)
        assert Path(doc.pdf).exists()
        for page in doc.pages:
            s = score_page(page, _as_prediction(page))
            assert s.text in (0.0, None)
            assert all(t == (1.0, 1.0) for t in s.tables)
            assert s.layout is not None and all(c.recall == 1.0 for c in s.layout.values())


def test_generated_page_truth_in_reading_order(tmp_path) -> None:
    """tests/data/multicol's truth (from the LaTeX source): ranks, heading levels, a set-aside
    formula and a table with a row-spanning cell."""
    import json

    from docparse.evaluation.groundtruth import read_reading_order_truth

    truth = {
        "source": "page.tex",
        "reading_order": [
            {"kind": "title", "text": "Tides"},
            {"kind": "heading", "text": "1 The crossing"},
            {"kind": "paragraph", "text": "A ferry crosses."},
            {"kind": "formula", "latex": "t = d / v"},
            {"kind": "table", "n_rows": 3, "n_cols": 2, "cells": [
                {"row": 0, "col": 0, "rowspan": 1, "text": "Tide"}, {"row": 0, "col": 1, "rowspan": 1, "text": "Min"},
                {"row": 1, "col": 0, "rowspan": 2, "text": "Flood"}, {"row": 1, "col": 1, "rowspan": 1, "text": "11"},
                {"row": 2, "col": 1, "rowspan": 1, "text": "12"},
            ]},
        ],
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(truth), encoding="utf-8")
    gt = read_reading_order_truth(path)
    assert gt.pdf == str(tmp_path / "page.pdf") and gt.source == "generated"
    items = gt.pages[0].items
    assert [(i.kind, i.level, i.order) for i in items[:3]] == [("heading", 1, 0), ("heading", 2, 1), ("text", None, 2)]
    assert items[3].kind == "formula" and items[3].ignore
    assert items[4].html == (
        "<table><tr><td>Tide</td><td>Min</td></tr>"
        '<tr><td rowspan="2">Flood</td><td>11</td></tr><tr><td>12</td></tr></table>'
    )
