"""End to end: ``docparse.api.convert`` on the generated samples, checked against their truth files.

These run the default (layout) engine on samples/*.pdf and compare with the samples' truth files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from docparse.document import Document, Label

api = pytest.importorskip("docparse.api", reason="docparse.api does not import yet")

pytestmark = pytest.mark.slow  # each conversion takes a few seconds on a small CPU

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def truth(name: str) -> Document:
    return Document.from_dict(json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8")))


def key(text: str) -> str:
    """A matching key for a block: first 30 letters/digits, line-end hyphens undone."""
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return re.sub(r"[\W_]+", "", text.lower())[:30]


_converted: dict[str, Document] = {}


def converted(name: str) -> Document:
    """Each sample is converted once per test session (a conversion takes seconds)."""
    if name not in _converted:
        _converted[name] = api.convert(SAMPLES / f"{name}.pdf")
    return _converted[name]


@pytest.fixture(scope="module")
def article() -> Document:
    return converted("article")


@pytest.fixture(scope="module")
def article_truth() -> Document:
    return truth("article")


def test_article_converts_every_page(article):
    assert [p.status.value for p in article.pages] == ["ok", "ok"]
    assert sum(len(p.blocks) for p in article.pages) >= 30


def test_article_headings_with_levels(article):
    levels = {b.text.strip(): b.level for b in article.iter_blocks() if b.label == Label.HEADING}
    for text in ("1 Introduction", "2 Method", "2.1 Data", "3 Results"):
        assert text in levels, f"heading {text!r} not found among {sorted(levels)}"
    assert levels["1 Introduction"] == levels["2 Method"] == levels["3 Results"]
    assert levels["2.1 Data"] > levels["1 Introduction"]
    titles = [b for b in article.iter_blocks() if b.label == Label.TITLE]
    assert titles and titles[0].text.startswith("Low-Cost Capacitive Sensors")


def test_article_reading_order_follows_the_columns(article, article_truth):
    """Blocks found in both (matched by their first words) come in the truth's order, per page."""
    for page, tpage in zip(article.pages, article_truth.pages):
        truth_order = {key(b.text): b.order for b in tpage.reading_order if b.text}
        found = [truth_order[key(b.text)] for b in page.reading_order if key(b.text) in truth_order]
        assert len(found) >= 10, f"page {page.index}: only {len(found)} blocks matched the truth"
        assert found == sorted(found), f"page {page.index}: reading order {found}"
    order = [key(b.text) for b in article.pages[0].reading_order]
    left_last, right_first = key("2.1 Data"), key("The processing follows three steps")
    assert order.index(left_last) < order.index(right_first)


def test_article_furniture_is_labelled(article):
    for page in article.pages:
        furniture = {b.label: b.text.strip() for b in page.blocks if b.order is None and b.is_furniture}
        assert furniture.get(Label.HEADER) == "docparse sample article", page.index
        assert furniture.get(Label.PAGE_NUMBER) == str(page.index + 1), page.index
        assert Label.FOOTER in furniture, page.index
        body_text = " ".join(b.text for b in page.reading_order)
        assert "docparse sample article" not in body_text


def test_article_table_keeps_merged_cells(article):
    from bs4 import BeautifulSoup

    tables = [b for b in article.iter_blocks() if b.label == Label.TABLE and b.html]
    assert tables
    soup = BeautifulSoup(tables[0].html, "html.parser")
    cells = {c.get_text(" ", strip=True): c for c in soup.find_all(["td", "th"])}
    assert cells["Error (RMSE)"].get("colspan") == "2"
    assert cells["reference"].get("colspan") == "2"
    assert cells["Sensor"].get("rowspan") == "2"
    assert len(soup.find_all("tr")) == 6


def test_article_captions_belong_to_their_table(article):
    caps = [b for b in article.iter_blocks() if b.label == Label.CAPTION]
    table_caps = [c for c in caps if c.text.startswith("Table 1:")]
    assert table_caps
    ids = {b.id: b for b in article.iter_blocks()}
    assert ids[table_caps[0].caption_for].label == Label.TABLE


def test_article_vector_figure_is_found(article, article_truth):
    want = next(b for b in article_truth.iter_blocks() if b.label == Label.IMAGE)
    got = [b for b in article.pages[1].blocks if b.label in (Label.IMAGE, Label.CHART)]
    assert any(b.bbox[0] < want.bbox[2] and want.bbox[0] < b.bbox[2]
               and b.bbox[1] < want.bbox[3] and want.bbox[1] < b.bbox[3] for b in got)


def test_article_line_end_hyphens_are_undone(article, article_truth):
    text = " ".join(b.text for b in article.iter_blocks())
    for head in (w for b in article_truth.iter_blocks() for w in b.meta.get("hyphenated_line_ends", [])):
        assert not re.search(rf"\b{re.escape(head)}\s", text), head
    assert "state-of-the-art" in text  # a real hyphen stays


@pytest.mark.parametrize("name", ["table_two_pages", "table_two_pages_norepeat"])
def test_long_table_is_linked_across_pages(name):
    doc = converted(name)
    tables = [b for p in doc.pages for b in p.blocks if b.label == Label.TABLE]
    assert tables and tables[0].page == 0
    # either merged into one block or the page-2 part points back at the page-1 part
    assert len(tables) == 1 or tables[1].continuation.head_id == tables[0].id


@pytest.mark.parametrize("name", ["table_two_pages", "table_two_pages_norepeat"])
def test_long_table_cells_all_present_in_order(name):
    from bs4 import BeautifulSoup

    doc = converted(name)
    want = [c.get_text(strip=True) for b in truth(name).iter_blocks() if b.label == Label.TABLE
            for c in BeautifulSoup(b.html, "html.parser").find_all("td")]
    # a table merged across pages holds all its rows; its continuation stub is not counted again
    got = [c.get_text(" ", strip=True) for b in doc.iter_blocks()
           if b.label == Label.TABLE and b.html and not b.is_continuation
           for c in BeautifulSoup(b.html, "html.parser").find_all("td")]
    assert got == want


def test_scanned_page_words_come_back_with_ocr():
    if not shutil.which("tesseract"):
        pytest.skip("Tesseract is not installed: the scanned sample needs OCR")
    doc = converted("scanned")
    got = set(re.findall(r"[a-z]+", " ".join(b.text for b in doc.iter_blocks()).lower()))
    want = re.findall(r"[a-z]+", " ".join(b.text for b in truth("scanned").iter_blocks()).lower())
    assert sum(w in got for w in want) / len(want) >= 0.9


def test_scanned_page_structure_with_ocr():
    if not shutil.which("tesseract"):
        pytest.skip("Tesseract is not installed: the scanned sample needs OCR")
    labels = [b.label for b in converted("scanned").iter_blocks(furniture=False)]
    assert labels.count(Label.HEADING) == 1
    assert labels.count(Label.PARAGRAPH) >= 2
    assert Label.LIST in labels
    assert Label.CODE not in labels and Label.IMAGE not in labels
