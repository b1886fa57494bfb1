"""benchmarks/hybrid.py's truth: what a simulated model can say and where (no model runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from docparse.evaluation.types import GTDocument, Item, PageItems

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(REPO / "benchmarks"))
    import hybrid

    return hybrid


def test_a_bullet_glyph_name_is_not_truth_a_page_can_say() -> None:
    from docparse.evaluation.groundtruth import shown_as_printed

    gt = GTDocument("docling", "d", "d.pdf", [PageItems(0, [Item("text", "SM590000 Security fundamentals"),
                                                            Item("text", "No bullet here.")])])
    texts = [it.text for it in shown_as_printed(gt).pages[0].items]
    assert texts == ["Security fundamentals", "No bullet here."]


def test_truth_of_a_page_without_readable_text_is_still_what_the_model_reads(bench, tmp_path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=400, height=600)
    page.draw_rect(pymupdf.Rect(50, 50, 350, 100), color=(0, 0, 0))  # an image-like page: no text layer
    pdf = tmp_path / "scan.pdf"
    doc.save(pdf)
    doc.close()
    items = [Item("heading", "A title", level=1, order=0), Item("text", "A paragraph the image shows.", order=1)]
    gt = GTDocument("mineru", "scan", str(pdf), [PageItems(None, items)])  # one Markdown for the document
    blocks = bench.truth_blocks(gt)[0]
    assert [b.text for b in blocks] == ["A title", "A paragraph the image shows."]
    assert [b.order for b in blocks] == [0, 1]
    assert blocks[0].bbox[3] <= blocks[1].bbox[1]  # stacked down the page in reading order
    assert all(0 <= v <= 600 for b in blocks for v in b.bbox)
