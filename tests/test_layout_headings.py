"""Headings on OCRed pages: the layout model decides, OCR sizes do not; misread model headings."""

from docparse.document import Label
from docparse.engines.layout.blocks import build_blocks
from docparse.engines.layout.labels import misread_heading
from docparse.engines.layout.context import PageContext, Region, RegionOrigin
from docparse.engines.layout.text import Line, Span


def _line(x0, y0, x1, text, size=20.0):
    bbox = (x0, y0, x1, y0 + size)
    return Line(bbox=bbox, spans=[Span(text, bbox, "ocr", size, 0)])


OCRED = PageContext(page=None, index=0, scanned=True)  # blocks of a scan read by OCR
BORN_DIGITAL = PageContext(page=None, index=0)


def _region(label, lines, model_class=None):
    """A region the layout model boxed as ``model_class``, or (None) one the heuristics made."""
    box = (min(ln.bbox[0] for ln in lines), min(ln.bbox[1] for ln in lines),
           max(ln.bbox[2] for ln in lines), max(ln.bbox[3] for ln in lines))
    origin = RegionOrigin.HEURISTIC if model_class is None else RegionOrigin.MODEL
    return Region(bbox=box, label=label, lines=lines, origin=origin, model_class=model_class)


def test_misread_heading():
    assert misread_heading("(15)") is Label.FORMULA
    assert misread_heading("[T(x), Z(y)] = w d(x - y).\n(16)") is Label.FORMULA
    assert misread_heading("57165") is Label.PARAGRAPH
    assert misread_heading("3.1. Soxhlet extraction") is None
    assert misread_heading("1") is None  # a chapter number set alone
    assert misread_heading("2.3") is None
    assert misread_heading("二、“比较美术学”的中西视域") is None
    assert misread_heading("Results (2019)") is None


def test_scattered_rows_are_not_a_heading_on_a_scan():
    from docparse.engines.layout.labels import scattered_rows

    assert scattered_rows("F 2\nH 二\n了\nGa\nIs")
    assert not scattered_rows("3\n문제점")  # a number above its title: two rows
    assert not scattered_rows("Row and Column Access Control\nSupport in IBM DB2\nfor i")
    rows = [_line(880, 480 + 40 * i, 950, t) for i, t in enumerate(["F 2", "了", "Ga", "Is"])]
    head = _region(Label.HEADING, rows, "section-header")
    body = _region(Label.PARAGRAPH, [_line(100, 700, 700, "Read each question")], "text")
    blocks = build_blocks([head, body], OCRED)
    assert not any(b.label is Label.HEADING for b in blocks)


def test_heuristic_heading_on_an_ocr_page_is_a_paragraph():
    # a model heading stays; a "larger" OCR row the heuristics called a heading (lines re-read
    # from a model text box) is prose on a scan
    model_head = _region(Label.HEADING, [_line(100, 100, 400, "3. Results and discussion")], "section-header")
    guessed = _region(Label.HEADING, [_line(100, 200, 700, "orator to 1 ml. The extracts were", 29.0)])
    body = _region(Label.PARAGRAPH, [_line(100, 300, 700, "Concern has been expressed over")], "text")
    blocks = build_blocks([model_head, guessed, body], OCRED)
    labels = {b.text: b.label for b in blocks}
    assert labels["3. Results and discussion"] is Label.HEADING
    assert labels["orator to 1 ml. The extracts were"] is Label.PARAGRAPH


def test_heuristic_heading_stays_without_ocr_or_without_model():
    guessed = _region(Label.HEADING, [_line(100, 200, 400, "Introduction", 29.0)])
    body = _region(Label.PARAGRAPH, [_line(100, 300, 700, "Some prose follows here")], "text")
    blocks = build_blocks([guessed, body], BORN_DIGITAL)  # a born-digital page: sizes are real
    assert blocks[0].label is Label.HEADING
    guessed = _region(Label.HEADING, [_line(100, 200, 400, "Introduction", 29.0)])
    plain = _region(Label.PARAGRAPH, [_line(100, 300, 700, "Some prose follows here")])
    blocks = build_blocks([guessed, plain], OCRED)  # heuristics only: no model
    assert blocks[0].label is Label.HEADING


def test_model_title_over_an_equation_number_is_a_formula():
    number = _region(Label.TITLE, [_line(1343, 616, 1387, "(15)")], "title")
    body = _region(Label.PARAGRAPH, [_line(100, 300, 700, "with constraints as")], "text")
    blocks = build_blocks([number, body], OCRED)
    assert [b.label for b in blocks if b.text == "(15)"] == [Label.FORMULA]


def test_short_first_row_above_prose_on_a_scan_is_a_heading():
    rows = [_line(100, 100, 230, "免责声明")] + [
        _line(100, 140 + 42 * i, 1540, "本报告仅供本公司境内客户使用本公司不会因接收人收到本报告而视其为客户" + str(i))
        for i in range(4)
    ]
    box = _region(Label.PARAGRAPH, rows, "text")
    blocks = build_blocks([box], OCRED)
    assert [b.label for b in blocks] == [Label.HEADING, Label.PARAGRAPH]
    assert blocks[0].text == "免责声明"
    assert blocks[1].bbox[1] >= 140


def test_short_first_row_kept_when_it_ends_a_sentence_or_stands_far_off():
    prose = [_line(100, 140 + 42 * i, 1540, "a full row of running prose in the column " * 2) for i in range(4)]
    ended = _region(Label.PARAGRAPH, [_line(100, 100, 300, "to 1 ml.")] + prose, "text")
    assert len(build_blocks([ended], OCRED)) == 1
    far = _region(Label.PARAGRAPH, [_line(100, -200, 300, "Banner")] + prose, "text")
    assert len(build_blocks([far], OCRED)) == 1
    plain = _region(Label.PARAGRAPH, [_line(100, 100, 300, "Disclaimer")] + prose, "text")
    assert len(build_blocks([plain], BORN_DIGITAL)) == 1  # born-digital page: the model's box stands


def test_model_text_box_over_indented_paragraphs_on_a_scan_is_split():
    def para(y, n):
        rows = [_line(140, y, 1500, "an indented first row of a paragraph that runs on")]
        rows += [_line(100, y + 40 * i, 1500, "a full row of running prose across the column") for i in range(1, n - 1)]
        return rows + [_line(100, y + 40 * (n - 1), 700, "a short last row.")]

    lines = para(100, 4) + para(260, 3)
    box = _region(Label.PARAGRAPH, lines, "text")
    blocks = build_blocks([box], OCRED)
    assert [len(b.text.splitlines()) for b in blocks] == [4, 3]
    assert blocks[0].bbox[3] <= blocks[1].bbox[1]
    assert len(build_blocks([_region(Label.PARAGRAPH, lines, "text")], BORN_DIGITAL)) == 1  # born-digital: kept
