"""Region labelling without PDFs: clustering lines, heuristic labels, refinements of model classes."""

from docparse.document import Label
from docparse.engines.layout.context import PageContext, Region, RegionOrigin
from docparse.engines.layout.labels import is_caption, looks_like_math
from docparse.engines.layout.regions.heuristic import cluster_lines, text_regions
from docparse.engines.layout.regions.refine import refine
from docparse.engines.layout.text import Line, Span


def _line(x0, y, text, size=10.0, font="Helvetica", flags=0, width=None):
    x1 = x0 + (width if width is not None else 5 * len(text))
    bbox = (x0, y, x1, y + size * 1.2)
    return Line(bbox=bbox, spans=[Span(text, bbox, font, size, flags)])


def test_cluster_lines_into_paragraphs_and_items():
    lines = [
        _line(72, 100, "First paragraph line one"),
        _line(72, 112, "first paragraph line two"),
        _line(72, 150, "Second paragraph"),
        _line(72, 190, "1. item one"),
        _line(72, 202, "2. item two"),
    ]
    clusters = cluster_lines(lines)
    assert [len(c) for c in clusters] == [2, 1, 1, 1]


def test_heuristic_labels():
    lines = [
        _line(72, 20, "Running header", size=8),
        _line(72, 100, "Big Title", size=24),
        _line(72, 160, "Section", size=14),
        *[_line(72, 200 + 12 * i, f"body text line {i} of the paragraph") for i in range(8)],
        _line(72, 400, "Figure 2: a picture of things"),
        _line(72, 440, "x = 1", font="Courier", flags=8),
        _line(290, 820, "7", size=8),
    ]
    labels = {r.lines[0].text: r.label for r in text_regions(lines, page_height=842)}
    assert labels["Running header"] is Label.HEADER
    assert labels["Big Title"] is Label.TITLE
    assert labels["Section"] is Label.HEADING
    assert labels["body text line 0 of the paragraph"] is Label.PARAGRAPH
    assert labels["Figure 2: a picture of things"] is Label.CAPTION
    assert labels["x = 1"] is Label.CODE
    assert labels["7"] is Label.PAGE_NUMBER


def test_refine_model_regions():
    def region(label, *texts, **kw):
        lines = [_line(72, 100 + 12 * i, t, **kw) for i, t in enumerate(texts)]
        return Region(bbox=(72, 100, 300, 100 + 12 * len(texts)), label=label, lines=lines)

    regions = [
        region(Label.PARAGRAPH, "for i in range(3):", "    print(i)", font="Courier", flags=8),
        region(Label.FOOTER, "- 12 -"),
        region(Label.HEADING, "Listing 1: A program"),
        region(Label.HEADING, "a2 + 8 = 12"),
        region(Label.PARAGRAPH, "• an item"),
        region(Label.PARAGRAPH, "Just prose."),
    ]
    labels = [r.label for r in refine(regions, page_height=842)]
    assert labels == [Label.CODE, Label.PAGE_NUMBER, Label.CAPTION, Label.FORMULA, Label.LIST, Label.PARAGRAPH]


def test_looks_like_math():
    assert looks_like_math("a2 + 8 = 12")
    assert looks_like_math("E = mc^2")
    assert not looks_like_math("The value x = 3 was chosen for all runs")
    assert not looks_like_math("No relation here")


def test_is_caption():
    assert is_caption("Figure 1: Field error of each sensor", 4)
    assert is_caption("Fig. 3 Small bowel ulcer counts", 1)
    assert is_caption("Table 2. Scores", 1)
    assert not is_caption("Figure 1 breaks the field error down by sensor and shows", 3)
    assert not is_caption("Tables are hard", 1)


def test_plausible_table():
    from docparse.engines.layout.tables.grid import Cell, Table

    def table(texts, n_rows, n_cols):
        cells = [Cell(i // n_cols, i % n_cols, text=t) for i, t in enumerate(texts)]
        return Table(bbox=(0, 0, 100, 100), cells=cells, n_rows=n_rows, n_cols=n_cols)

    from docparse.engines.layout.regions.model import plausible_table

    assert plausible_table(table(["a", "1", "b", "2"], 2, 2))
    assert not plausible_table(table(["Hazardous"], 1, 1))  # one word is not a table
    prose = "the adsorption of perfluorinated compounds onto activated carbon was reduced by organic matter"
    assert not plausible_table(table([prose, prose, prose, prose], 2, 2))
    contents = [f"Chapter {i} . . . . . {i * 7}" for i in range(1, 6)]
    assert plausible_table(table(contents, 5, 1))  # a table of contents: one column of numbered entries
    assert plausible_table(None)


def test_numbered_bold_line_is_a_heading_and_one_title_per_page():
    lines = [
        _line(72, 60, "Big Title", size=24),
        _line(72, 130, "Also Big", size=22),
        _line(72, 190, "1. Introduction", font="Helvetica-Bold"),
        *[_line(72, 230 + 12 * i, f"body text line {i} of the paragraph") for i in range(8)],
    ]
    labels = {r.lines[0].text: r.label for r in text_regions(lines, page_height=842)}
    assert labels["Big Title"] is Label.TITLE and labels["Also Big"] is Label.HEADING
    assert labels["1. Introduction"] is Label.HEADING


def _two_column_page():
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for i in range(8):
        y = 100 + 14 * i
        page.insert_text((72, y), f"Left column prose, line {i} of the text", fontsize=10)
        page.insert_text((330, y), f"Right column prose, line {i} of the text", fontsize=10)
    return doc, page


def test_one_model_box_over_two_columns_is_read_column_by_column():
    from docparse.engines.layout.regions.model import model_regions
    from docparse.engines.layout.text import extract_lines

    doc, page = _two_column_page()
    lines = extract_lines(page)
    raw = [{"class_name": "text", "group_bbox": (60, 80, 560, 220)}]  # one box over both columns
    ctx = PageContext(page=page, index=0, lines=lines, words=page.get_text("words"), scanned=True)
    regions, _ = model_regions(ctx, raw)
    texts = [r for r in regions if r.lines]
    assert len(texts) >= 2
    assert all(r.bbox[2] < 320 or r.bbox[0] > 320 for r in texts)  # no region crosses the gutter
    assert sum(len(r.lines) for r in texts) == 16


def test_key_value_lines_are_not_prose_columns():
    from docparse.engines.layout.columns import spans_columns

    pairs = [_line(72, 100 + 14 * i, f"Key {i}", width=30) for i in range(5)]
    pairs += [_line(300, 100 + 14 * i, "value" if i % 2 else "a longer value here", width=40 + 60 * (i % 2 == 0)) for i in range(5)]
    prose = [_line(72, 100 + 14 * i, "x" * 40, width=200) for i in range(5)]
    prose += [_line(300, 100 + 14 * i, "y" * 40, width=200) for i in range(5)]
    assert not spans_columns(pairs)
    assert spans_columns(prose)


def test_background_picture_does_not_block_columns():
    from docparse.engines.layout.blocks import build_blocks

    def para(x0, y, x1, text):
        ln = _line(x0, y, text, width=x1 - x0)
        return Region(bbox=ln.bbox, label=Label.PARAGRAPH, lines=[ln])

    background = Region(bbox=(0, 200, 612, 792), label=Label.IMAGE)
    left = [para(27, 240 + 60 * i, 127, f"left {i}") for i in range(3)]
    right = [para(153, 243 + 60 * i, 414, f"right {i}") for i in range(3)]
    blocks = build_blocks([right[1], background, left[2], right[0], left[0], right[2], left[1]], PageContext(None, 0))
    body = sorted((b for b in blocks if b.order is not None), key=lambda b: b.order)
    assert [b.text for b in body if b.text] == [f"left {i}" for i in range(3)] + [f"right {i}" for i in range(3)]
    assert body[0].label is Label.IMAGE  # read just before the first region it holds


def test_first_line_indents_start_paragraphs_hanging_indents_do_not():
    from docparse.engines.layout.regions.heuristic import split_indented

    # two paragraphs without space between them, each opening with a two-em indent
    book = [_line(92, 100, "x" * 30, width=300), _line(72, 112, "x" * 34, width=320), _line(72, 124, "x" * 10, width=100)]
    book += [_line(92, 136, "y" * 30, width=300), _line(72, 148, "y" * 34, width=320), _line(72, 160, "y" * 34, width=320)]
    assert [len(p) for p in split_indented(book)] == [3, 3]
    hanging = [_line(72, 100, "z" * 34, width=320)] + [_line(92, 112 + 12 * i, "z" * 30, width=300) for i in range(3)]
    assert [len(p) for p in split_indented(hanging)] == [4]


def test_scanned_picture_holding_a_ruled_grid_becomes_a_table():
    from docparse.engines.layout.regions.model import model_regions

    from tests.test_layout_raster_lines import _ocred_scan

    ctx = _ocred_scan()
    raw = [{"class_name": "picture", "group_bbox": [60, 80, 540, 260]}]  # the model's word for the grid
    regions, _ = model_regions(ctx, raw)
    tables = [r for r in regions if r.label is Label.TABLE]
    assert len(tables) == 1 and tables[0].table is not None
    assert (tables[0].table.n_rows, tables[0].table.n_cols) == (4, 3)
    assert not any(r.label is Label.IMAGE for r in regions)


def test_model_columns_start_at_one_column_cells():
    from types import SimpleNamespace

    from docparse.engines.layout.tables.grid import model_columns

    cell = lambda i, c0, c1: SimpleNamespace(bbox_idx=i, col_start=c0, col_end=c1)  # noqa: E731
    region = {
        "bboxes": [(0, 0, 50, 10), (120, 0, 150, 10), (110, 20, 150, 30), (0, 40, 300, 50), (220, 20, 260, 30)],
        "table_cells": [cell(0, 0, 1), cell(1, 1, 2), cell(2, 1, 2), cell(3, 0, 3), cell(4, 2, 3)],
    }
    assert model_columns(region) == [110, 220]  # the spanning cell says nothing about a column start


def test_scanned_grid_no_model_region_holds_becomes_a_table():
    from docparse.engines.layout.regions.model import model_regions

    from tests.test_layout_raster_lines import _ocred_scan

    ctx = _ocred_scan()
    raw = [{"class_name": "text", "group_bbox": [40, 60, 560, 290]}]  # the model read the grid as text
    regions, _ = model_regions(ctx, raw)
    tables = [r for r in regions if r.label is Label.TABLE]
    assert len(tables) == 1 and tables[0].origin is RegionOrigin.RASTER_GRID
    assert "Apple" in tables[0].table.text
    assert not any(r.label is not Label.TABLE and r.lines for r in regions)  # its rows are the table's
