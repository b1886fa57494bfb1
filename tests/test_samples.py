"""samples/: the generator reproduces the committed PDFs, and the truth files agree with the PDFs."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from docparse.document import Document, Label

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
NAMES = ["article", "scanned", "table_two_pages", "table_two_pages_norepeat"]
TEXT_NAMES = [n for n in NAMES if n != "scanned"]


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def truth(name: str) -> Document:
    return Document.from_dict(json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def regenerated() -> dict[str, tuple[bytes, str]]:
    return {name: gen.make(name) for name in NAMES}


# -- the script reproduces the committed files ------------------------------------------------
def test_every_sample_is_listed_and_committed():
    assert sorted(gen.BUILDERS) == sorted(NAMES)
    for name in NAMES:
        assert (SAMPLES / f"{name}.pdf").is_file()
        assert (SAMPLES / f"{name}.truth.json").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_truth_is_reproduced(regenerated, name):
    _, text = regenerated[name]
    assert text == (SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_pdf_is_reproduced_byte_for_byte(regenerated, name):
    if pymupdf.VersionBind != gen.GENERATED_WITH:
        pytest.skip(f"committed PDFs were made with PyMuPDF {gen.GENERATED_WITH}, this is {pymupdf.VersionBind}")
    pdf, _ = regenerated[name]
    assert pdf == (SAMPLES / f"{name}.pdf").read_bytes()


def test_generation_is_deterministic(regenerated):
    again, _ = gen.make("article")
    assert again == regenerated["article"][0]


@pytest.mark.slow
def test_script_writes_all_files(tmp_path):
    run = subprocess.run([sys.executable, str(SAMPLES / "make_samples.py"), "--out", str(tmp_path), "article"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "article.truth.json").read_text(encoding="utf-8") == (
        SAMPLES / "article.truth.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_pdfs_are_small(name):
    assert (SAMPLES / f"{name}.pdf").stat().st_size < 200 * 1024


# -- truth files are well formed -------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_truth_structure(name):
    doc = truth(name)
    pdf = pymupdf.open(SAMPLES / f"{name}.pdf")
    assert len(doc.pages) == pdf.page_count == doc.source.page_count
    for page, pdf_page in zip(doc.pages, pdf):
        assert (page.width, page.height) == (pdf_page.rect.width, pdf_page.rect.height)
        ids = [b.id for b in page.blocks]
        assert ids == [f"p{page.index}-b{i}" for i in range(len(page.blocks))]
        body = [b for b in page.blocks if not b.is_furniture]
        assert [b.order for b in body] == list(range(len(body)))
        assert all(b.order is None for b in page.blocks if b.is_furniture)
        for b in page.blocks:
            x0, y0, x1, y1 = b.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height, b.id
            assert b.text or b.label == Label.IMAGE, b.id
            if b.caption_for:
                assert b.label == Label.CAPTION
                assert b.caption_for in ids


# -- truth agrees with the text layer ---------------------------------------------------------
def _page_words(page: pymupdf.Page, bbox) -> list[str]:
    """Words the text layer has inside a truth box, with line-end hyphenation undone."""
    clip = pymupdf.Rect(bbox) + (-1.5, -1.5, 1.5, 1.5)
    text = page.get_text("text", clip=clip)
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return text.split()


def _same_words(page_words: list[str], truth_words: list[str], marks: list[str]) -> bool:
    """Word sequences equal, allowing a footnote mark glued to a word ("sites1" for "sites")."""
    if len(page_words) != len(truth_words):
        return False
    return all(p == t or (p.startswith(t) and p[len(t):] in marks) for p, t in zip(page_words, truth_words))


@pytest.mark.parametrize("name", TEXT_NAMES)
def test_truth_text_matches_text_layer(name):
    doc = truth(name)
    pdf = pymupdf.open(SAMPLES / f"{name}.pdf")
    checked = 0
    for page in doc.pages:
        pdf_page = pdf[page.index]
        for b in page.blocks:
            words = _page_words(pdf_page, b.bbox)
            if b.label == Label.IMAGE:
                assert words == [], b.id
                assert any(pymupdf.Rect(d["rect"]).intersects(b.bbox) for d in pdf_page.get_drawings())
                continue
            if b.label == Label.TABLE:  # cell order in the text layer is the extractor's business
                assert sorted(words) == sorted(b.text.split()), b.id
            elif b.label == Label.LIST:
                markers = {it.marker for it in b.items}
                assert [w for w in words if w not in markers] == b.text.split(), b.id
                assert [w for w in words if w in markers] == [it.marker for it in b.items], b.id
            else:
                assert _same_words(words, b.text.split(), b.meta.get("footnote_marks", [])), (b.id, words)
            checked += 1
    assert checked >= 6


def test_scanned_page_has_no_text_layer_but_truth_has_words():
    pdf = pymupdf.open(SAMPLES / "scanned.pdf")
    page = pdf[0]
    assert page.get_text().strip() == ""
    images = page.get_images(full=True)
    assert len(images) == 1
    box = page.get_image_bbox(images[0])
    assert all(abs(a - b) < 0.01 for a, b in zip(box, page.rect))  # the picture is the whole page
    doc = truth("scanned")
    assert doc.source.metadata["text_layer"] is False
    labels = [b.label for b in doc.pages[0].blocks]
    assert labels == [Label.HEADING, Label.PARAGRAPH, Label.PARAGRAPH, Label.LIST]
    assert len(doc.pages[0].blocks[3].items) == 3
    assert sum(len(b.text.split()) for b in doc.pages[0].blocks) > 100


# -- the article has what the tests of other modules rely on ------------------------------------
def test_article_headings_and_levels():
    doc = truth("article")
    headings = {b.text: b.level for b in doc.blocks if b.label == Label.HEADING}
    for text, level in {"1 Introduction": 1, "2 Method": 1, "2.1 Data": 2, "3 Results": 1}.items():
        assert headings[text] == level
    title = [b for b in doc.blocks if b.label == Label.TITLE]
    assert len(title) == 1 and title[0].text.startswith("Low-Cost Capacitive Sensors")
    fonts = {}
    pdf = pymupdf.open(SAMPLES / "article.pdf")
    for block in pdf[0].get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                fonts[span["text"].strip()] = span["size"]
    assert fonts["1 Introduction"] > fonts["2.1 Data"]  # heading levels differ in size


def test_article_table_spans_and_captions():
    doc = truth("article")
    table = next(b for b in doc.blocks if b.label == Label.TABLE)
    assert table.html.count('colspan="2"') == 2 and table.html.count('rowspan="2"') == 2
    caps = {b.caption_for: b for b in doc.blocks if b.label == Label.CAPTION}
    assert caps[table.id].text.startswith("Table 1:")
    image = next(b for b in doc.blocks if b.label == Label.IMAGE)
    assert caps[image.id].text.startswith("Figure 1:")


def test_article_reading_order_goes_down_the_left_column_first():
    doc = truth("article")
    for page in doc.pages:
        body = [b for b in page.reading_order if b.label != Label.FOOTNOTE]
        columns = [0 if b.bbox[2] <= page.width / 2 else 1 for b in body if b.bbox[2] - b.bbox[0] < 300]
        assert columns == sorted(columns) and set(columns) == {0, 1}, page.index
    continued = [b for b in doc.blocks if "continues" in b.meta]
    assert continued, "a paragraph should flow from one column into the next"


def test_article_furniture_code_formula_footnote():
    doc = truth("article")
    for page in doc.pages:
        labels = {b.label: b for b in page.blocks if b.is_furniture}
        assert labels[Label.HEADER].text == "docparse sample article"
        assert labels[Label.PAGE_NUMBER].text == str(page.index + 1)
        assert Label.FOOTER in labels
    blocks = list(doc.iter_blocks())
    code = next(b for b in blocks if b.label == Label.CODE)
    assert code.text.startswith("def calibrate(") and "\n" in code.text
    formula = next(b for b in blocks if b.label == Label.FORMULA)
    assert formula.latex and formula.text.endswith("(1)")
    note = next(b for b in blocks if b.label == Label.FOOTNOTE)
    marked = next(b for b in blocks if b.meta.get("footnote_marks"))
    assert note.meta["marker"] in marked.meta["footnote_marks"]
    lists = [b for b in blocks if b.label == Label.LIST]
    assert [it.marker for it in lists[0].items] == ["\u2022"] * 3
    assert [it.marker for it in lists[1].items] == ["1.", "2.", "3."]


def test_article_hyphenation():
    doc = truth("article")
    pdf = pymupdf.open(SAMPLES / "article.pdf")
    raw = "".join(p.get_text() for p in pdf)
    broken = [(b, w) for b in doc.blocks for w in b.meta.get("hyphenated_line_ends", [])]
    assert len(broken) >= 2
    for block, head in broken:
        assert head + "\n" in raw  # printed broken in the PDF ...
        assert re.search(rf"\b{re.escape(head[:-1])}\w", block.text)  # ... and whole in the truth
        assert head not in block.text.split()
    assert "state-of-the-art" in raw and "state-of-the-art" in "".join(b.text for b in doc.blocks)


@pytest.mark.parametrize("name,repeated", [("table_two_pages", True), ("table_two_pages_norepeat", False)])
def test_long_table_continues_on_page_two(name, repeated):
    doc = truth(name)
    src = json.loads((SAMPLES / "sources" / "table_two_pages.json").read_text(encoding="utf-8"))
    first, second = (next(b for b in p.blocks if b.label == Label.TABLE) for p in doc.pages)
    assert second.meta["continues"] == first.id
    assert first.html.startswith("<table><tr><th>Site</th>")
    assert second.html.startswith("<table><tr><th>Site</th>") == repeated
    data_rows = first.html.count("<tr><td>") + second.html.count("<tr><td>")
    assert data_rows == len(src["rows"]) == 60
    assert second.html.count("<tr><td>") >= 5  # a real continuation, not one stray row
