"""Table rows the layout model ran together, split again: row-spanning cells.

In a table whose first column has cells spanning two rows (LaTeX ``\\multirow``, a merged cell),
the layout model's grid often has one row where the page has two: each slot of the other
columns holds two cell boxes, one above the other ("coatings" over "trees", "1.8" over "2.6"),
and the spanning cell ("Harbour") one box between them. Read as it is, that row's cells hold two
values each. ``unstack_rows`` cuts such a row into one row per band of stacked boxes and gives
a cell alone in its slot (the spanning one, set centred as LaTeX does, or at the top) a rowspan
over all of them.

A row is cut only when two slots or more hold boxes stacked at the same heights, and something
says "rows", not "a wrapped line": a box spanning two bands (the centred spanning cell) or a slot
whose stacked values are all numbers (numbers do not wrap).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from docparse.engines.layout.params import STACKED_MAX_OVERLAP_SHARE, STACKED_MIN_SLOTS
from docparse.engines.layout.tables.split import text_rows
from docparse.geometry import BBox

_NUMBER = re.compile(r"[-+−–(]?\s*[$€£¥]?\s*\d[\d.,\s]*%?\)?")


@dataclass
class Slot:
    """A model cell as placed on the grid: rows ``row0``..``row1`` (end excluded), columns
    ``col0``..``col1``, its box (None: no box), text and the page words it holds."""

    row0: int
    row1: int
    col0: int
    col1: int
    box: BBox | None
    text: str = ""
    words: list[tuple] = field(default_factory=list)


def _text_rows(slot: Slot) -> list[Slot]:
    """A one-row cell whose words stand in two text rows or more, as one piece per text row (on
    a scan the model draws one box over "north" and "south" where the page has two cells)."""
    if slot.box is None or slot.row1 - slot.row0 != 1 or len(slot.words) < 2:
        return [slot]
    rows = text_rows(list(slot.words))
    if len(rows) < 2:
        return [slot]
    out = []
    for row in rows:
        box = (min(w[0] for w in row), min(w[1] for w in row), max(w[2] for w in row), max(w[3] for w in row))
        text = " ".join(str(w[4]) for w in sorted(row, key=lambda w: w[0]))
        out.append(Slot(slot.row0, slot.row1, slot.col0, slot.col1, box, text, list(row)))
    return out


def _stacked(boxes: list[BBox]) -> bool:
    """Boxes one above the other: each starts (about) where the one above it ends."""
    boxes = sorted(boxes, key=lambda b: b[1])
    for upper, lower in zip(boxes, boxes[1:]):
        height = min(upper[3] - upper[1], lower[3] - lower[1])
        if upper[3] - lower[1] > STACKED_MAX_OVERLAP_SHARE * max(height, 0.1):
            return False
    return True


def _bands(boxes: list[BBox]) -> list[tuple[float, float]]:
    """Height ranges of boxes that overlap in y merged: the text rows the boxes sit in."""
    out: list[list[float]] = []
    for b in sorted(boxes, key=lambda b: b[1]):  # (boxes that only touch, as OCR's do, stay apart)
        if out and b[1] < out[-1][1] - STACKED_MAX_OVERLAP_SHARE * (b[3] - b[1]):
            out[-1][1] = max(out[-1][1], b[3])
        else:
            out.append([b[1], b[3]])
    return [(a, z) for a, z in out]


def _covered(box: BBox, bands: list[tuple[float, float]]) -> list[int]:
    """Indices of the bands ``box`` overlaps in y (the nearest one when it overlaps none)."""
    least = STACKED_MAX_OVERLAP_SHARE * (box[3] - box[1])  # (touching is no overlap)
    hit = [i for i, (a, z) in enumerate(bands) if min(box[3], z) - max(box[1], a) > min(least, STACKED_MAX_OVERLAP_SHARE * (z - a))]
    if hit:
        return hit
    centre = (box[1] + box[3]) / 2
    return [min(range(len(bands)), key=lambda i: abs((bands[i][0] + bands[i][1]) / 2 - centre))]


def _numeric(text: str) -> bool:
    return bool(text.strip()) and _NUMBER.fullmatch(text.strip()) is not None


def _row_bands(row: list[Slot]) -> list[tuple[float, float]] | None:
    """The bands one grid row falls into when it is rows run together, else None."""
    by_slot: dict[int, list[Slot]] = {}
    for s in row:
        if s.box is not None and s.row1 - s.row0 == 1:
            by_slot.setdefault(s.col0, []).append(s)
    stacked = [group for group in by_slot.values() if len(group) >= 2 and _stacked([s.box for s in group])]  # type: ignore[misc]
    if len(stacked) < STACKED_MIN_SLOTS:
        return None
    bands = _bands([s.box for group in stacked for s in group])  # type: ignore[misc]
    if len(bands) < 2:
        return None
    for group in stacked:  # each stacked box in a band of its own
        seen = [tuple(_covered(s.box, bands)) for s in group]  # type: ignore[arg-type]
        if any(len(h) != 1 for h in seen) or len(set(seen)) != len(seen):
            return None
    in_stack = {id(s) for group in stacked for s in group}
    spanning = any(s.box is not None and id(s) not in in_stack and len(_covered(s.box, bands)) >= 2 for s in row)
    numbers = any(all(_numeric(s.text) for s in group) for group in stacked)
    return bands if spanning or numbers else None


def unstack_rows(slots: list[Slot]) -> list[Slot]:
    """``slots`` with the grid rows the model ran together cut into one row per band (see the
    module docstring); rows renumbered, spans over cut rows grown. Unchanged when none is."""
    if not slots:
        return slots
    n_rows = max(s.row1 for s in slots)
    bands_of: dict[int, list[tuple[float, float]]] = {}
    pieces = {id(s): _text_rows(s) for s in slots}
    for r in range(n_rows):
        row = [s for s in slots if s.row0 == r]
        bands = _row_bands(row) or _row_bands([p for s in row for p in pieces[id(s)]])
        if bands is not None:
            bands_of[r] = bands
    if not bands_of:
        return slots
    if any(len(pieces[id(s)]) > 1 for s in slots):  # a cut row's cells, one piece a text row
        slots = [p for s in slots for p in (pieces[id(s)] if s.row0 in bands_of else [s])]
    base = [0] * (n_rows + 1)
    for r in range(n_rows):
        base[r + 1] = base[r] + len(bands_of.get(r, [None]))
    per_slot = Counter((s.row0, s.col0) for s in slots)
    out = []
    for s in slots:
        bands = bands_of.get(s.row0)
        if s.row1 - s.row0 == 1 and bands is not None:
            if s.box is None:
                hit = list(range(len(bands)))
            else:
                hit = _covered(s.box, bands)
                if per_slot[(s.row0, s.col0)] == 1:  # alone in its slot: a merged cell over all the bands
                    hit = list(range(len(bands)))
            out.append(Slot(base[s.row0] + hit[0], base[s.row0] + hit[-1] + 1, s.col0, s.col1, s.box, s.text, s.words))
        else:  # not cut, or spanning several grid rows: over all the rows they became
            out.append(Slot(base[s.row0], base[s.row1], s.col0, s.col1, s.box, s.text, s.words))
    return out
