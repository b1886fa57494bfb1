"""Table grids from cell boxes and from the layout model, rendered as safe HTML."""

from types import SimpleNamespace

from docparse.engines.layout.tables.grid import Cell, grid_from_boxes, model_table, table_html, word_grid


def _word(x0, y0, x1, y1, text):
    return (x0, y0, x1, y1, text, 0, 0, 0)


def test_merged_cell_boxes_give_colspan_and_rowspan():
    # 3 columns at x 0/100/200/300, 3 rows at y 0/20/40/60; top-left box spans 2 columns,
    # right column box spans rows 1-2.
    boxes = [
        (0, 0, 200, 20), (200, 0, 300, 20),
        (0, 20, 100, 40), (100, 20, 200, 40), (200, 20, 300, 60),
        (0, 40, 100, 60), (100, 40, 200, 60),
    ]
    words = [_word(80, 5, 120, 15, "Wide"), _word(230, 35, 260, 45, "Tall")]
    table = grid_from_boxes(boxes, words, (0, 0, 300, 60))
    assert table is not None and (table.n_rows, table.n_cols) == (3, 3)
    html = table.html
    assert '<th colspan="2">Wide</th>' in html
    assert '<td rowspan="2">Tall</td>' in html
    assert html.count("<tr>") == 3


def test_html_is_escaped():
    html = table_html([Cell(0, 0, text="<script>alert(1)</script>"), Cell(1, 0, text="a & b")], 2, 1)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "a &amp; b" in html


def test_missing_positions_become_empty_cells():
    html = table_html([Cell(0, 0, text="x")], 2, 2, header_rows=0)
    assert html == "<table><tr><td>x</td><td></td></tr><tr><td></td><td></td></tr></table>"


def test_model_table_spans_and_conflicts():
    info = lambda i, r0, r1, c0, c1, text: SimpleNamespace(  # noqa: E731
        bbox_idx=i, row_start=r0, row_end=r1, col_start=c0, col_end=c1, text=text
    )
    region = {
        "group_bbox": [0, 0, 300, 60],
        "bboxes": [],
        "table_cells": [
            info(0, 0, 1, 0, 2, "Head"),
            info(1, 0, 1, 2, 3, "X"),
            info(2, 1, 2, 0, 1, "a"),
            info(3, 1, 2, 0, 1, "b"),  # same slot: text kept, no second cell
            info(4, 1, 2, 1, 2, "c"),
            info(5, 1, 2, 2, 3, "d"),
        ],
    }
    table = model_table(region, words=[])
    assert table is not None and (table.n_rows, table.n_cols) == (2, 3)
    assert '<th colspan="2">Head</th>' in table.html
    assert "<td>a b</td>" in table.html
    assert table.text.splitlines()[0] == "Head | X"


def _statement_pdf_page():
    """Four small statements laid out 2x2, each with a rule under (or a band around) its header."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=600, height=500)
    for left in (40, 320):
        for top, title in ((60, "Income"), (250, "Balance")):
            name = f"{title}{left}"
            rows = [[name, "2021", "2022", "2023"]] + [[f"item{i}", str(10 + i), str(20 + i), str(30 + i)] for i in range(10)]
            for r, row in enumerate(rows):
                for k, text in enumerate(row):
                    page.insert_text((left + 4 + k * 60, top + 12 + r * 14), text, fontsize=9)
            if top != 60:  # the lower tables open with a band: a rule above and below the header
                page.draw_line((left, top), (left + 240, top), width=0.5)
            page.draw_line((left, top + 15), (left + 240, top + 15), width=0.5)
    return doc, page


def test_one_box_over_four_ruled_tables_is_split_2x2():
    from docparse.engines.layout.tables.split import horizontal_rules, split_table_box

    doc, page = _statement_pdf_page()
    words = page.get_text("words")
    box = (35, 50, 570, 420)
    pieces = split_table_box(box, words, horizontal_rules(page, box))
    assert len(pieces) == 4
    for piece in pieces:
        inside = [w[4] for w in words if piece[0] <= (w[0] + w[2]) / 2 <= piece[2] and piece[1] <= (w[1] + w[3]) / 2 <= piece[3]]
        assert len([t for t in inside if t.startswith(("Income", "Balance"))]) == 1
        assert len([t for t in inside if t.startswith("item")]) == 10
    doc.close()


def test_plain_gutters_and_single_header_rule_do_not_split():
    from docparse.engines.layout.tables.split import split_table_box

    words = [_word(10 + k * 100, 10 + r * 14, 50 + k * 100, 20 + r * 14, f"c{r}{k}") for r in range(8) for k in range(4)]
    box = (0, 0, 400, 130)
    assert split_table_box(box, words, []) == [box]  # no rules: gutters are column gaps
    assert split_table_box(box, words, [(23.0, 5.0, 395.0)]) == [box]  # a header rule across all columns


def test_model_table_clipped_to_one_piece_is_renumbered():
    info = lambda i, r0, r1, c0, c1: SimpleNamespace(  # noqa: E731
        bbox_idx=i, row_start=r0, row_end=r1, col_start=c0, col_end=c1, text=""
    )
    boxes = [(0, 0, 50, 10), (50, 0, 100, 10), (200, 0, 250, 10), (250, 0, 300, 10), (200, 10, 250, 20), (250, 10, 300, 20)]
    region = {
        "group_bbox": [0, 0, 300, 20],
        "bboxes": boxes,
        "table_cells": [info(0, 0, 1, 0, 1), info(1, 0, 1, 1, 2), info(2, 0, 1, 3, 4), info(3, 0, 1, 4, 5),
                        info(4, 1, 2, 3, 4), info(5, 1, 2, 4, 5)],
    }
    words = [_word(b[0] + 5, b[1] + 2, b[0] + 30, b[3] - 2, f"w{i}") for i, b in enumerate(boxes)]
    table = model_table(region, words, clip=(190, 0, 300, 20))
    assert table is not None and (table.n_rows, table.n_cols) == (2, 2)
    assert table.text.splitlines() == ["w2 | w3", "w4 | w5"]


def test_overlapping_model_cells_read_each_word_once():
    info = lambda i, r0, r1, c0, c1: SimpleNamespace(  # noqa: E731
        bbox_idx=i, row_start=r0, row_end=r1, col_start=c0, col_end=c1, text="model text"
    )
    # a tall first-column cell over both rows overlaps the small cell of row 1 in column 0
    boxes = [(0, 0, 100, 40), (100, 0, 200, 20), (50, 20, 100, 40), (100, 20, 200, 40)]
    region = {
        "group_bbox": [0, 0, 200, 40],
        "bboxes": boxes,
        "table_cells": [info(0, 0, 2, 0, 1), info(1, 0, 1, 1, 2), info(2, 1, 2, 0, 1), info(3, 1, 2, 1, 2)],
    }
    words = [_word(5, 5, 40, 15, "tall"), _word(60, 25, 90, 35, "small"), _word(110, 5, 150, 15, "a"),
             _word(110, 25, 150, 35, "b")]
    table = model_table(region, words)
    assert table is not None
    texts = [c.text for c in table.cells]
    assert texts.count("small") == 1 and "tall small" not in texts and "tall" in texts


def _sidebar_prose_and_table():
    """A box over a key-value sidebar (left), a prose column (right, top) and a numbers table
    (right, bottom), as OCR words: one word per token, boxes as tall as their line."""
    words = []
    for r, (key, value) in enumerate([("Industry", "Banks"), ("Website", "bank.example"), ("Owner", "Holding/9%"),
                                      ("Shares", "2,741"), ("Float", "2,643")]):
        y = 10 + r * 20
        words += [_word(10, y, 60, y + 12, key), _word(120, y, 180, y + 12, value)]
    for r in range(8):  # prose: one run of words per line, across the right column
        y = 10 + r * 20
        words += [_word(220 + k * 40, y, 256 + k * 40, y + 12, f"wordy{k}") for k in range(9)]
    words += [_word(300 + k * 60, 200, 340 + k * 60, 212, f"{2021 + k}A") for k in range(3)]
    for r, label in enumerate(["Revenue", "Growth", "Profit", "ROE"]):
        y = 220 + r * 20
        words += [_word(220, y, 280, y + 12, label)] + [_word(300 + k * 60, y, 340 + k * 60, y + 12, f"{r}.{k}") for k in range(3)]
    words += [_word(10, 260, 90, 272, "Analysts")]  # a one-cell heading in the sidebar
    return words


def test_table_box_over_prose_keeps_only_the_tables():
    from docparse.engines.layout.tables.split import trim_prose

    words = _sidebar_prose_and_table()
    boxes = trim_prose((0, 0, 600, 320), words)
    assert boxes is not None and len(boxes) == 2
    side, numbers = sorted(boxes)
    assert side[2] < 200 and side[3] < 120  # the key-value rows, not the heading below them
    assert numbers[0] >= 210 and numbers[1] >= 190  # the numbers table, not the prose above it
    table = word_grid(numbers, words)
    assert table is not None and (table.n_rows, table.n_cols) == (5, 4)
    assert table.text.splitlines()[1] == "Revenue | 0.0 | 0.1 | 0.2"
    assert '<th></th><th>2021A</th>' in table.html  # the header's empty first cell stays


def test_table_box_without_prose_is_left_alone():
    from docparse.engines.layout.tables.split import trim_prose

    words = [_word(10 + k * 100, 10 + r * 14, 50 + k * 100, 20 + r * 14, f"c{r}{k}") for r in range(8) for k in range(4)]
    assert trim_prose((0, 0, 400, 130), words) is None


def test_text_rows_split_tall_ocr_boxes_that_overlap():
    from docparse.engines.layout.tables.split import text_rows

    # a header row and the first body row, each word box as tall as the OCR line (they overlap)
    words = [_word(100, 0, 140, 50, "2021A"), _word(0, 24, 80, 64, "Revenue"), _word(95, 24, 145, 64, "7,655")]
    rows = text_rows(words)
    assert [[w[4] for w in r] for r in rows] == [["2021A"], ["Revenue", "7,655"]]
