"""A table grid from ruling lines (found in pixels on scans) and the page's words.

Lines that cross at least two lines of the other direction make the grid (text strokes and
stray marks do not cross long lines); the grid's columns are the vertical lines' positions (plus
the outer edges, which a table often leaves unruled), its rows the horizontal ones. Where two
neighbouring slots have no rule between them and a word runs across the boundary (or one of
them is empty), they are one merged cell (colspan / rowspan).
"""

from __future__ import annotations

from typing import Any

from docparse.engines.layout.params import CLEAN_GRID_CELL_SHARE, CLEAN_GRID_MIN_COLS, CLEAN_GRID_MIN_FILLED, CLEAN_GRID_ROW_SHARE
from docparse.engines.layout.tables.grid import Cell, Table, join_words, words_per_box
from docparse.geometry import BBox, centre_in

Segment = tuple[float, float, float]  # (position across, start along, end along)
RULE_CHARS = "|[]/\\¦"  # what OCR reads a rule next to a word as


def grid_lines(horizontal: list[Segment], vertical: list[Segment], tol: float) -> tuple[list[Segment], list[Segment]]:
    """The lines that cross at least two lines of the other direction (repeated until stable)."""
    h, v = list(horizontal), list(vertical)
    for _ in range(4):
        h2 = [s for s in h if sum(_cross(s, t, tol) for t in v) >= 2]
        v2 = [t for t in v if sum(_cross(s, t, tol) for s in h2) >= 2]
        if len(h2) == len(h) and len(v2) == len(v):
            break
        h, v = h2, v2
    return h, v


def _cross(h: Segment, v: Segment, tol: float) -> bool:
    return h[1] - tol <= v[0] <= h[2] + tol and v[1] - tol <= h[0] <= v[2] + tol


def _positions(values: list[float], tol: float) -> list[float]:
    """Sorted positions, those closer than ``tol`` merged into their mean."""
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def raster_table(
    horizontal: list[Segment], vertical: list[Segment], words: list[tuple], tol: float = 4.0, max_cut: float | None = 0.25
) -> Table | None:
    """A table from ruling lines and words, or None when the lines make no grid of 2 x 2 cells.

    ``max_cut``: the largest share of the grid's words a vertical line may run through (strokes
    of CJK text lined up across rows are not rules); None to skip the check."""
    h, v = grid_lines(horizontal, vertical, tol)
    if len(h) < 2 or len(v) < 2:
        return None
    left = min(min(s[1] for s in h), min(t[0] for t in v))
    right = max(max(s[2] for s in h), max(t[0] for t in v))
    top = min(min(s[0] for s in h), min(t[1] for t in v))
    bottom = max(max(s[0] for s in h), max(t[2] for t in v))
    xs = _positions([t[0] for t in v] + [left, right], tol)
    ys = _positions([s[0] for s in h] + [top, bottom], tol)
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 2 or n_cols < 2:
        return None
    bbox = (xs[0], ys[0], xs[-1], ys[-1])
    inside = [w for w in words if centre_in(w, bbox)]
    texty = [w for w in inside if any(ch.isalnum() for ch in str(w[4]))]  # not OCR's "|" for a rule
    if max_cut is not None and texty and sum(_cut(w, v) for w in texty) > max_cut * len(texty):
        return None

    def v_ruled(j: int, i: int) -> bool:  # a rule at xs[j] along row band i
        return any(abs(t[0] - xs[j]) <= tol and _covers(t[1], t[2], ys[i], ys[i + 1]) for t in v)

    def h_ruled(i: int, j: int) -> bool:  # a rule at ys[i] along column slot j
        return any(abs(s[0] - ys[i]) <= tol and _covers(s[1], s[2], xs[j], xs[j + 1]) for s in h)

    inside = _cut_at_rules(inside, xs, ys, v_ruled)
    slot_words = _slot_words(inside, xs, ys)
    # colspans: within each row band, slots joined across unruled boundaries
    spans: dict[tuple[int, int], list[int]] = {}  # (row, first col) -> [last col, last row]
    for i in range(n_rows):
        j = 0
        while j < n_cols:
            k = j
            while k + 1 < n_cols and not v_ruled(k + 1, i) and _joined(
                inside, xs[k + 1], (ys[i], ys[i + 1]), slot_words, [(i, c) for c in range(j, k + 1)], [(i, k + 1)], True
            ):
                k += 1
            spans[(i, j)] = [k, i]
            j = k + 1
    # rowspans: a cell joins the one below when it has the same columns and no rule between
    for i in range(n_rows - 1, 0, -1):
        for (r, j), (k, last) in list(spans.items()):
            if r != i or (i - 1, j) not in spans or spans[(i - 1, j)][0] != k:
                continue
            if any(h_ruled(i, c) for c in range(j, k + 1)):
                continue
            above = [(i - 1, c) for c in range(j, k + 1)]
            below = [(rr, c) for rr in range(i, last + 1) for c in range(j, k + 1)]
            if _joined(inside, ys[i], (xs[j], xs[k + 1]), slot_words, above, below, False):
                spans[(i - 1, j)][1] = last
                del spans[(r, j)]
    keys = sorted(spans)
    boxes: list[BBox | None] = [(xs[j], ys[i], xs[spans[(i, j)][0] + 1], ys[spans[(i, j)][1] + 1]) for i, j in keys]
    own = words_per_box(inside, boxes)
    cells = [
        Cell(i, j, spans[(i, j)][1] - i + 1, spans[(i, j)][0] - j + 1, join_words(mine), box)
        for (i, j), box, mine in zip(keys, boxes, own)
    ]
    return Table(bbox=bbox, cells=cells, n_rows=n_rows, n_cols=n_cols)


def _cut_at_rules(words: list[tuple], xs: list[float], ys: list[float], v_ruled: Any) -> list[tuple]:
    """OCR words cut where a vertical rule runs through them, their characters shared out by
    width ("A|B|C" read as one word over three cells), and the rule itself ("|", "[") taken off."""
    out: list[tuple] = []
    for w in words:
        cy = (w[1] + w[3]) / 2
        band = next((i for i in range(len(ys) - 1) if ys[i] <= cy <= ys[i + 1]), None)
        cuts = [x for j, x in enumerate(xs[1:-1], 1) if w[0] + 1 < x < w[2] - 1 and band is not None and v_ruled(j, band)]
        text = str(w[4])
        edges = [w[0], *cuts, w[2]]
        for a, b in zip(edges, edges[1:]):
            lo = round(len(text) * (a - w[0]) / max(w[2] - w[0], 1e-6))
            hi = round(len(text) * (b - w[0]) / max(w[2] - w[0], 1e-6))
            piece = text[lo:hi].strip(RULE_CHARS)
            if piece:
                out.append((a, w[1], b, w[3], piece, *w[5:]))
    return out


def is_clean_grid(table: Table) -> bool:
    """A grid worth calling a table without the model's word for it: words in most rows, in
    two columns at least, and most slots separate cells (not one big merged box)."""
    filled = [c for c in table.cells if c.text.strip()]
    rows = {r for c in filled for r in range(c.row, c.row + c.rowspan)}
    cols = {c.col for c in filled}
    slots = table.n_rows * table.n_cols
    return (
        len(filled) >= CLEAN_GRID_MIN_FILLED
        and len(rows) >= CLEAN_GRID_ROW_SHARE * table.n_rows
        and len(cols) >= CLEAN_GRID_MIN_COLS
        and len(table.cells) >= CLEAN_GRID_CELL_SHARE * slots
    )


def _slot_words(words: list[tuple], xs: list[float], ys: list[float]) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    for w in words:
        cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
        i = next((i for i in range(len(ys) - 1) if ys[i] <= cy <= ys[i + 1]), None)
        j = next((j for j in range(len(xs) - 1) if xs[j] <= cx <= xs[j + 1]), None)
        if i is not None and j is not None:
            counts[(i, j)] = counts.get((i, j), 0) + 1
    return counts


def _joined(
    words: list[tuple],
    at: float,
    band: tuple[float, float],
    counts: dict[tuple[int, int], int],
    first: list[tuple[int, int]],
    second: list[tuple[int, int]],
    across_x: bool,
) -> bool:
    """Two unruled neighbours are one cell when a word runs across their boundary ``at`` (inside
    ``band`` the other way), one of them holds no word, or (one above the other) their text runs
    on at line spacing across the boundary (a paragraph in a tall cell)."""
    if not sum(counts.get(s, 0) for s in first) or not sum(counts.get(s, 0) for s in second):
        return True
    if not across_x:
        mine = [w for w in words if band[0] <= (w[0] + w[2]) / 2 <= band[1]]
        above = [w[3] for w in mine if (w[1] + w[3]) / 2 < at]
        below = [w[1] for w in mine if (w[1] + w[3]) / 2 > at]
        heights = sorted(w[3] - w[1] for w in mine)
        if above and below and min(below) - max(above) < 0.6 * heights[len(heights) // 2]:
            return True
    for w in words:
        lo, hi, c = (w[0], w[2], (w[1] + w[3]) / 2) if across_x else (w[1], w[3], (w[0] + w[2]) / 2)
        if band[0] <= c <= band[1] and lo < at - 1 and hi > at + 1:
            return True
    return False


def _cut(w: tuple, vertical: list[Segment]) -> bool:
    """Does a vertical line run through the middle half of word ``w``?"""
    q = (w[2] - w[0]) / 4
    cy = (w[1] + w[3]) / 2
    return any(w[0] + q < t[0] < w[2] - q and t[1] <= cy <= t[2] for t in vertical)


def _covers(a0: float, a1: float, b0: float, b1: float) -> bool:
    """Does [a0, a1] cover at least half of [b0, b1]?"""
    return min(a1, b1) - max(a0, b0) >= 0.5 * (b1 - b0)
