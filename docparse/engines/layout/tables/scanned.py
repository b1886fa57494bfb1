"""Ruled tables on scanned pages: ruling lines from the pixels, cells from the lines and OCR words.

An OCRed page has no vector lines for ``find_tables``, so the grid is read from the page image
(``tables.pixel_rules``) around a region the layout model marked as a table or a picture (the
model often calls a ruled grid on a scan a picture). A picture becomes a table only when the
lines make a clean grid with words in most rows: a photo or a chart does not.
"""

from __future__ import annotations

import statistics
from typing import Any

from docparse.engines.layout.context import PageContext
from docparse.engines.layout.params import (
    DEFAULT_WORD_HEIGHT_PT,
    GRID_TOL_EM,
    GRID_TOL_PT,
    GUTTER_GRID_MIN_COVER,
    MIN_FILLED_CELLS,
    OCR_DPI,
    OCR_WORD_MIN_ALNUM,
    PAGE_GRID_MIN_LINES,
    RULE_MIN_LEN_EM,
    RULE_MIN_LEN_PT,
    RULED_GRID_MIN_COVER,
    TABLE_RULE_PAD_SHARE,
)
from docparse.engines.layout.scan.ocr import ocr_gray_words
from docparse.engines.layout.tables.grid import Table
from docparse.engines.layout.tables.pixel_grid import grid_lines, is_clean_grid, raster_table
from docparse.engines.layout.tables.pixel_rules import erase_lines, render_gray, ruling_lines
from docparse.engines.layout.tables.split import text_rows, word_gutters
from docparse.geometry import BBox, centre_in, intersection

Segment = tuple[float, float, float]



def scanned_table(ctx: PageContext, bbox: BBox, strict: bool, columns: list[float] | None = None) -> Table | None:
    """The ruled table in (or just around) ``bbox`` on a scanned page, or None.

    ``strict``: the model did not call the region a table, so the grid must be clean (words in
    most rows, two columns or more) and cover most of the region. ``columns``: where the model's
    table columns start (used when rules run across only and OCR words bridge the column gaps).
    """
    page, words = ctx.page, ctx.words
    rect = page.rect
    pad = TABLE_RULE_PAD_SHARE * max(rect.width, rect.height)
    clip = (max(bbox[0] - pad, rect.x0), max(bbox[1] - pad, rect.y0), min(bbox[2] + pad, rect.x1), min(bbox[3] + pad, rect.y1))
    near = [w for w in words if centre_in(w, clip)]
    texty = [w for w in near if sum(ch.isalnum() for ch in str(w[4])) >= OCR_WORD_MIN_ALNUM]  # OCR reads rules as "|"
    word_h = statistics.median(w[3] - w[1] for w in texty) if texty else DEFAULT_WORD_HEIGHT_PT
    try:
        horizontal, vertical = ruling_lines(page, clip, min_len=max(RULE_MIN_LEN_PT, RULE_MIN_LEN_EM * word_h))
    except Exception:  # a page that will not render: no grid is a fine answer
        return None
    tol = max(GRID_TOL_PT, GRID_TOL_EM * word_h)
    area = max((bbox[2] - bbox[0]) * (bbox[3] - bbox[1]), 1e-6)
    table = raster_table(horizontal, vertical, near, tol=tol)
    if table is not None and intersection(table.bbox, bbox) < RULED_GRID_MIN_COVER * area:  # a small ruled box inside the region
        table = None
    if table is None and not strict:  # rules across only: columns from the gaps between words
        table = gutter_table(horizontal, near, bbox, word_h, tol, columns or [])
        if table is not None and intersection(table.bbox, bbox) < GUTTER_GRID_MIN_COVER * area:
            return None
    if table is None:
        return None
    if strict and not is_clean_grid(table):
        return None
    if table is not None and ctx.ocr_language:
        table = _reread(page, ctx.ocr_language, table, horizontal, vertical, words, tol) or table
    filled = sum(1 for c in table.cells if c.text.strip())
    return table if filled >= MIN_FILLED_CELLS else None


def page_grids(ctx: PageContext, taken: list[BBox]) -> list[Table]:
    """Clean ruled grids anywhere on a scanned page that no table or picture region holds (the
    model read them as text or missed them): each set of crossing lines with 3 x 3 lines or more
    whose cells hold words in most rows."""
    page, words = ctx.page, ctx.words
    texty = [w for w in words if sum(ch.isalnum() for ch in str(w[4])) >= OCR_WORD_MIN_ALNUM]
    word_h = statistics.median(w[3] - w[1] for w in texty) if texty else DEFAULT_WORD_HEIGHT_PT
    tol = max(GRID_TOL_PT, GRID_TOL_EM * word_h)
    rect = page.rect
    try:
        horizontal, vertical = ruling_lines(page, (rect.x0, rect.y0, rect.x1, rect.y1), min_len=max(RULE_MIN_LEN_PT, RULE_MIN_LEN_EM * word_h))
    except Exception:  # a page that will not render: no grid is a fine answer
        return []
    out = []
    for hs, vs in _crossing_groups(*grid_lines(horizontal, vertical, tol), tol):
        if len(hs) < PAGE_GRID_MIN_LINES or len(vs) < PAGE_GRID_MIN_LINES:
            continue
        table = raster_table(hs, vs, words, tol=tol)
        if table is None:
            continue
        area = max((table.bbox[2] - table.bbox[0]) * (table.bbox[3] - table.bbox[1]), 1e-6)
        if any(intersection(table.bbox, t) > 0.3 * area and intersection(table.bbox, t) > 0.5 * _area(t) for t in taken):
            continue  # a region that is mostly this grid already holds it (a far larger one does not)
        if ctx.ocr_language:  # read first: the page's OCR may have skipped the cells
            table = _reread(page, ctx.ocr_language, table, hs, vs, words, tol) or table
        if is_clean_grid(table):
            out.append(table)
    return out


def _crossing_groups(h: list[Segment], v: list[Segment], tol: float) -> list[tuple[list[Segment], list[Segment]]]:
    """The lines split into groups that cross each other (one group per ruled grid)."""
    parent = list(range(len(h) + len(v)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(h):
        for j, b in enumerate(v):
            if a[1] - tol <= b[0] <= a[2] + tol and b[1] - tol <= a[0] <= b[2] + tol:
                parent[root(i)] = root(len(h) + j)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, a in enumerate(h):
        groups.setdefault(root(i), ([], []))[0].append(a)
    for j, b in enumerate(v):
        groups.setdefault(root(len(h) + j), ([], []))[1].append(b)
    return list(groups.values())


def gutter_table(
    horizontal: list[Segment], words: list[tuple], bbox: BBox, word_h: float, tol: float, columns: list[float]
) -> Table | None:
    """A table ruled across only (no vertical rules): its columns are the word-free gutters
    between its top and bottom rule (or, without any, where the model's columns start), each
    taken as a rule from top to bottom. Only when the rules
    part most rows (one text row per band in most columns): a table with a rule under its header
    and none in its body is left to the layout model's cells."""
    long = [s for s in horizontal if s[2] - s[1] >= 0.25 * (bbox[2] - bbox[0]) and bbox[1] - tol <= s[0] <= bbox[3] + tol]
    if len(long) < 3:
        return None
    top, bottom = min(s[0] for s in long), max(s[0] for s in long)
    left, right = min(s[1] for s in long), max(s[2] for s in long)
    body = [w for w in words if centre_in(w, (left, top, right, bottom))]
    if not body:
        return None
    cuts = [(a + b) / 2 for a, b in word_gutters(body, 0.8 * word_h)]
    if not cuts:  # OCR read across the column gaps: the model's columns instead
        cuts = [x for x in columns if left + 2 * tol < x < right - 2 * tol]
    if not cuts:
        return None
    vertical = [(x, top, bottom) for x in [left, *cuts, right]]
    table = raster_table(long, vertical, words, tol=tol, max_cut=None)  # OCR words may bridge columns
    if table is None or not _rows_ruled(table, long, body, [left, *cuts, right], tol):
        return None
    return table


def _rows_ruled(table: Table, rules: list[Segment], words: list[tuple], xs: list[float], tol: float) -> bool:
    """Do the rules part the text rows? In some column, three bands or more hold words and at
    least three quarters of those hold one text row (a table ruled only under its header has a
    band of many rows in every column)."""
    ys = sorted({round(s[0], 1) for s in rules})
    for x0, x1 in zip(xs, xs[1:]):
        counts = []
        for y0, y1 in zip(ys, ys[1:]):
            mine = [w for w in words if y0 <= (w[1] + w[3]) / 2 <= y1 and x0 <= (w[0] + w[2]) / 2 <= x1]
            if mine:
                counts.append(len(text_rows(mine)))
        if len(counts) >= 3 and sum(c == 1 for c in counts) >= 0.75 * len(counts):
            return True
    return False


def _reread(
    page: Any, language: str, table: Table, horizontal: list[Segment], vertical: list[Segment], words: list[tuple], tol: float
) -> Table | None:
    """The table OCRed again with its rules erased, when that reads more text.

    Tesseract takes ruled cells for pictures and leaves much of their text unread; with the
    rules painted over, the grid is plain text in columns, which it reads well."""
    box = table.bbox
    try:
        gray, zoom = render_gray(page, box, zoom=OCR_DPI / 72)
        erase_lines(gray, zoom, box, horizontal, vertical)
        found = ocr_gray_words(gray, language)
    except Exception:  # a second read is a bonus: keep the first on any failure
        return None
    fresh = [(box[0] + w[0] / zoom, box[1] + w[1] / zoom, box[0] + w[2] / zoom, box[1] + w[3] / zoom, *w[4:]) for w in found]
    if _chars(fresh) <= _chars([w for w in words if centre_in(w, box)]):
        return None
    outside = [w for w in words if not centre_in(w, box)]
    again = raster_table(horizontal, vertical, fresh + outside, tol=tol, max_cut=None)
    if again is None or (again.n_rows, again.n_cols) != (table.n_rows, table.n_cols):
        return None
    return again


def _chars(words: list[tuple]) -> int:
    return sum(sum(ch.isalnum() for ch in str(w[4])) for w in words)


def _area(b: BBox) -> float:
    return max((b[2] - b[0]) * (b[3] - b[1]), 1e-6)
