"""The layout engine on small PDFs made here with PyMuPDF (and on the corpus, when present)."""

from __future__ import annotations

from pathlib import Path

import pytest

pymupdf = pytest.importorskip("pymupdf")

from docparse.document import Label, PageStatus  # noqa: E402
from docparse.engines.base import Engine, PageInput  # noqa: E402
from docparse.engines.layout import LayoutEngine  # noqa: E402
from docparse.engines.layout.scan.ocr import tesseract_available  # noqa: E402
from docparse.errors import OptionsError  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
LOREM = "Lorem ipsum dolor sit amet consectetur adipiscing"


# -- building test pages --------------------------------------------------------------------------


def page_input(doc, index: int = 0, has_text_layer: bool | None = None) -> PageInput:
    page = doc[index]
    if has_text_layer is None:
        has_text_layer = bool(page.get_text("text").strip())
    return PageInput(
        doc=doc,
        index=index,
        width=page.rect.width,
        height=page.rect.height,
        image_size=(28, 28),
        render=lambda: None,  # the layout engine never renders
        has_text_layer=has_text_layer,
    )


def _para(page, x: float, y: float, tag: str, n: int = 6, size: float = 10) -> float:
    for i in range(n):
        page.insert_text((x, y + i * 13), f"{tag} line {i} {LOREM}"[:44], fontsize=size)
    return y + n * 13


def article_pdf():
    """Header, title, numbered headings, two columns, then full-width code and a list, page number."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 40), "Journal of Tests - Running Header", fontsize=8)
    page.insert_text((72, 90), "A Study of Layout Engines", fontsize=24, fontname="hebo")
    page.insert_text((72, 130), "1 Introduction", fontsize=14, fontname="hebo")
    y = _para(page, 72, 160, "LeftA")
    y = _para(page, 72, y + 12, "LeftB")
    page.insert_text((72, y + 20), "1.1 Background", fontsize=12, fontname="hebo")
    _para(page, 72, y + 40, "LeftC")
    y = _para(page, 310, 160, "RightA")
    _para(page, 310, y + 12, "RightB")
    wide = "Wide paragraph across both columns, which ends the two-column part of the page here."
    page.insert_text((72, 530), wide, fontsize=10)
    page.insert_text((72, 560), "2 Code", fontsize=14, fontname="hebo")
    code = ["def hello(name):", "    if name:", "        print('hi', name)", "    return None"]
    for i, ln in enumerate(code):
        page.insert_text((72, 590 + i * 12), ln, fontsize=10, fontname="cour")
    items = [(72, "1. First item of the list"), (90, "a) nested item here"), (72, "2. Second item of the list")]
    for i, (x, t) in enumerate(items):
        page.insert_text((x, 670 + i * 14), t, fontsize=10)
    page.insert_text((290, 810), "3", fontsize=9)
    return doc


def table_pdf():
    """A ruled 3x3 table whose first header cell spans two columns."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 80), "Results of the experiment are shown in the table below.", fontsize=10)
    xs, ys = [72, 192, 312, 432], [100, 124, 148, 172]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y))
    for x in xs:
        top = ys[0]
        if x == xs[1]:  # no rule between the first two header cells: they are one merged cell
            top = ys[1]
        page.draw_line((x, top), (x, ys[-1]))
    page.insert_text((80, 116), "Method and setting", fontsize=10)
    page.insert_text((320, 116), "Score", fontsize=10)
    rows = [("alpha", "small", "0.91"), ("beta", "large", "0.87")]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 8, ys[r + 1] + 16), text, fontsize=10)
    page.insert_text((72, 200), "Table 1. Scores per method.", fontsize=9)
    return doc


def scanned_pdf():
    """A page whose only content is a picture of text (no text layer)."""
    src = pymupdf.open()
    page = src.new_page(width=400, height=300)
    page.insert_text((40, 80), "Scanned Heading", fontsize=24)
    page.insert_text((40, 130), "This page has no text layer at all.", fontsize=14)
    pix = page.get_pixmap(dpi=200)
    doc = pymupdf.open()
    out = doc.new_page(width=400, height=300)
    out.insert_image(out.rect, pixmap=pix)
    return doc


@pytest.fixture(scope="module")
def engine():
    eng = LayoutEngine()
    yield eng
    eng.close()


@pytest.fixture(scope="module", params=[True, False], ids=["model", "heuristic"])
def any_engine(request):
    return LayoutEngine(use_layout_model=request.param)


def _convert(eng: LayoutEngine, doc, **kw):
    return eng.process([page_input(doc, **kw)])[0]


def _find(blocks, needle: str):
    hits = [b for b in blocks if needle in b.text]
    assert hits, f"no block holds {needle!r}: {[b.text[:30] for b in blocks]}"
    return hits[0]


# -- the interface --------------------------------------------------------------------------------


def test_engine_protocol_and_info(engine):
    assert isinstance(engine, Engine)
    assert engine.name == "layout" and engine.batch_size == 1
    info = engine.info()
    assert info.name == "layout"
    assert info.settings["ocr"] == "auto"


def test_bad_ocr_option():
    with pytest.raises(OptionsError):
        LayoutEngine(ocr="sometimes")


# -- labels, levels, order ------------------------------------------------------------------------


def test_article_labels_and_levels(any_engine):
    doc = article_pdf()
    out = _convert(any_engine, doc)
    assert out.status is PageStatus.OK and out.seconds > 0
    blocks = out.blocks
    title = _find(blocks, "A Study of Layout Engines")
    assert title.label is Label.TITLE and title.level == 1
    intro, background = _find(blocks, "1 Introduction"), _find(blocks, "1.1 Background")
    assert intro.label is Label.HEADING and background.label is Label.HEADING
    assert intro.level < background.level
    assert _find(blocks, "Running Header").label is Label.HEADER
    number = [b for b in blocks if b.text == "3"]
    assert number and number[0].label is Label.PAGE_NUMBER
    for b in blocks:
        assert b.source == "layout"
        assert (b.order is None) == b.is_furniture
        assert b.id == f"p0-b{blocks.index(b)}"
    assert sorted(b.order for b in blocks if b.order is not None) == list(range(len(blocks) - 2))
    assert _find(blocks, "LeftA line 0").meta["font_size"] == 10


def test_two_columns_reading_order(any_engine):
    out = _convert(any_engine, article_pdf())
    order = {b.text.split()[0]: b.order for b in out.blocks if b.text.startswith(("Left", "Right"))}
    first = lambda tag: min(v for k, v in order.items() if k.startswith(tag))  # noqa: E731
    last = lambda tag: max(v for k, v in order.items() if k.startswith(tag))  # noqa: E731
    assert last("Left") < first("Right")
    code = _find(out.blocks, "def hello")
    wide = _find(out.blocks, "Wide paragraph")
    assert last("Right") < wide.order < code.order  # a full-width line ends the columns


def test_three_columns_and_repeated_header(any_engine):
    doc = pymupdf.open()
    for n in range(2):
        page = doc.new_page(width=612, height=792)
        page.insert_text((50, 36), "Quarterly Gazette - Spring Issue", fontsize=8)
        page.insert_text((50, 80), f"Three Column News Page {n + 1}", fontsize=20, fontname="hebo")
        for c, x in enumerate((50, 225, 400)):
            y = 120
            for p in range(2):
                for i in range(8):
                    page.insert_text((x, y + i * 12), f"C{c}P{p} line {i} words here", fontsize=9)
                y += 8 * 12 + 14
        page.insert_text((300, 770), str(n + 1), fontsize=9)
    for index in range(2):
        out = _convert(any_engine, doc, index=index)
        assert _find(out.blocks, "Quarterly Gazette").label is Label.HEADER
        body = sorted((b for b in out.blocks if b.order is not None), key=lambda b: b.order)
        tags = [b.text[:4] for b in body if b.text.startswith("C")]
        assert tags == ["C0P0", "C0P1", "C1P0", "C1P1", "C2P0", "C2P1"], tags
        assert body[0].text.startswith("Three Column News")


def test_code_block_is_verbatim(any_engine):
    out = _convert(any_engine, article_pdf())
    code = _find(out.blocks, "def hello")
    assert code.label is Label.CODE
    assert code.meta["mono"] is True
    assert code.text.splitlines() == ["def hello(name):", "    if name:", "        print('hi', name)", "    return None"]


def test_list_items_with_levels_and_markers(any_engine):
    out = _convert(any_engine, article_pdf())
    lists = [b for b in out.blocks if b.label is Label.LIST]
    assert len(lists) == 1
    items = lists[0].items
    assert [it.text for it in items] == ["First item of the list", "nested item here", "Second item of the list"]
    assert [it.level for it in items] == [0, 1, 0]
    assert [it.marker for it in items] == ["1.", "a)", "2."]
    assert all(it.bbox is not None for it in items)


def test_table_colspan_from_merged_cell(any_engine):
    out = _convert(any_engine, table_pdf())
    tables = [b for b in out.blocks if b.label is Label.TABLE]
    assert len(tables) == 1
    html = tables[0].html
    assert html.startswith("<table>") and html.count("<tr>") == 3
    assert 'colspan="2">Method and setting</th>' in html
    assert "<td>alpha</td>" in html and "0.87" in tables[0].text
    caption = _find(out.blocks, "Table 1.")
    assert caption.label is Label.CAPTION and caption.caption_for == tables[0].id


def test_vector_figure_with_caption(any_engine):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    _para(page, 72, 80, "Intro")
    for i, h in enumerate([60, 100, 40, 80]):  # a bar chart drawn with vector shapes only
        page.draw_rect((100 + 50 * i, 300 - h, 130 + 50 * i, 300), color=(0, 0, 0), fill=(0.2, 0.4, 0.8))
    page.draw_line((90, 300), (320, 300))
    page.insert_text((72, 320), "Figure 1: Bars drawn with vector shapes.", fontsize=9)
    _para(page, 72, 360, "After")
    out = _convert(any_engine, doc)
    images = [b for b in out.blocks if b.label is Label.IMAGE]
    assert len(images) == 1
    x0, y0, x1, y1 = images[0].bbox
    assert x0 <= 100 and x1 >= 280 and y0 <= 200 and y1 >= 299
    caption = _find(out.blocks, "Figure 1:")
    assert caption.label is Label.CAPTION and caption.caption_for == images[0].id
    assert _find(out.blocks, "Intro").order < images[0].order < _find(out.blocks, "After").order


def test_rotated_page_boxes_are_in_displayed_space(engine):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    _para(page, 72, 100, "Body")
    page.set_rotation(90)
    out = _convert(engine, doc)
    assert out.blocks
    for b in out.blocks:
        x0, y0, x1, y1 = b.bbox
        assert 0 <= x0 < x1 <= 842 + 1 and 0 <= y0 < y1 <= 595 + 1


def test_blank_page_is_empty(engine):
    doc = pymupdf.open()
    doc.new_page()
    out = _convert(engine, doc)
    assert out.status is PageStatus.EMPTY and out.blocks == []


# -- OCR ------------------------------------------------------------------------------------------


def test_scanned_page_without_ocr_is_empty_with_warning():
    eng = LayoutEngine(ocr="never")
    out = _convert(eng, scanned_pdf())
    assert out.status is PageStatus.EMPTY
    assert all(b.label is Label.IMAGE for b in out.blocks)
    assert any("OCR is off" in w for w in out.warnings)


def test_scanned_page_without_tesseract(monkeypatch):
    import docparse.engines.layout.engine as layout

    monkeypatch.setattr(layout, "tesseract_available", lambda: False)
    out = _convert(LayoutEngine(), scanned_pdf())
    assert out.status is PageStatus.EMPTY
    assert any(w.startswith("no text layer and Tesseract is not installed") for w in out.warnings)


@pytest.mark.slow
@pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")
def test_scanned_page_is_ocred(engine):
    out = _convert(engine, scanned_pdf())
    assert out.status is PageStatus.OK
    text = " ".join(b.text for b in out.blocks)
    assert "scanned heading" in text.lower() and "no text layer" in text
    assert all(b.meta.get("ocr") for b in out.blocks if b.text)


@pytest.mark.slow
@pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")
def test_rotated_scan_is_ocred_upright(engine):
    """A sideways scan that /Rotate turns upright is read as displayed, boxes in displayed points."""
    src = scanned_pdf()
    pix = src[0].get_pixmap(dpi=150)
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=400)
    page.insert_image(page.rect, pixmap=pix, rotate=90)
    page.set_rotation(90)
    out = _convert(engine, doc)
    heading = _find(out.blocks, "Heading")
    assert "no text layer" in " ".join(b.text for b in out.blocks)
    x0, y0, x1, y1 = heading.bbox
    assert 30 < x0 < 60 and 50 < y0 < 80 and x1 < 260  # where the heading is on the upright page


# -- the corpus -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_right_to_left_corpus_page(engine):
    path = CORPUS / "docling" / "right_to_left_01.pdf"
    if not path.exists():
        pytest.skip("right_to_left_01.pdf not in the corpus")
    doc = pymupdf.open(path)
    out = _convert(engine, doc)
    text = "\n".join(b.text for b in sorted((b for b in out.blocks if b.order is not None), key=lambda b: b.order))
    # the first row of the page reads "تعتبر البرمجة بلغة R وPython" before "من الأدوات القوية"
    assert text.index("تعتبر البرمجة") < text.index("من الأدوات القوية")


def test_layout_model_survives_pymupdf4llm_switching_it_off(tmp_path):
    """pymupdf4llm.use_layout(False) clears PyMuPDF's process-wide layout hook; we turn it back on."""
    import pymupdf
    import pymupdf4llm

    from docparse.engines.layout.regions.model import run_layout_model

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(72, 72, 540, 300), "A paragraph of body text. " * 20, fontsize=11)
    try:
        pymupdf4llm.use_layout(False)
        assert run_layout_model(page), "the layout model gave no regions"
    finally:
        pymupdf4llm.use_layout(True)
