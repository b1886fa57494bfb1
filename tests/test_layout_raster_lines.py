"""Ruling lines read from a scan's pixels, and table grids built from them."""

import io

import numpy as np
import pytest

from docparse.engines.layout.context import PageContext
from docparse.engines.layout.tables.pixel_grid import is_clean_grid, raster_table
from docparse.engines.layout.tables.pixel_rules import lines_in_image, ruling_lines

BEIGE, RULE = 232, 168  # a light rule on a tinted page, as in many scanned school books


def _grid_image(skew_px: int = 0) -> np.ndarray:
    """A 400 x 300 grey image: 4 horizontal rules (2 px) and 3 vertical rules (1-3 px)."""
    img = np.full((300, 400), BEIGE, dtype=np.uint8)
    for y in (40, 100, 160, 220):
        for x in range(50, 351):
            dy = round(skew_px * (x - 50) / 300)  # a slightly skewed scan
            img[y + dy : y + dy + 2, x] = RULE
    for x, thick in ((50, 1), (200, 3), (350, 2)):
        img[40:222, x : x + thick] = RULE
    # text-like marks: short strokes in a column, a row apart (must not become a rule)
    for y in range(50, 210, 20):
        img[y : y + 8, 120] = 30
    return img


def test_lines_found_in_pixels_with_thickness_and_skew():
    h, v = lines_in_image(_grid_image(skew_px=3), zoom=1.0, origin=(0, 0, 400, 300), min_len=30)
    ys = sorted(round(s[0]) for s in h)
    assert len(ys) == 4 and all(abs(a - b) <= 3 for a, b in zip(ys, (41, 101, 161, 221)))
    assert all(s[2] - s[1] >= 280 for s in h)  # each rule found whole despite the skew
    xs = sorted(round(s[0]) for s in v)
    assert xs == pytest.approx([50, 201, 351], abs=1)
    assert not any(abs(s[0] - 120) < 3 for s in v)  # the stroke column is not a rule


def test_positions_come_back_in_points():
    h, v = lines_in_image(_grid_image(), zoom=2.0, origin=(100, 10, 300, 160), min_len=15)
    assert min(s[0] for s in h) == pytest.approx(10 + 41 / 2, abs=1)
    assert min(s[0] for s in v) == pytest.approx(100 + 50.5 / 2, abs=1)


def test_flat_page_has_no_lines():
    h, v = lines_in_image(np.full((200, 200), 200, dtype=np.uint8), 1.0, (0, 0, 200, 200), 20)
    assert h == [] and v == []


def _w(x0, y0, x1, y1, text):
    return (x0, y0, x1, y1, text, 0, 0, 0)


def test_raster_table_cells_spans_and_ocr_rule_characters():
    # 3 rows x 3 columns; the rule at x=200 is missing in the header row, where one word spans it
    h = [(0, 0, 300), (20, 0, 300), (40, 0, 300), (60, 0, 300)]
    v = [(0, 0, 60), (100, 0, 60), (200, 20, 60), (300, 0, 60)]
    words = [
        _w(10, 5, 40, 15, "Name"), _w(130, 5, 270, 15, "Scores"),
        _w(10, 25, 40, 35, "ann"), _w(110, 25, 290, 35, "1|2"),  # OCR read "1", the rule, "2" as one word
        _w(10, 45, 40, 55, "bob"), _w(110, 45, 130, 55, "3"), _w(198, 45, 202, 55, "|"),
    ]
    table = raster_table(h, v, words, tol=3)
    assert table is not None and (table.n_rows, table.n_cols) == (3, 3)
    assert '<th colspan="2">Scores</th>' in table.html
    rows = table.text.splitlines()
    assert rows[1] == "ann | 1 | 2"
    assert rows[2] == "bob | 3 | "  # the rule read as "|" is not cell text
    assert is_clean_grid(table)


def test_no_grid_without_crossing_lines():
    h = [(0, 0, 300), (20, 0, 300), (40, 0, 300)]  # rules only across: a booktabs table
    assert raster_table(h, [(150, 100, 200)], [_w(10, 5, 40, 15, "x")], tol=3) is None


def test_grid_without_words_is_not_clean():
    h = [(0, 0, 300), (50, 0, 300), (100, 0, 300)]
    v = [(0, 0, 100), (150, 0, 100), (300, 0, 100)]
    table = raster_table(h, v, [], tol=3)
    assert table is not None and not is_clean_grid(table)


def _scanned_pdf(rule=(205, 185, 175), width=1) -> bytes:
    """An image-only PDF page (700 x 500 pt): a 4 x 3 ruled table with words, drawn into a picture.

    Thin light rules: MuPDF's Tesseract reads nothing in cells boxed by heavy lines.
    """
    pymupdf = pytest.importorskip("pymupdf")
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (1400, 1000), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=28)
    except TypeError:  # old Pillow: fixed-size bitmap font
        font = ImageFont.load_default()
    xs, ys = [100, 500, 800, 1100], [150, 250, 350, 450, 550]
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=rule, width=width)
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=rule, width=width)
    rows = [["Fruit", "Price", "Stock"], ["Apple", "12", "40"], ["Pear", "15", "22"], ["Plum", "9", "71"]]
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            draw.text((xs[j] + 30, ys[i] + 32), text, fill=(20, 20, 20), font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=700, height=500)
    page.insert_image(page.rect, stream=buf.getvalue())
    return doc.tobytes()



def _ocred_scan(**drawing) -> PageContext:
    """``_scanned_pdf(**drawing)`` OCRed in English, as the engine's page context; skips without
    Tesseract."""
    pymupdf = pytest.importorskip("pymupdf")
    from docparse.engines.layout.scan.ocr import language_installed, upright_ocr_page
    from docparse.engines.layout.text import extract_lines

    if not language_installed("eng"):
        pytest.skip("Tesseract with English data is not installed")
    page = upright_ocr_page(pymupdf.open("pdf", _scanned_pdf(**drawing))[0], "eng")
    textpage = page.get_textpage()
    return PageContext(
        page=page,
        index=0,
        lines=extract_lines(page, textpage, ocr=True),
        words=page.get_text("words", textpage=textpage),
        scanned=True,
        ocr_language="eng",
        ocr_textpage=textpage,
    )

def test_ruling_lines_on_an_image_only_pdf():
    pymupdf = pytest.importorskip("pymupdf")
    page = pymupdf.open("pdf", _scanned_pdf())[0]
    h, v = ruling_lines(page, (0, 0, 700, 500), min_len=40)
    assert sorted(round(s[0]) for s in h) == pytest.approx([75, 125, 175, 225, 275], abs=2)
    assert sorted(round(s[0]) for s in v) == pytest.approx([50, 250, 400, 550], abs=2)


def test_scanned_table_from_ocr_words():
    from docparse.engines.layout.tables.scanned import scanned_table

    ctx = _ocred_scan()
    # the model called it a picture, a bit smaller than the grid: a clean grid is still a table
    table = scanned_table(ctx, (60, 80, 540, 260), strict=True)
    assert table is not None and (table.n_rows, table.n_cols) == (4, 3)
    assert table.text.splitlines()[0].replace(" ", "") == "Fruit|Price|Stock"
    assert "Plum" in table.text.splitlines()[3]


def test_lines_through_most_words_are_not_a_grid():
    # "rules" that run through the words: strokes of CJK text lined up, not a table's grid
    h = [(0, 0, 300), (20, 0, 300), (40, 0, 300)]
    v = [(0, 0, 40), (150, 0, 40), (300, 0, 40)]
    words = [_w(120, 5, 180, 15, "across"), _w(130, 25, 170, 35, "again"), _w(10, 5, 40, 15, "ok")]
    assert raster_table(h, v, words, tol=3) is None
    assert raster_table(h, v, words, tol=3, max_cut=None) is not None


def test_table_ruled_across_only_takes_columns_from_gutters_or_the_model():
    from docparse.engines.layout.tables.scanned import gutter_table

    # a rule under every row, no vertical rules; a tall first cell with a paragraph in it
    h = [(y, 0, 400) for y in (0, 20, 40, 60, 80)]
    words = [_w(10, 3, 60, 17, "Rating"), _w(210, 3, 260, 17, "Meaning")]
    words += [_w(10, 23 + k * 12, 90, 33 + k * 12, f"para{k}") for k in range(4)]  # runs across unruled rows
    for r, (name, text) in enumerate([("Buy", "up 15%"), ("Hold", "flat"), ("Sell", "down")]):
        words += [_w(210, 23 + r * 20, 250, 37 + r * 20, name), _w(300, 23 + r * 20, 360, 37 + r * 20, text)]
    h_part = [h[0], h[1]] + [(y, 200, 400) for y in (40, 60)] + [h[4]]  # body rules in the right columns only
    table = gutter_table(h_part, words, (0, 0, 400, 80), word_h=10, tol=3, columns=[])
    assert table is not None and (table.n_rows, table.n_cols) == (4, 3)
    assert '<td rowspan="3">para0' in table.html
    # OCR words bridging the column gap: the model's column starts are used instead
    bridged = words + [_w(60, 63, 340, 77, "runs-over")]
    table = gutter_table(h_part, bridged, (0, 0, 400, 80), word_h=10, tol=3, columns=[200, 290])
    assert table is not None and table.n_cols == 3
    # a rule under the header only: the body is one band of many rows, left to the model
    body = [_w(10 + k * 150, 25 + r * 12, 60 + k * 150, 35 + r * 12, f"v{r}{k}") for r in range(5) for k in range(3)]
    assert gutter_table([(0, 0, 400), (20, 0, 400), (90, 0, 400)], body, (0, 0, 400, 90), 10, 3, []) is None


def test_erase_lines_paints_rules_white():
    from docparse.engines.layout.tables.pixel_rules import erase_lines

    img = _grid_image()
    h, v = lines_in_image(img, 1.0, (0, 0, 400, 300), 30)
    erase_lines(img, 1.0, (0, 0, 400, 300), h, v)
    assert img[40:42, 60:340].min() == 255 and img[60:200, 200:203].min() == 255
    assert img[52, 120] == 30  # the text-like stroke stays


def test_table_with_heavy_rules_is_read_again_without_them():
    from docparse.engines.layout.tables.scanned import scanned_table

    # dark 2 px rules: Tesseract on the whole page reads next to nothing in the boxed cells
    ctx = _ocred_scan(rule=(90, 90, 90), width=2)
    table = scanned_table(ctx, (50, 75, 550, 275), strict=False)
    assert table is not None and (table.n_rows, table.n_cols) == (4, 3)
    assert "Plum" in table.text and "71" in table.text


def test_page_grid_held_by_a_region_is_not_found_twice():
    from docparse.engines.layout.tables.scanned import page_grids

    ctx = _ocred_scan()
    assert len(page_grids(ctx, [])) == 1
    assert page_grids(ctx, [(45, 70, 555, 280)]) == []  # a table region already holds it
    assert len(page_grids(ctx, [(0, 0, 700, 500)])) == 1  # a box over the whole page does not
