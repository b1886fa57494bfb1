"""Orientation of scanned pages: Tesseract's OSD report, turned copies, and the engine end to end."""

from __future__ import annotations

import pymupdf
import pytest

from docparse.engines.layout import LayoutEngine
from docparse.engines.layout.scan.orientation import (
    detect_rotation,
    osd_available,
    parse_osd,
    turned_copy,
    work_to_page,
)
from tests.test_layout_engine import _convert

REPORT = """Page number: 0
Orientation in degrees: 270
Rotate: 90
Orientation confidence: {confidence}
Script: Latin
Script confidence: 3.33
"""

TEXT = [
    "Orientation detection turns sideways scans upright.",
    "Tesseract reads the shapes of the letters on the page",
    "and says how far the page must be turned to read it.",
    "A confident answer is trusted; a guess is ignored.",
    "This paragraph has enough lines for a good guess.",
]


def test_parse_osd_trusts_only_confident_turns():
    assert parse_osd(REPORT.format(confidence="2.84")) == 90
    assert parse_osd(REPORT.format(confidence="0.59")) == 0  # handwriting-like guesses stay upright
    assert parse_osd(REPORT.format(confidence="9.1").replace("Rotate: 90", "Rotate: 0")) == 0
    assert parse_osd("Too few characters. Skipping this page") == 0
    assert parse_osd("") == 0


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_work_to_page_maps_a_turned_copy_back(degrees):
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=300)
    copy = turned_copy(page, degrees)
    assert copy.rotation == degrees
    box = pymupdf.Rect(10, 20, 60, 40)  # a box on the page as displayed
    on_copy = box * page.derotation_matrix * copy.rotation_matrix  # the same box on the turned copy
    back = on_copy * work_to_page(copy, copy, page)
    assert (round(back.x0), round(back.y0), round(back.x1), round(back.y1)) == (10, 20, 60, 40)


def sideways_scan(turn: int) -> pymupdf.Document:
    """An image-only page whose picture of a paragraph is itself turned (no /Rotate to fix it)."""
    src = pymupdf.open()
    page = src.new_page(width=500, height=300)
    for k, line in enumerate(TEXT):
        page.insert_text((40, 60 + 28 * k), line, fontsize=16)
    pix = page.get_pixmap(dpi=200)
    doc = pymupdf.open()
    width, height = (300, 500) if turn in (90, 270) else (500, 300)
    out = doc.new_page(width=width, height=height)
    out.insert_image(out.rect, pixmap=pix, rotate=turn)
    return doc


@pytest.mark.slow
@pytest.mark.skipif(not osd_available(), reason="Tesseract orientation data (osd) is not installed")
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_sideways_scan_is_read_upright(turn):
    doc = sideways_scan(turn)
    assert detect_rotation(doc[0]) in (90, 180, 270)
    out = _convert(LayoutEngine(), doc)
    text = " ".join(b.text for b in out.blocks).lower()
    assert "orientation detection" in text and "good guess" in text
    width, height = doc[0].rect.width, doc[0].rect.height
    for block in out.blocks:  # boxes stay in the page's displayed points
        x0, y0, x1, y1 = block.bbox
        assert -1 <= x0 < x1 <= width + 1 and -1 <= y0 < y1 <= height + 1
    if turn in (90, 270):  # the paragraph's lines run down the page: its box is tall and narrow
        para = max(out.blocks, key=lambda b: len(b.text))
        assert para.bbox[3] - para.bbox[1] > 2 * (para.bbox[2] - para.bbox[0])


@pytest.mark.slow
@pytest.mark.skipif(not osd_available(), reason="Tesseract orientation data (osd) is not installed")
def test_upright_scan_is_left_alone():
    assert detect_rotation(sideways_scan(0)[0]) == 0
