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

BBox = tuple[float, float, float, float]
Segment = tuple[float, float, float]  # (y, x0, x1) of a horizontal rule

MIN_GUTTER = 6.0  # narrowest gap between tables set side by side, in points
MIN_ROWS = 3  # each piece of a split keeps at least this many text rows


def horizontal_rules(page: Any, bbox: BBox) -> list[Segment]:
    """Horizontal rules (thin lines or thin filled rectangles) inside ``bbox``, touching pieces joined."""
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
    inside = [s for s in raw if bbox[1] - 2 <= s[0] <= bbox[3] + 2 and s[2] > bbox[0] and s[1] < bbox[2]]
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
    inside = [w for w in words if _centre_in(w, bbox)]
    if not inside or not rules:
        return [bbox]
    out: list[BBox] = []
    for side in _column_groups(bbox, inside, rules):
        side_words = [w for w in inside if _centre_in(w, side)]
        out.extend(_row_groups(side, side_words, rules))
    return out


def _column_groups(bbox: BBox, words: list[tuple], rules: list[Segment]) -> list[BBox]:
    """Cut at word-free gutters where the rules stop on the left and start again on the right."""
    cuts: list[float] = []
    for g0, g1 in _gutters(words):
        crossed = any(x0 <= g0 + 1 and x1 >= g1 - 1 for _, x0, x1 in rules)
        ends_left = any(g0 - 3 <= x1 <= g1 and x0 < g0 - 20 for _, x0, x1 in rules)
        starts_right = any(g0 <= x0 <= g1 + 3 and x1 > g1 + 20 for _, x0, x1 in rules)
        if not crossed and ends_left and starts_right:
            cuts.append((g0 + g1) / 2)
    edges = [bbox[0], *cuts, bbox[2]]
    return [(edges[i], bbox[1], edges[i + 1], bbox[3]) for i in range(len(edges) - 1)]


def _gutters(words: list[tuple]) -> list[tuple[float, float]]:
    """x ranges no word covers, between the leftmost and the rightmost word."""
    spans = sorted((w[0], w[2]) for w in words)
    out: list[tuple[float, float]] = []
    right = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - right >= MIN_GUTTER:
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
        band = any(y + 0.6 * row_h <= y2 <= y + 2.5 * row_h for y2 in full[i + 1 :])
        after_rule = any(y - 2.5 * row_h <= y0 < y for y0 in full[:i])
        if not band or after_rule:
            continue
        top = cuts[-1] if cuts else side[1]
        above = _rows([w for w in words if top <= (w[1] + w[3]) / 2 < y])
        below = _rows([w for w in words if (w[1] + w[3]) / 2 > y])
        if above >= MIN_ROWS and below >= MIN_ROWS:
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


def _centre_in(w: tuple, box: BBox) -> bool:
    cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
