"""Text regions that hold more than one column of prose.

The layout model sometimes draws one "text" box over a whole page or over two columns, most
often on OCRed scans, where the text layer has no font facts to tell paragraphs apart. Such a
box is not a paragraph: its lines fall into columns with a gutter between them, each column
full of long lines. Those regions are re-read with the heuristics (``text_regions``), which
cluster lines column by column.
"""

from __future__ import annotations

import statistics
from dataclasses import replace

from docparse.engines.layout.params import (
    COLUMN_GUTTER_PT,
    GUTTER_EVIDENCE_MIN_LINES,
    GUTTER_EVIDENCE_REACH_EM,
    MIN_PROSE_COLUMNS,
    MULTI_COLUMN_MIN_LINES,
    PROSE_COLUMN_MIN_LINES,
    PROSE_FILL_SHARE,
    PROSE_LINE_ASPECT,
    WIDE_GUTTER_EM,
    WIDE_GUTTER_SHARE,
    WORD_GAP_EM,
)
from docparse.engines.layout.text import Line, Span
from docparse.geometry import BBox, union_box


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


# -- column gutters: lines glued across one, regions laid over one ---------------------------------
#
# A row of one column and the row beside it in the next column come back as one line when the
# gap between them looks like a word space to the larger print (a 14-point heading beside 10-point
# prose across a 17-point gutter), or, on a scan, when Tesseract reads a speck in the gutter as a
# character. The layout model in turn sometimes draws one box over two headings side by side.
# Neither is seen by the row-by-row gutter test of ``text.split_gutters`` (its neighbours are
# separate lines, not glued rows). The test here looks at the lines around a gap instead: a
# column gutter has prose lines above or below it on both sides and no ink across it.


def _real(word: tuple) -> bool:
    """A word with a letter or digit (not a speck, rule or dash OCR read in a gutter)."""
    return any(ch.isalnum() for ch in str(word[4]))


class _WordIndex:
    """The page's words by height, to find a line's words without scanning the page."""

    def __init__(self, words: list[tuple], step: float = 4.0) -> None:
        self.step = step
        self.rows: dict[int, list[tuple]] = {}
        for w in words:
            self.rows.setdefault(int((w[1] + w[3]) / 2 // step), []).append(w)

    def of(self, line: Line) -> list[tuple]:
        """Words whose centre lies in ``line``'s box (grown by a point), left to right."""
        x0, y0, x1, y1 = line.bbox
        out = []
        for k in range(int((y0 - 1) // self.step), int((y1 + 1) // self.step) + 1):
            for w in self.rows.get(k, ()):
                cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
                if x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1:
                    out.append(w)
        return sorted(out, key=lambda w: w[0])


def _ink_gaps(line: Line, words: list[tuple] | None) -> list[tuple[float, float]]:
    """(start, end) of the gaps inside ``line`` wider than a word space of its print: between
    its spans, or (``words`` given: OCR, one span a piece) between its real words."""
    if words is not None:
        pieces = [(w[0], w[2]) for w in words if _real(w)]
    else:
        pieces = [(s.bbox[0], s.bbox[2]) for s in line.spans if s.text.strip()]
    pieces.sort()
    gaps = []
    reach = pieces[0][1] if pieces else 0.0
    least = max(COLUMN_GUTTER_PT, WORD_GAP_EM * max(line.size, 1.0) * 0.5)
    for x0, x1 in pieces[1:]:
        if x0 - reach > least:
            gaps.append((reach, x0))
        reach = max(reach, x1)
    return gaps


class Gutters:
    """Asks whether a gap at some height of the page is a column gutter (``is_gutter``)."""

    def __init__(self, lines: list[Line], words: list[tuple]) -> None:
        self.lines = sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2)
        self.centres = [(ln.bbox[1] + ln.bbox[3]) / 2 for ln in self.lines]
        self.index = _WordIndex(words)

    def _free(self, line: Line, lo: float, hi: float) -> tuple[float, float] | None:
        """The widest stretch of ``lo``..``hi`` that ``line``'s words leave empty (all of it when
        the line stands wholly beside it; None: no stretch, a word over all of it)."""
        if line.bbox[2] <= lo or line.bbox[0] >= hi:
            return lo, hi
        words = self.index.of(line)
        inside = sorted((max(w[0], lo), min(w[2], hi)) for w in words if _real(w) and w[0] < hi and w[2] > lo)
        if not words:
            return None  # (no words known for the line: its box is its ink)
        best: tuple[float, float] | None = None
        at = lo
        for x0, x1 in inside + [(hi, hi)]:
            if x0 > at and (best is None or x0 - at > best[1] - best[0]):
                best = (at, x0)
            at = max(at, x1)
        return best

    def is_gutter(self, left: tuple[float, float], right: tuple[float, float], box: BBox, skip: tuple = ()) -> bool:
        """True when the empty x range between ``left`` and ``right`` (the x ranges of the text on
        each side of it) at the heights of ``box`` holds a column gutter: within
        ``GUTTER_EVIDENCE_REACH_EM`` rows above and below (up to the first line across it each
        way), ``GUTTER_EVIDENCE_MIN_LINES`` prose lines or more stand on each side, under that
        side's text, all leaving one stretch of it empty, wider than a word space of their print
        (a word space of a prose line does not count as a gap; the gap of a line glued across the
        same gutter does). ``skip``: lines not to look at."""
        import bisect

        lo, hi = left[1], right[0]
        height = max(box[3] - box[1], 1.0)
        reach = GUTTER_EVIDENCE_REACH_EM * height
        skipped = {id(ln) for ln in skip}
        on_left = on_right = 0
        sizes: list[float] = []
        start = bisect.bisect_left(self.centres, box[1])
        for order in (range(start - 1, -1, -1), range(start, len(self.lines))):
            for k in order:
                ln = self.lines[k]
                if abs(self.centres[k] - (box[1] + box[3]) / 2) > reach + height / 2:
                    break
                if id(ln) in skipped:
                    continue
                free = self._free(ln, lo, hi)
                beside = ln.bbox[2] <= lo or ln.bbox[0] >= hi
                if free is None or (not beside and free[1] - free[0] < WORD_GAP_EM * max(ln.size, 1.0)):
                    if ln.bbox[3] <= box[1] or ln.bbox[1] >= box[3]:
                        break  # a line across the gap above or below: the gutter ends there
                    return False  # ink across the gap at its own height
                x0, y0, x1, y1 = ln.bbox
                if x1 - x0 < PROSE_LINE_ASPECT * max(y1 - y0, 1.0) and not (x0 < free[0] and x1 > free[1]):
                    continue  # a short line (a heading, a paragraph's last line) says little
                lo, hi = free  # the gutter is where every line so far leaves room
                if x0 < lo and x0 < left[1] and x1 > left[0]:
                    on_left += 1
                if x1 > hi and x0 < right[1] and x1 > right[0]:
                    on_right += 1
                sizes.append(max(ln.size, 1.0))
        if on_left < GUTTER_EVIDENCE_MIN_LINES or on_right < GUTTER_EVIDENCE_MIN_LINES:
            return False
        return hi - lo > WORD_GAP_EM * statistics.median(sizes)


def cut_glued_rows(lines: list[Line], words: list[tuple], ocr: bool = False) -> list[Line]:
    """Lines glued across a column gutter cut into one line per column (see above).

    ``words``: the page's words (``page.get_text("words")`` tuples) of the same text; on an OCR
    page (``ocr``) a line's gaps are found between its words (a glued OCR row is one span)."""
    gutters: Gutters | None = None
    index = _WordIndex(words) if ocr else None
    out: list[Line] = []
    for ln in lines:
        own = index.of(ln) if index is not None else None
        gaps = [] if ln.rtl else _ink_gaps(ln, own)
        if not gaps:
            out.append(ln)
            continue
        if gutters is None:
            gutters = Gutters(lines, words)
        edges = [ln.bbox[0]] + [v for gap in gaps for v in gap] + [ln.bbox[2]]
        cuts = [
            gap
            for k, gap in enumerate(gaps)
            if gutters.is_gutter((edges[2 * k], gap[0]), (gap[1], edges[2 * k + 3]), ln.bbox, skip=(ln,))
        ]
        out.extend(_cut(ln, cuts, own if own is not None else gutters.index.of(ln)) if cuts else [ln])
    out.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    return out


def _cut(line: Line, cuts: list[tuple[float, float]], words: list[tuple]) -> list[Line]:
    """``line`` cut in the gaps ``cuts``: its spans where each falls on one side, else its words
    (OCR rows are one span), specks in the gaps left out."""
    edges = [(a + b) / 2 for a, b in cuts]
    parts: list[Line] = []
    for lo, hi in zip([float("-inf")] + edges, edges + [float("inf")]):
        spans = [s for s in line.spans if lo <= (s.bbox[0] + s.bbox[2]) / 2 < hi]
        clean = all(s.bbox[2] <= hi + 0.5 and s.bbox[0] >= lo - 0.5 for s in spans)
        if not clean or not spans:
            mine = [w for w in words if lo <= (w[0] + w[2]) / 2 < hi and _real(w)]
            if not mine:
                continue
            model = line.spans[0]
            box = union_box([tuple(w[:4]) for w in mine])
            spans = [Span(" ".join(str(w[4]) for w in mine), box, model.font, model.size, model.flags)]  # type: ignore[arg-type]
        spans = list(spans)
        last = spans[-1]
        spans[-1] = replace(last, text=last.text.rstrip())
        first = spans[0]
        spans[0] = replace(first, text=first.text.lstrip())
        if not "".join(s.text for s in spans).strip():
            continue
        parts.append(Line(bbox=union_box([s.bbox for s in spans]), spans=spans, rtl=line.rtl))
    return parts or [line]


def split_at_gutters(lines: list[Line], gutters: Gutters) -> list[list[Line]]:
    """A region's lines cut into the columns a page gutter separates (one group when none does):
    the layout model's box over two headings side by side, or over prose of two columns."""
    if len(lines) < 2:
        return [lines]
    groups = columns_of(lines, COLUMN_GUTTER_PT)
    if len(groups) < 2:
        return [lines]
    box = union_box(ln.bbox for ln in lines)
    out = [groups[0]]
    for group in groups[1:]:
        left = (min(ln.bbox[0] for ln in out[-1]), max(ln.bbox[2] for ln in out[-1]))
        right = (min(ln.bbox[0] for ln in group), max(ln.bbox[2] for ln in group))
        if gutters.is_gutter(left, right, box, skip=tuple(lines)):
            out.append(group)
        else:
            out[-1] = out[-1] + group
    return [sorted(g, key=lambda ln: (ln.bbox[1], ln.bbox[0])) for g in out]


def join_rows(lines: list[Line]) -> list[Line]:
    """Pieces of one row (a heading set justified across a narrow column: "4  Results  by
    dis-" comes back in pieces, each its own line) joined into one line, left to right, a space
    between; rows top to bottom. For a region no gutter cuts (``split_at_gutters``)."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0])):
        row = rows[-1] if rows else None
        if row is not None and not ln.rtl and not row[0].rtl and _one_row(row[-1].bbox, ln.bbox):
            row.append(ln)
        else:
            rows.append([ln])
    out = []
    for row in rows:
        if len(row) == 1:
            out.append(row[0])
            continue
        row.sort(key=lambda ln: ln.bbox[0])
        spans: list[Span] = []
        for ln in row:
            if spans and not spans[-1].text.endswith(" "):
                last = spans[-1]
                spans[-1] = replace(last, text=last.text + " ")
            spans.extend(ln.spans)
        out.append(Line(bbox=union_box(ln.bbox for ln in row), spans=spans))
    return out


def _one_row(a: BBox, b: BBox) -> bool:
    """Boxes side by side on one row: they overlap in y by most of the lower one's height, not in x."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.6 * min(a[3] - a[1], b[3] - b[1]) and b[0] >= a[2] - 0.5
