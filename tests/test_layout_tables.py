"""Table grids from cell boxes and from the layout model, rendered as safe HTML."""

from types import SimpleNamespace

from docparse.engines.layout_tables import Cell, grid_from_boxes, model_table, table_html


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
