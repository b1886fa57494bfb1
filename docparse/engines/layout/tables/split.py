"""Split one table box that holds several tables (e.g. four financial statements laid out 2x2).

The layout model sometimes draws a single table box over tables set side by side or one under
another. Ruling lines tell them apart, in two general ways:
- a vertical gutter (no words from top to bottom of the box) where the horizontal rules stop on
  one side and start again on the other: the rules belong to two tables, not one;
- inside one column group, a header band (two full-width rules about one row apart) below a few
  rows of text: a new table starts at the band's first rule.
Without rules nothing is split (a plain gutter is just a column gap).
"""

from __future__ import annotations

import statistics
from typing import Any

from docparse.engines.layout.params import (
    CELL_GAP_EM,
    DEFAULT_WORD_HEIGHT_PT,
    HEADER_BAND_MAX_EM,
    HEADER_BAND_MIN_EM,
    MIN_TABLE_ROWS,
    PROSE_CHARS,
    PROSE_LINE_WIDTH_SHARE,
    ROW_CENTRE_EM,
    RUN_MAX_GAP_EM,
    RUN_MAX_SHORT_ROWS,
    RUN_PAD_PT,
    SHORT_ROW_WIDTH_SHARE,
    SPLIT_MIN_ROWS,
    TABLE_GUTTER_PT,
    TRIM_MIN_PROSE_LINES,
    TRIM_MIN_WORDS,
)
from docparse.geometry import BBox, centre_in

Segment = tuple[float, float, float]  # (y, x0, x1) of a horizontal rule



def horizontal_rules(page: Any, bbox: BBox) -> list[Segment]:
    """Horizontal rules (thin lines or thin filled rectangles) inside ``bbox``, touching pieces joined."""
    return rules_in(page_rules(page), bbox)


def page_rules(page: Any) -> list[Segment]:
    """Every horizontal rule (thin line or thin filled rectangle) drawn on the page, unjoined."""
    raw: list[Segment] = []
    try:
        drawings = page.get_drawings()
    except Exception:  # odd vector graphics: no rules known, nothing is split
        return []
    for d in drawings:
        for item in d.get("items", []):
            if item[0] == "l":
                p, q = item[1], item[2]
                if abs(p.y - q.y) < 1.0 and abs(p.x - q.x) > 2.0:
                    raw.append(((p.y + q.y) / 2, min(p.x, q.x), max(p.x, q.x)))
            elif item[0] == "re":
                r = item[1]
                if r.height < 2.0 and r.width > 2.0:
                    raw.append(((r.y0 + r.y1) / 2, r.x0, r.x1))
    return raw


def rules_in(rules: list[Segment], bbox: BBox) -> list[Segment]:
    """The rules of ``page_rules`` inside ``bbox`` (2 pt of slack in height), touching pieces joined."""
    inside = [s for s in rules if bbox[1] - 2 <= s[0] <= bbox[3] + 2 and s[2] > bbox[0] and s[1] < bbox[2]]
    return join_segments(inside)


def join_segments(segments: list[Segment], tol: float = 1.5) -> list[Segment]:
    """Rules on the same height whose ends touch (within ``tol``) become one rule."""
    out: list[Segment] = []
    for y, x0, x1 in sorted(segments, key=lambda s: (round(s[0]), s[1])):
        if out and abs(out[-1][0] - y) <= 1.0 and x0 <= out[-1][2] + tol:
            last = out[-1]
            out[-1] = (last[0], last[1], max(last[2], x1))
        else:
            out.append((y, x0, x1))
    return out


def split_table_box(bbox: BBox, words: list[tuple], rules: list[Segment]) -> list[BBox]:
    """The boxes of the tables inside ``bbox`` (``[bbox]`` when it holds one table)."""
    inside = [w for w in words if centre_in(w, bbox)]
    if not inside or not rules:
        return [bbox]
    out: list[BBox] = []
    for side in _column_groups(bbox, inside, rules):
        side_words = [w for w in inside if centre_in(w, side)]
        out.extend(_row_groups(side, side_words, rules))
    return out


def _column_groups(bbox: BBox, words: list[tuple], rules: list[Segment]) -> list[BBox]:
    """Cut at word-free gutters where the rules stop on the left and start again on the right."""
    cuts: list[float] = []
    for g0, g1 in word_gutters(words):
        crossed = any(x0 <= g0 + 1 and x1 >= g1 - 1 for _, x0, x1 in rules)
        ends_left = any(g0 - 3 <= x1 <= g1 and x0 < g0 - 20 for _, x0, x1 in rules)
        starts_right = any(g0 <= x0 <= g1 + 3 and x1 > g1 + 20 for _, x0, x1 in rules)
        if not crossed and ends_left and starts_right:
            cuts.append((g0 + g1) / 2)
    edges = [bbox[0], *cuts, bbox[2]]
    return [(edges[i], bbox[1], edges[i + 1], bbox[3]) for i in range(len(edges) - 1)]


def word_gutters(words: list[tuple], min_width: float = TABLE_GUTTER_PT) -> list[tuple[float, float]]:
    """x ranges at least ``min_width`` wide that no word covers, between the leftmost and the
    rightmost word."""
    spans = sorted((w[0], w[2]) for w in words)
    out: list[tuple[float, float]] = []
    right = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - right >= min_width:
            out.append((right, x0))
        right = max(right, x1)
    return out


def _row_groups(side: BBox, words: list[tuple], rules: list[Segment]) -> list[BBox]:
    """Cut a column group above each header band (two full-width rules about one row apart)."""
    if not words:
        return [side]
    left, right = min(w[0] for w in words), max(w[2] for w in words)
    row_h = statistics.median(w[3] - w[1] for w in words)
    full = sorted(y for y, x0, x1 in rules if x0 <= left + 3 and x1 >= right - 3 and x0 >= side[0] - 3 and x1 <= side[2] + 3)
    cuts: list[float] = []
    for i, y in enumerate(full):
        band = any(y + HEADER_BAND_MIN_EM * row_h <= y2 <= y + HEADER_BAND_MAX_EM * row_h for y2 in full[i + 1 :])
        after_rule = any(y - HEADER_BAND_MAX_EM * row_h <= y0 < y for y0 in full[:i])
        if not band or after_rule:
            continue
        top = cuts[-1] if cuts else side[1]
        above = _rows([w for w in words if top <= (w[1] + w[3]) / 2 < y])
        below = _rows([w for w in words if (w[1] + w[3]) / 2 > y])
        if above >= SPLIT_MIN_ROWS and below >= SPLIT_MIN_ROWS:
            cuts.append(y)
    edges = [side[1], *cuts, side[3]]
    return [(side[0], edges[i], side[2], edges[i + 1]) for i in range(len(edges) - 1)]


def _rows(words: list[tuple]) -> int:
    """How many text rows the words make (centres more than half a word height apart)."""
    count, last = 0, None
    for w in sorted(words, key=lambda w: (w[1] + w[3]) / 2):
        c = (w[1] + w[3]) / 2
        if last is None or c - last > 0.5 * (w[3] - w[1]):
            count += 1
            last = c
    return count


# -- a table box that swallowed prose -------------------------------------------------------------



def trim_prose(bbox: BBox, words: list[tuple]) -> list[BBox] | None:
    """The boxes of the tables inside a model table box that also holds prose, or None when the
    box holds no prose (leave it be).

    The box is cut at word-free gutters running its full height (a sidebar beside a text column);
    when a piece holds prose lines, every piece is read row by row: runs of rows made of two cells
    or more (a short one-cell row may sit in between, as an empty value does) are tables, the rest
    text.
    """
    inside = [w for w in words if centre_in(w, bbox)]
    if len(inside) < TRIM_MIN_WORDS:
        return None
    pieces = _gutter_pieces(bbox, inside)
    prose = [_prose_lines(p, inside) >= TRIM_MIN_PROSE_LINES for p in pieces]
    if not any(prose):
        return None
    out: list[BBox] = []
    for piece in pieces:
        out.extend(_cell_runs(piece, [w for w in inside if centre_in(w, piece)]))
    return out


def _gutter_pieces(bbox: BBox, words: list[tuple]) -> list[BBox]:
    """``bbox`` cut at full-height gutters; neighbours with no prose are joined again (the gutters
    between a table's own columns)."""
    gutters = [g for g in word_gutters(words) if g[1] - g[0] >= _word_height(words)]
    edges = [bbox[0], *[(a + b) / 2 for a, b in gutters], bbox[2]]
    pieces = [(edges[i], bbox[1], edges[i + 1], bbox[3]) for i in range(len(edges) - 1)]
    joined: list[BBox] = []
    for p in pieces:
        if joined and not _prose_lines(joined[-1], words) and not _prose_lines(p, words):
            joined[-1] = (joined[-1][0], p[1], p[2], p[3])
        else:
            joined.append(p)
    return joined


def text_rows(words: list[tuple]) -> list[list[tuple]]:
    """Words grouped into rows, each left to right: vertical centres within 0.3 word heights, and
    no two words of a row over the same x (OCR boxes are as tall as their line, so two table rows
    may overlap in height)."""
    rows: list[list[tuple]] = []
    for w in sorted(words, key=lambda w: ((w[1] + w[3]) / 2, w[0])):
        c = (w[1] + w[3]) / 2
        best, best_d = None, ROW_CENTRE_EM * max(w[3] - w[1], 1.0)
        for row in rows[-3:]:
            d = abs(c - sum((v[1] + v[3]) / 2 for v in row) / len(row))
            if d <= best_d and not any(v[0] < w[2] - 1 and v[2] > w[0] + 1 for v in row):
                best, best_d = row, d
        if best is None:
            rows.append([w])
        else:
            best.append(w)
    return [sorted(r, key=lambda w: w[0]) for r in rows]


def row_cells(row: list[tuple], gap: float) -> list[list[tuple]]:
    """A row's words grouped into cells: a gap of at least ``gap`` starts a new cell."""
    cells: list[list[tuple]] = []
    for w in row:
        if cells and w[0] - cells[-1][-1][2] < gap:
            cells[-1].append(w)
        else:
            cells.append([w])
    return cells


def _prose_lines(piece: BBox, words: list[tuple]) -> int:
    mine = [w for w in words if centre_in(w, piece)]
    if not mine:
        return 0
    gap = CELL_GAP_EM * _word_height(mine)
    width = piece[2] - piece[0]
    count = 0
    for row in text_rows(mine):
        chars = sum(len(str(w[4])) for w in row)
        if len(row_cells(row, gap)) == 1 and row[-1][2] - row[0][0] >= PROSE_LINE_WIDTH_SHARE * width and chars >= PROSE_CHARS:
            count += 1
    return count


def _cell_runs(piece: BBox, words: list[tuple]) -> list[BBox]:
    """Boxes of the runs of rows with two cells or more (MIN_TABLE_ROWS at least)."""
    if not words:
        return []
    h = _word_height(words)
    width = piece[2] - piece[0]
    runs: list[list[list[tuple]]] = [[]]
    pending: list[list[tuple]] = []  # short one-cell rows (two at most), kept if the run goes on after them
    for row in text_rows(words):
        n = len(row_cells(row, CELL_GAP_EM * h))
        last = (pending or runs[-1] or [None])[-1]
        near = last is not None and (row[0][1] + row[0][3]) / 2 - max(w[3] for w in last) <= RUN_MAX_GAP_EM * h  # OCR may drop rows
        if n >= 2:
            if runs[-1] and not near:
                runs.append([])
            if runs[-1]:
                runs[-1].extend(pending)
            runs[-1].append(row)
            pending = []
        elif len(pending) < RUN_MAX_SHORT_ROWS and runs[-1] and near and row[-1][2] - row[0][0] < SHORT_ROW_WIDTH_SHARE * width:
            pending.append(row)
        else:
            runs.append([])
            pending = []
    out = []
    for run in runs:
        if len(run) >= MIN_TABLE_ROWS:
            ws = [w for row in run for w in row]
            pad = RUN_PAD_PT
            out.append((min(w[0] for w in ws) - pad, min(w[1] for w in ws) - pad, max(w[2] for w in ws) + pad, max(w[3] for w in ws) + pad))
    return out


def _word_height(words: list[tuple]) -> float:
    return statistics.median(w[3] - w[1] for w in words) if words else DEFAULT_WORD_HEIGHT_PT
