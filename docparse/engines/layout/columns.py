"""Text regions that hold more than one column of prose.

The layout model sometimes draws one "text" box over a whole page or over two columns, most
often on OCRed scans, where the text layer has no font facts to tell paragraphs apart. Such a
box is not a paragraph: its lines fall into columns with a gutter between them, each column
full of long lines. Those regions are re-read with the heuristics (``text_regions``), which
cluster lines column by column.
"""

from __future__ import annotations

import statistics

from docparse.engines.layout.params import (
    COLUMN_GUTTER_PT,
    MIN_PROSE_COLUMNS,
    MULTI_COLUMN_MIN_LINES,
    PROSE_COLUMN_MIN_LINES,
    PROSE_FILL_SHARE,
    PROSE_LINE_ASPECT,
    WIDE_GUTTER_EM,
    WIDE_GUTTER_SHARE,
)
from docparse.engines.layout.text import Line
from docparse.geometry import BBox


def columns_of(lines: list[Line], min_gutter: float = COLUMN_GUTTER_PT) -> list[list[Line]]:
    """Lines grouped into columns: x ranges that no line crosses, gutters at least ``min_gutter``."""
    ordered = sorted(lines, key=lambda ln: ln.bbox[0])
    columns: list[list[Line]] = []
    reach = float("-inf")
    for ln in ordered:
        if columns and ln.bbox[0] < reach + min_gutter:
            columns[-1].append(ln)
            reach = max(reach, ln.bbox[2])
        else:
            columns.append([ln])
            reach = ln.bbox[2]
    return columns


def is_prose_column(
    lines: list[Line],
    min_lines: int = PROSE_COLUMN_MIN_LINES,
    fill: float = PROSE_FILL_SHARE,
    length: float = PROSE_LINE_ASPECT,
) -> bool:
    """Several long lines, most of them running across the column (justified or ragged prose).

    Key/value pairs and form fields also stand in two x ranges, but their lines are short:
    a prose line is at least ``length`` times as wide as it is high (some 20 characters).
    """
    if len(lines) < min_lines:
        return False
    x0 = min(ln.bbox[0] for ln in lines)
    x1 = max(ln.bbox[2] for ln in lines)
    width = max(x1 - x0, 1.0)
    widths = [ln.bbox[2] - ln.bbox[0] for ln in lines]
    height = statistics.median(max(ln.bbox[3] - ln.bbox[1], 1.0) for ln in lines)
    return statistics.median(widths) >= max(fill * width, length * height)


def spans_columns(lines: list[Line]) -> bool:
    """True when ``lines`` stand in two columns of prose or more, side by side."""
    if len(lines) < MULTI_COLUMN_MIN_LINES:
        return False
    height = statistics.median(max(ln.bbox[3] - ln.bbox[1], 1.0) for ln in lines)
    columns = columns_of(lines, max(COLUMN_GUTTER_PT, height))
    return sum(is_prose_column(c) for c in columns) >= MIN_PROSE_COLUMNS




def side_by_side(lines: list[Line]) -> list[list[Line]]:
    """A region's lines cut into x groups where a wide empty gutter separates them.

    The layout model sometimes draws one box over things that only share a band of the page
    (a publication name at the left of a banner, a section name at its right). A gutter of
    ``WIDE_GUTTER_EM`` font sizes and ``WIDE_GUTTER_SHARE`` of the region's width that no line crosses
    separates them. Not cut: groups that are only a number or a marker (a heading number set
    apart by a tab), and groups of two lines or more sharing rows (key/value pairs, a table
    the model took for text), whose rows read across.
    """
    if len(lines) < 2:
        return [lines]
    size = statistics.median(max(ln.size, 1.0) for ln in lines)
    width = max(ln.bbox[2] for ln in lines) - min(ln.bbox[0] for ln in lines)
    groups = columns_of(lines, max(WIDE_GUTTER_EM * size, WIDE_GUTTER_SHARE * width))
    if len(groups) < 2:
        return [lines]
    if not all(any(len(w) >= 3 and w.isalpha() for w in _words(g)) for g in groups):
        return [lines]
    if min(len(g) for g in groups) >= 2 and _shared_rows(groups) >= 2:
        return [lines]
    return [sorted(g, key=lambda ln: (ln.bbox[1], ln.bbox[0])) for g in groups]


def _words(lines: list[Line]) -> list[str]:
    return [w for ln in lines for w in ln.text.split()]


def _shared_rows(groups: list[list[Line]]) -> int:
    """Lines of the first group that share their row with a line of another group."""
    others = [ln for g in groups[1:] for ln in g]
    count = 0
    for ln in groups[0]:
        for other in others:
            overlap = min(ln.bbox[3], other.bbox[3]) - max(ln.bbox[1], other.bbox[1])
            if overlap > 0.5 * min(ln.bbox[3] - ln.bbox[1], other.bbox[3] - other.bbox[1]):
                count += 1
                break
    return count
