"""Multi-column scans OCRed column by column.

Tesseract reads the whole page render at once, and on a page of two or three columns it often
runs a row of one column into the row beside it: the line's box then covers the heights of both
(their baselines rarely agree), so the rows of a column merge two by two and lines mix words of
neighbouring columns. Cutting such lines afterwards cannot undo it: the characters carry the
glued line's box. So where the first reading shows column gutters -- vertical strips no word
crosses over most of the page's text, with columns of prose on both sides -- the page is OCRed
once more, each column strip by itself (and the bands above and below the columns, full width),
and the pieces are put back together into one page with one text layer. This costs a second
OCR, on such pages only; everything else keeps its first reading.
"""

from __future__ import annotations

import statistics
from typing import Any

from docparse.engines.layout.text import Line, Span
from docparse.geometry import BBox, union_box

from docparse.engines.layout.params import (
    OCR_COLUMN_BAND_MIN_ROWS,
    OCR_COLUMN_BAND_SHARE,
    OCR_COLUMN_MAX_BANDS,
    OCR_COLUMN_MIN_GUTTERS,
    OCR_COLUMN_MIN_ROWS,
    OCR_COLUMN_MIN_WIDTH_EM,
    OCR_COLUMN_ROW_FILL,
    OCR_DPI,
    OCR_GUTTER_FLANK_EM,
    OCR_GUTTER_MIN_EM,
)


def _real(word: tuple) -> bool:
    """A word with a letter or digit (not a speck or rule Tesseract read as a character)."""
    return any(ch.isalnum() for ch in str(word[4]))


def column_cuts(
    words: list[tuple], width: float, limits: tuple[float, float] = (float("-inf"), float("inf"))
) -> tuple[list[float], tuple[float, float]] | None:
    """(x of each column gutter, (top, bottom) of the band the columns fill) from a page's OCR
    ``words`` (``page.get_text("words")`` tuples), or None when the page shows no columns.

    A gutter is an x no word crosses from ``top`` to ``bottom``, a band of at least
    ``OCR_COLUMN_BAND_SHARE`` of the text's height, and every strip the gutters cut the band
    into is a column of prose: ``OCR_COLUMN_MIN_ROWS`` rows or more, most of them filling
    ``OCR_COLUMN_ROW_FILL`` of the strip (a table's cells or a list of numbers do not), at least
    ``OCR_COLUMN_MIN_WIDTH_EM`` text heights wide, and ``OCR_COLUMN_BAND_MIN_ROWS`` rows in all.
    At least ``OCR_COLUMN_MIN_GUTTERS`` gutters. A band reaching the top or bottom of the text
    reaches ``limits`` (the page's edge, or the next band's).
    """
    words = [w for w in words if _real(w)]
    if len(words) < 2 * OCR_COLUMN_MIN_ROWS:
        return None
    em = statistics.median(w[3] - w[1] for w in words)
    words = [w for w in words if w[3] - w[1] <= 3 * em]  # a tall word is a mis-segmented row, noise
    if not words or em <= 0:
        return None
    top, bottom = min(w[1] for w in words), max(w[3] for w in words)
    need = OCR_COLUMN_BAND_SHARE * (bottom - top)
    runs: list[tuple[float, float, float]] = []  # (x, top, bottom) of each x clear long enough
    step = max(em / 8, 1.0)
    x = step
    while x < width - step:
        spans = sorted((w[1], w[3]) for w in words if w[0] < x < w[2])
        best, at = (0.0, top, top), top
        for y0, y1 in spans + [(bottom, bottom)]:
            if y0 - at > best[0]:
                best = (y0 - at, at, y0)
            at = max(at, y1)
        if best[0] >= need:
            runs.append((x, best[1], best[2]))
        x += step
    left, right = min(w[0] for w in words), max(w[2] for w in words)
    gutters = [
        g
        for g in _gutters(runs, step, OCR_GUTTER_MIN_EM * em)
        if left < g[0] < right and g[2] - g[1] >= need and _flanked(words, g, em)
    ]  # (not the margins, not a gap inside one column)
    if len(gutters) < OCR_COLUMN_MIN_GUTTERS:
        return None
    band = (max(g[1] for g in gutters), min(g[2] for g in gutters))
    if band[1] - band[0] < need:
        return None
    cuts = [g[0] for g in gutters]
    inside = [w for w in words if w[1] >= band[0] - 1 and w[3] <= band[1] + 1]
    if not inside:
        return None
    # the band's edges half way between the words across a gutter and the columns' first and
    # last rows: OCR boxes hug the letters, a cut at their edge would slice descenders off
    first, last = min(w[1] for w in inside), max(w[3] for w in inside)
    band = ((band[0] + first) / 2 if band[0] > top else limits[0], (band[1] + last) / 2 if band[1] < bottom else limits[1])
    edges = [min(w[0] for w in inside)] + cuts + [max(w[2] for w in inside)]
    rows = 0
    for x0, x1 in zip(edges, edges[1:]):
        count = _prose_rows([w for w in inside if x0 <= (w[0] + w[2]) / 2 < x1], x1 - x0, em)
        if x1 - x0 < OCR_COLUMN_MIN_WIDTH_EM * em or count < OCR_COLUMN_MIN_ROWS:
            return None
        rows += count
    return (cuts, band) if rows >= OCR_COLUMN_BAND_MIN_ROWS else None


def column_bands(
    words: list[tuple], width: float, limits: tuple[float, float], depth: int = OCR_COLUMN_MAX_BANDS
) -> list[tuple[list[float], tuple[float, float]]]:
    """Every band of columns of the page (``limits``: its top and bottom), top to bottom
    (``column_cuts``): the longest first, then those above and below it (a full-width table or
    figure between two bands of columns)."""
    found = column_cuts(words, width, limits) if depth > 0 else None
    if found is None:
        return []
    top, bottom = found[1]
    above = [w for w in words if (w[1] + w[3]) / 2 < top]
    below = [w for w in words if (w[1] + w[3]) / 2 > bottom]
    return (
        column_bands(above, width, (limits[0], top), depth - 1)
        + [found]
        + column_bands(below, width, (bottom, limits[1]), depth - 1)
    )


def _gutters(runs: list[tuple[float, float, float]], step: float, min_width: float) -> list[tuple[float, float, float]]:
    """Neighbouring clear x's joined into gutters at least ``min_width`` wide; each is given by
    its middle x (where the page is cut), with that x's clear stretch."""
    groups: list[list[tuple[float, float, float]]] = []
    for run in runs:
        if groups and run[0] - groups[-1][-1][0] <= step * 1.01:
            groups[-1].append(run)
        else:
            groups.append([run])
    out = []
    for group in groups:
        if group[-1][0] - group[0][0] + step < min_width:
            continue
        # cut in the middle (as far from both columns as can be), clear where all of a
        # ``min_width`` window around it is: a word space that happens to fall on the gutter in
        # one row is narrower, and that row stays out of the band
        mid, half = len(group) // 2, int(min_width / 2 / step)
        window = group[max(0, mid - half) : mid + half + 1]
        out.append((group[mid][0], max(r[1] for r in window), min(r[2] for r in window)))
    return out


def _flanked(words: list[tuple], gutter: tuple[float, float, float], em: float) -> bool:
    """Rows of text end or start within ``OCR_GUTTER_FLANK_EM`` text heights of the gutter on
    both sides, ``OCR_COLUMN_MIN_ROWS`` or more each, along its clear stretch."""
    x, top, bottom = gutter
    reach = OCR_GUTTER_FLANK_EM * em
    rows_left, rows_right = set(), set()
    for w in words:
        centre = (w[1] + w[3]) / 2
        if not top <= centre <= bottom:
            continue
        if x - reach <= w[2] <= x:
            rows_left.add(int(centre // (em / 2)))
        elif x <= w[0] <= x + reach:
            rows_right.add(int(centre // (em / 2)))
    return min(len(rows_left), len(rows_right)) >= OCR_COLUMN_MIN_ROWS


def _prose_rows(words: list[tuple], width: float, em: float) -> int:
    """Rows of these words when they mostly run across the strip (``width``): a column of prose;
    else 0."""
    rows: list[list[tuple]] = []
    for w in sorted(words, key=lambda w: ((w[1] + w[3]) / 2, w[0])):
        if rows and abs((w[1] + w[3]) / 2 - (rows[-1][0][1] + rows[-1][0][3]) / 2) < em / 2:
            rows[-1].append(w)
        else:
            rows.append([w])
    if not rows:
        return 0
    fills = [(max(w[2] for w in r) - min(w[0] for w in r)) / max(width, 1.0) for r in rows]
    return len(rows) if statistics.median(fills) >= OCR_COLUMN_ROW_FILL else 0


def column_ocr_page(work: Any, language: str, dpi: int = OCR_DPI, worker: Any = None) -> tuple[Any, list[BBox]] | None:
    """``work`` (a page OCRed whole, ``upright_ocr_page``) OCRed again column by column: (a new
    one-page PDF of the same size, the column strips' boxes), or None when its first reading
    shows no columns. ``worker`` (a ``scan.ocr_ahead.OcrWorker``), when given, OCRs about half
    of the strips (by area) in its child process while the others are OCRed here: the same
    pieces, in half the wall time on two cores."""
    import pymupdf

    from docparse.engines.layout.scan.ocr import ocr_clip_page, open_ocr_pdf

    bands = column_bands(work.get_text("words"), work.rect.width, (work.rect.y0, work.rect.y1))
    if not bands:
        return None
    rect = work.rect
    tiles = []
    strips: list[BBox] = []
    at = rect.y0
    for cuts, (top, bottom) in bands:  # full width between bands, strips in them
        tiles.append(pymupdf.Rect(rect.x0, at, rect.x1, top))
        xs = [rect.x0] + cuts + [rect.x1]
        strips += [(x0, top, x1, bottom) for x0, x1 in zip(xs, xs[1:])]
        tiles += [pymupdf.Rect(x0, top, x1, bottom) for x0, x1 in zip(xs, xs[1:])]
        at = bottom
    tiles.append(pymupdf.Rect(rect.x0, at, rect.x1, rect.y1))
    tiles = [t for t in tiles if not (t.is_empty or t.width < 1 or t.height < 1)]
    elsewhere = {}  # tile index -> future of its OCR PDF in the worker's child process
    if worker is not None:
        for i in _half_by_area(tiles):
            try:
                elsewhere[i] = worker.ocr(work.get_pixmap(dpi=dpi, clip=tiles[i]), language)
            except Exception:  # OCRed here below
                break
    pieces: dict[int, Any] = {}
    for i, tile in enumerate(tiles):
        if i not in elsewhere:
            pieces[i] = ocr_clip_page(work, tile, language, dpi)
    for i, future in elsewhere.items():
        try:
            pieces[i] = open_ocr_pdf(future.result())
        except Exception:  # the child failed: this strip is OCRed here
            pieces[i] = ocr_clip_page(work, tiles[i], language, dpi)
    out = pymupdf.open()
    page = out.new_page(width=rect.width, height=rect.height)
    for i, tile in enumerate(tiles):  # put back in the same order whoever read them
        page.show_pdf_page(tile, pieces[i].parent, 0, keep_proportion=False)
        pieces[i].parent.close()
    return page, strips


def _half_by_area(tiles: list[Any]) -> list[int]:
    """Indices of tiles holding about half of their total area, the largest first (the child's
    share of a page's strips)."""
    order = sorted(range(len(tiles)), key=lambda i: -tiles[i].width * tiles[i].height)
    mine, theirs, chosen = 0.0, 0.0, []
    for i in order:
        area = tiles[i].width * tiles[i].height
        if theirs <= mine:
            theirs += area
            chosen.append(i)
        else:
            mine += area
    return chosen


def strip_of(box: BBox, strips: list[BBox] | tuple[BBox, ...]) -> int | None:
    """Index of the column strip ``box``'s centre lies in (None: in none, full-width text)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for k, (x0, y0, x1, y1) in enumerate(strips):
        if x0 <= cx < x1 and y0 <= cy < y1:
            return k
    return None


def cut_at_strips(lines: list[Line], strips: list[BBox] | tuple[BBox, ...]) -> list[Line]:
    """Lines whose spans lie in two column strips (rows of neighbouring columns joined again
    after their OCR) cut into one line per strip."""
    out: list[Line] = []
    for ln in lines:
        keys = [strip_of(s.bbox, strips) for s in ln.spans]
        if len(set(keys)) < 2 or ln.rtl:
            out.append(ln)
            continue
        groups: dict[int | None, list[Span]] = {}
        for key, span in zip(keys, ln.spans):
            groups.setdefault(key, []).append(span)
        for spans in groups.values():
            spans = [*spans[:-1], Span(spans[-1].text.rstrip(), spans[-1].bbox, spans[-1].font, spans[-1].size, spans[-1].flags)]
            out.append(Line(bbox=union_box([s.bbox for s in spans]), spans=spans, rtl=ln.rtl))
    out.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    return out
