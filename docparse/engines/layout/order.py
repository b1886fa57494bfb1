"""Reading order of a page's body regions: columns first, full-width elements break columns.

A recursive cut on the region boxes:
1. if a vertical gutter (an x range no box crosses) splits the set, read the columns one after
   the other (left to right; right to left on right-to-left pages);
2. otherwise cut the set at horizontal gaps into slabs, and glue consecutive slabs back into
   groups while the group still has a common gutter. A full-width title or table ends a group,
   so a two-column part above it is read column by column before the part below it; a narrow
   slab beside a one-column group (a side heading) starts a group of its own;
3. a set that cannot be cut is read top to bottom, then by x.
"""

from __future__ import annotations

from typing import Sequence

from docparse.engines.layout.params import COLUMN_GUTTER_PT
from docparse.engines.layout.text import is_rtl
from docparse.geometry import BBox



def reading_order(boxes: Sequence[BBox], rtl: bool = False) -> list[int]:
    """Indices of ``boxes`` in reading order."""
    return _order(list(range(len(boxes))), list(boxes), rtl)


def _order(idx: list[int], boxes: list[BBox], rtl: bool) -> list[int]:
    if len(idx) <= 1:
        return idx
    columns = _split(idx, boxes, axis=0)
    if len(columns) > 1:
        if rtl:
            columns.reverse()
        return [i for col in columns for i in _order(col, boxes, rtl)]
    slabs = _split(idx, boxes, axis=1)
    if len(slabs) == 1:
        return sorted(idx, key=lambda i: (boxes[i][1], -boxes[i][2] if rtl else boxes[i][0]))
    groups: list[list[int]] = []
    for slab in slabs:
        if groups and len(_split(groups[-1] + slab, boxes, axis=0)) > 1 and not _side_note(groups[-1], slab, boxes):
            groups[-1] = groups[-1] + slab
        else:
            groups.append(slab)
    if len(groups) == 1:  # cannot happen (step 1 would have split); keep slabs to be safe
        groups = slabs
    return [i for g in groups for i in _order(g, boxes, rtl)]


def _side_note(group: list[int], slab: list[int], boxes: list[BBox]) -> bool:
    """A narrow slab beside a one-column group: a side heading or margin note, read in turn.

    Two columns glued slab by slab have slabs about as wide as the group; a heading set in the
    left margin of a single text column is much narrower than the text beside it.
    """
    if len(_split(group, boxes, axis=0)) > 1 or len(_split(slab, boxes, axis=0)) > 1:
        return False

    def width(idx: list[int]) -> float:
        return max(boxes[i][2] for i in idx) - min(boxes[i][0] for i in idx)

    return width(slab) < 0.5 * width(group)


def _split(idx: list[int], boxes: list[BBox], axis: int) -> list[list[int]]:
    """Groups of ``idx`` separated by gaps along ``axis`` (0: x, gutters; 1: y, horizontal gaps)."""
    lo, hi = axis, axis + 2
    gap = COLUMN_GUTTER_PT if axis == 0 else 0.5
    ordered = sorted(idx, key=lambda i: boxes[i][lo])
    groups: list[list[int]] = []
    reach = float("-inf")
    for i in ordered:
        if groups and boxes[i][lo] < reach + gap:
            groups[-1].append(i)
        else:
            groups.append([i])
        reach = max(reach, boxes[i][hi]) if len(groups[-1]) > 1 else boxes[i][hi]
    return groups


def page_is_rtl(texts: Sequence[str]) -> bool:
    """A page reads right to left when most of its letters are Hebrew/Arabic."""
    return is_rtl(" ".join(texts))
