"""Text regions that hold more than one column of prose.

The layout model sometimes draws one "text" box over a whole page or over two columns, most
often on OCRed scans, where the text layer has no font facts to tell paragraphs apart. Such a
box is not a paragraph: its lines fall into columns with a gutter between them, each column
full of long lines. Those regions are re-read with the heuristics (``text_regions``), which
cluster lines column by column.
"""

from __future__ import annotations

import statistics

from docparse.engines.layout_order import MIN_GUTTER
from docparse.engines.layout_text import Line

BBox = tuple[float, float, float, float]


def columns_of(lines: list[Line], min_gutter: float = MIN_GUTTER) -> list[list[Line]]:
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


def is_prose_column(lines: list[Line], min_lines: int = 3, fill: float = 0.6, length: float = 10.0) -> bool:
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
    if len(lines) < 6:
        return False
    height = statistics.median(max(ln.bbox[3] - ln.bbox[1], 1.0) for ln in lines)
    columns = columns_of(lines, max(MIN_GUTTER, height))
    return sum(is_prose_column(c) for c in columns) >= 2
