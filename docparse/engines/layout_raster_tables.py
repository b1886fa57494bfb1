"""Ruled tables on scanned pages: ruling lines from the pixels, cells from the lines and OCR words.

An OCRed page has no vector lines for ``find_tables``, so the grid is read from the page image
(``layout_raster_lines``) around a region the layout model marked as a table or a picture (the
model often calls a ruled grid on a scan a picture). A picture becomes a table only when the
lines make a clean grid with words in most rows: a photo or a chart does not.
"""

from __future__ import annotations

import statistics
from typing import Any

from docparse.engines.layout_raster_grid import is_clean_grid, raster_table
from docparse.engines.layout_raster_lines import ruling_lines
from docparse.engines.layout_tables import Table

BBox = tuple[float, float, float, float]

MARGIN = 0.03  # share of the page added around a region: its table's rules may stick out


def scanned_table(page: Any, bbox: BBox, words: list[tuple], strict: bool) -> Table | None:
    """The ruled table in (or just around) ``bbox`` on a scanned page, or None.

    ``strict``: the model did not call the region a table, so the grid must be clean (words in
    most rows, two columns or more) and cover most of the region.
    """
    rect = page.rect
    pad = MARGIN * max(rect.width, rect.height)
    clip = (max(bbox[0] - pad, rect.x0), max(bbox[1] - pad, rect.y0), min(bbox[2] + pad, rect.x1), min(bbox[3] + pad, rect.y1))
    near = [w for w in words if _centre_in(w, clip)]
    texty = [w for w in near if sum(ch.isalnum() for ch in str(w[4])) >= 2]  # OCR reads rules as "|"
    word_h = statistics.median(w[3] - w[1] for w in texty) if texty else 10.0
    try:
        horizontal, vertical = ruling_lines(page, clip, min_len=max(8.0, 1.2 * word_h))
    except Exception:  # a page that will not render: no grid is a fine answer
        return None
    table = raster_table(horizontal, vertical, near, tol=max(3.0, 0.3 * word_h))
    if table is None:
        return None
    area = max((bbox[2] - bbox[0]) * (bbox[3] - bbox[1]), 1e-6)
    if _overlap(table.bbox, bbox) < 0.5 * area:  # a small ruled box inside the region, not its table
        return None
    if strict and not is_clean_grid(table):
        return None
    filled = sum(1 for c in table.cells if c.text.strip())
    return table if filled >= 2 else None


def _overlap(a: BBox, b: BBox) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def _centre_in(w: tuple, box: BBox) -> bool:
    cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
