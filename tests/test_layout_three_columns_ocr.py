"""Three-column scans (issue 14 item 2, the OCRed half): read column by column.

Two kinds of pages, asserted on real OCR results (Tesseract through the engine, no mocks):

- image-only copies of the generated three-column pages (tests/data/multicol, rendered at
  200 dpi in the test, no text layer), checked against their LaTeX ground truth. OCR misreads
  words, so text is matched word by word: a word found once in the truth has a place in its
  reading order. A line glued across a gutter holds words from rows of two columns, far apart
  in that order; blocks in column order have their words' places rising block after block.
- the OmniDocBench newspaper scan (three columns of Federal Register notices, 72 dpi) from
  ../shared/corpus: its human ground truth gives every text block's box and reading order; the
  columns are the x ranges of those blocks. No block may reach over two columns, and the body
  must come column by column.
"""

from __future__ import annotations

import functools
import json
import re
import statistics
from pathlib import Path

import pytest

from docparse.api import convert
from docparse.document import Document, Label
from docparse.engines.layout import LayoutEngine
from docparse.engines.layout.scan.ocr import tesseract_available
from tests.conftest import CORPUS
from tests.multicol_pages import DATA, PAGES, body, truth

pytestmark = pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")

#: a line's known words may stand this many words apart in the truth's reading order (a row of
#: one column holds some eight words; a row glued to the next column's row, a column apart)
ROW_SPREAD_WORDS = 30
NEWSPAPER = "newspaper_5e266dfd9c498cab274e12a7b4a75755_4.jpg"
#: points a block may reach into the neighbouring column (OCR boxes, the model's margins)
COLUMN_SLACK_PT = 6.0


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{5,}", text.casefold())


def _truth_text(entries: list[dict]) -> str:
    out = []
    for e in entries:
        if "text" in e:
            out.append(e["text"])
        elif e["kind"] == "table":
            out.extend(c["text"] for c in sorted(e["cells"], key=lambda c: (c["row"], c["col"])))
    return " ".join(out)


def _places(name: str) -> dict[str, int]:
    """Words (five letters or more) found once in the truth, by their place in reading order."""
    words = _words(_truth_text(truth(name)["reading_order"]))
    once = {w for w in words if words.count(w) == 1}
    return {w: i for i, w in enumerate(words) if w in once}


@functools.lru_cache(maxsize=None)
def _scan_of(name: str) -> Document:
    import pymupdf

    src = pymupdf.open(DATA / f"{name}.pdf")
    scan = pymupdf.open()
    for page in src:
        copy = scan.new_page(width=page.rect.width, height=page.rect.height)
        copy.insert_image(copy.rect, pixmap=page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY))
    data = scan.tobytes()
    path = Path(__import__("tempfile").mkdtemp()) / f"{name}-scan.pdf"
    path.write_bytes(data)
    return convert(str(path), engine=LayoutEngine())


@pytest.mark.parametrize("name", PAGES)
def test_scan_no_line_mixes_two_columns(name: str) -> None:
    places = _places(name)
    doc = _scan_of(name)
    assert doc.pages[0].blocks, "the scan was read"
    mixed = []
    for block in doc.pages[0].blocks:
        if block.label is Label.TABLE:
            continue
        for line in block.text.split("\n"):
            found = [places[w] for w in _words(line) if w in places]
            if found and max(found) - min(found) > ROW_SPREAD_WORDS:
                mixed.append(line)
    assert mixed == []


@pytest.mark.parametrize("name", PAGES)
def test_scan_body_in_column_order(name: str) -> None:
    places = _places(name)
    blocks = [b for b in body(_scan_of(name)) if b.label is not Label.TABLE]
    where = []
    for block in blocks:
        found = [places[w] for w in _words(block.text) if w in places]
        if len(found) >= 3:
            where.append(statistics.median(found))
    paragraphs = [e for e in truth(name)["reading_order"] if e["kind"] == "paragraph"]
    assert len(where) >= 0.6 * len(paragraphs), "most of the page's text was found"
    assert where == sorted(where)


# -- the OmniDocBench newspaper scan ---------------------------------------------------------------


def _newspaper_truth() -> dict:
    pages = json.loads((CORPUS / "omnidocbench" / "OmniDocBench_demo.json").read_text(encoding="utf-8"))
    return next(p for p in pages if p["page_info"]["image_path"] == NEWSPAPER)


def _truth_columns(page: dict) -> tuple[list[tuple[float, float]], float]:
    """x ranges of the page's columns (its text blocks grouped by left edge), and the top of
    the columns (the running header above them is no column's)."""
    boxes = []
    for det in page["layout_dets"]:
        if det["category_type"] in ("text_block", "title"):
            xs, ys = det["poly"][0::2], det["poly"][1::2]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
    boxes.sort()
    columns: list[list[tuple]] = []
    for box in boxes:
        if columns and box[0] - columns[-1][0][0] < 50:
            columns[-1].append(box)
        else:
            columns.append([box])
    ranges = [(min(b[0] for b in c), max(b[2] for b in c)) for c in columns]
    return ranges, min(b[1] for b in boxes)


@functools.lru_cache(maxsize=1)
def _newspaper() -> Document:
    return convert(str(CORPUS / "omnidocbench" / "images" / NEWSPAPER), engine=LayoutEngine())


def _column_of(box: tuple, ranges: list[tuple[float, float]]) -> list[int]:
    return [k for k, (x0, x1) in enumerate(ranges) if min(box[2], x1) - max(box[0], x0) > COLUMN_SLACK_PT]


@pytest.mark.skipif(not (CORPUS / "omnidocbench" / "images" / NEWSPAPER).is_file(), reason="corpus not present")
def test_newspaper_scan_blocks_in_one_column_each() -> None:
    ranges, top = _truth_columns(_newspaper_truth())
    assert len(ranges) == 3
    blocks = [b for b in _newspaper().pages[0].blocks if b.text.strip() and b.bbox[1] >= top - 2]
    assert len(blocks) >= 15, "the notices' paragraphs are blocks of their own"
    over = [b.text[:40] for b in blocks if len(_column_of(b.bbox, ranges)) > 1]
    assert over == []


@pytest.mark.skipif(not (CORPUS / "omnidocbench" / "images" / NEWSPAPER).is_file(), reason="corpus not present")
def test_newspaper_scan_read_column_by_column() -> None:
    ranges, top = _truth_columns(_newspaper_truth())
    columns = [_column_of(b.bbox, ranges) for b in body(_newspaper()) if b.text.strip() and b.bbox[1] >= top - 2]
    sequence = [c[0] for c in columns if len(c) == 1]
    assert set(sequence) == {0, 1, 2}
    assert sequence == sorted(sequence)
