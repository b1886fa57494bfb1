"""Regions of a page from the layout model: boxes with a label and their text lines.

Two ways to find regions, both in the page's unrotated coordinates (where PyMuPDF's text layer
and layout model work):
- ``model_regions`` (here): PyMuPDF's bundled layout-analysis model (``pymupdf.layout``, our own
  instance of it: ``layout_model``), called per page on the already open document, with tables read
  from ruling lines (vector or, on scans, pixels), the model's grid or word positions;
- ``heuristic_regions`` (``regions.heuristic``): lines clustered into paragraphs and labelled
  from font size, weight, position and markers.
Lines the model left out become heuristic regions too, so no text is lost.
"""

from __future__ import annotations

import re
from typing import Any

from docparse.document import Label
from docparse.engines.layout.columns import Gutters, join_rows, spans_columns, split_at_gutters
from docparse.engines.layout.context import PageContext, Region, RegionOrigin, model_region, unrotated_height
from docparse.engines.layout.labels import misread_heading, model_label
from docparse.engines.layout.params import (
    LIST_TABLE_MIN_ROWS,
    LIST_TABLE_NUMBERED_SHARE,
    PAGE_IMAGE_SHARE,
    REGION_GAP_EM,
    RULED_TABLE_MIN_SHARE,
    SPARSE_TABLE_FILL,
    SPARSE_TABLE_SLOTS,
    TABLE_MAX_WORDS_PER_CELL,
)
from docparse.engines.layout.regions.heuristic import text_regions
from docparse.engines.layout.regions.runner import Ahead, layout_model
from docparse.engines.layout.tables.grid import Table, find_table, model_columns, model_table, word_grid
from docparse.engines.layout.scan.columns import strip_of
from docparse.engines.layout.tables.scanned import page_grids, scanned_table
from docparse.engines.layout.tables.split import horizontal_rules, split_table_box, trim_prose
from docparse.engines.layout.text import Line, lines_in
from docparse.geometry import BBox, union_box

_GRIDDED = (Label.TABLE, Label.IMAGE)  # on scans, model regions whose ruled grid is read from pixels


# -- the layout model -----------------------------------------------------------------------------


def load_layout_model() -> None:
    """Build the engine's layout model (``layout_model``); raises ImportError when PyMuPDF's
    layout package is not installed."""
    layout_model()


def run_layout_model(page: Any, ahead: Ahead | None = None) -> list[dict]:
    """Raw layout regions of one page: dicts with class_name, group_bbox, table_cells, bboxes.

    ``ahead``: ``layout_model().prefetch(page)``, this page's image features started earlier.
    """
    return layout_model().predict(page, ahead)


def model_regions(ctx: PageContext, raw: list[dict]) -> tuple[list[Region], list[str]]:
    """Regions from the model's boxes (``raw``: ``run_layout_model``), plus heuristic regions
    for lines no box holds.

    On a scanned (OCRed) page a picture covering most of the page is the scan itself: dropped.
    """
    page, lines, words, scanned = ctx.page, ctx.lines, ctx.words, ctx.scanned
    warnings: list[str] = []
    regions: list[Region] = []
    page_area = float(page.cropbox.width * page.cropbox.height)
    ruled: list[Table] | None = None  # find_tables on the whole page, only when the model saw a table
    gutters: Gutters | None = None  # the page's column gutters, asked about when a box may straddle one
    for item in raw:
        bbox = tuple(float(v) for v in item["group_bbox"][:4])
        if bbox[2] - bbox[0] <= 1 or bbox[3] - bbox[1] <= 1:
            continue
        name = str(item.get("class_name", ""))
        if scanned and name == "picture" and (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) > PAGE_IMAGE_SHARE * page_area:
            continue
        label = model_label(name)
        if label is None:
            warnings.append(f"unknown layout class {name!r} read as paragraph")
            label = Label.PARAGRAPH
        region = model_region(bbox, label, name)  # type: ignore[arg-type]
        grid = None
        if scanned and label in _GRIDDED:
            grid = scanned_table(ctx, bbox, label is not Label.TABLE, model_columns(item))  # type: ignore[arg-type]
        if grid is not None:  # a scan's ruled grid: cells from its pixels' rules and the OCR words
            region.label, region.table, region.bbox = Label.TABLE, grid, union_box([bbox, grid.bbox])  # type: ignore[list-item]
        elif label is Label.TABLE:
            if ruled is None:
                ruled = find_table(page, None, words)
            match = _best_overlap(bbox, ruled)  # type: ignore[arg-type]
            if match is not None:  # ruled cells are exact: prefer them to the model's grid
                region.table = match
                region.bbox = union_box([bbox, match.bbox])  # type: ignore[list-item]
            else:
                trimmed = trim_prose(bbox, words) if scanned else None  # type: ignore[arg-type]
                if trimmed is not None:  # one model box over a sidebar, prose and a table or two
                    regions.extend(_word_tables(trimmed, words, name))
                    continue
                gutters = gutters or Gutters(lines, words)
                if not scanned:
                    pieces = _gutter_pieces(bbox, lines, gutters)  # type: ignore[arg-type]
                else:  # (on a scan only where its columns were OCRed one by one)
                    pieces = _strip_pieces(bbox, ctx.column_strips, words)  # type: ignore[arg-type]
                if len(pieces) > 1:  # one model box over things of two columns (a formula, a table)
                    regions.extend(_table_pieces(item, words, pieces, name, unstack=not scanned))
                    continue
                pieces = split_table_box(bbox, words, horizontal_rules(page, bbox))  # type: ignore[arg-type]
                if len(pieces) > 1:  # one model box over several tables: one region per table
                    regions.extend(_table_pieces(item, words, pieces, name, unstack=not scanned))
                    continue
                region.table = model_table(item, words, unstack=not scanned)
            if not plausible_table(region.table):  # prose the model took for a table: re-read as text
                region.label, region.table, region.reread_as_text = Label.PARAGRAPH, None, True
        regions.append(region)
    if scanned:  # ruled grids the model read as text or missed
        taken = [r.bbox for r in regions if r.label in (Label.TABLE, Label.IMAGE)]
        for grid in page_grids(ctx, taken):
            if plausible_table(grid):
                regions.append(Region(bbox=grid.bbox, label=Label.TABLE, table=grid, origin=RegionOrigin.RASTER_GRID))
    _assign_lines(regions, lines)
    if not scanned:  # (on scans these are not measured yet: born-digital pages only, for now)
        regions = _split_at_gutters(regions, lines, words, gutters)
    elif ctx.column_strips:  # a scan OCRed column by column: its strips are its columns
        regions = _split_at_strips(regions, ctx.column_strips)
    for region in regions:
        if region.label in (Label.PARAGRAPH, Label.LIST) and spans_columns(region.lines):
            region.reread_as_text = True  # one box over several columns: not a paragraph
    regions = _reread_as_text(regions, unrotated_height(page))
    kept = [r for r in regions if r.lines or r.label in (Label.TABLE, Label.IMAGE, Label.FORMULA)]
    taken = {id(ln) for r in kept for ln in r.lines}
    orphans = [ln for ln in lines if id(ln) not in taken]
    if orphans:
        kept.extend(text_regions(orphans, page_height=unrotated_height(page)))
    for region in kept:  # a heading no gutter cut: its pieces of one row as one line
        if region.label in (Label.HEADING, Label.TITLE) and len(region.lines) > 1 and not scanned:
            # (not on a scan: there the pieces may be a logo's or a graphic's letters, which
            # blocks._check_headings tells by their rows)
            if misread_heading("\n".join(ln.text for ln in region.lines)) is None:  # (not a formula and its number)
                region.lines = join_rows(region.lines)
    return kept, warnings


#: model regions whose lines may stand in two columns: one box over headings or prose side by side
_TEXT_LABELS = (Label.PARAGRAPH, Label.HEADING, Label.TITLE, Label.LIST)


def _split_at_gutters(regions: list[Region], lines: list[Line], words: list[tuple], gutters: Gutters | None) -> list[Region]:
    """A text region whose lines a page's column gutter separates, as one region per column (the
    model draws one "section-header" box over two headings side by side in two columns), and
    one whose lines stand apart by a wide blank (``REGION_GAP_EM`` rows: a box reaching past a
    table across the page to the heading below it), as one region per run of rows."""
    out: list[Region] = []
    for region in regions:
        if region.label not in _TEXT_LABELS or len(region.lines) < 2 or region.reread_as_text:
            out.append(region)  # (a region read again by the heuristics is cut by them)
            continue
        gutters = gutters or Gutters(lines, words)
        groups = [run for g in split_at_gutters(region.lines, gutters) for run in _runs(g)]
        if len(groups) > 1:
            out.extend(region.like(union_box(ln.bbox for ln in g), g) for g in groups)
            continue
        out.append(region)
    return out


def _split_at_strips(regions: list[Region], strips: tuple[BBox, ...]) -> list[Region]:
    """A text region whose lines stand in two column strips of a scan OCRed column by column
    (``scan.columns``: the model draws one box over two headings side by side, or over the
    end of one column and the top of the next), as one region per strip, lines across none
    (full-width text above or below the columns) a region of their own."""
    out: list[Region] = []
    for region in regions:
        if region.label not in _TEXT_LABELS or len(region.lines) < 2:
            out.append(region)
            continue
        groups: dict[int | None, list[Line]] = {}
        for ln in region.lines:
            groups.setdefault(strip_of(ln.bbox, strips), []).append(ln)
        if len(groups) < 2:
            out.append(region)
            continue
        out.extend(region.like(union_box(ln.bbox for ln in g), g) for g in groups.values())
    return out


def _strip_pieces(bbox: BBox, strips: tuple[BBox, ...], words: list[tuple]) -> list[BBox]:
    """A model table box of a scan OCRed column by column cut into its pieces in each column
    strip it reaches over (no word of the page crosses from one strip into the next); ``[bbox]``
    when it stands in one strip or none (a table across the page, above or below the columns)."""
    cy = (bbox[1] + bbox[3]) / 2
    pieces = []
    for x0, y0, x1, y1 in strips:
        if not y0 <= cy < y1:
            continue
        lo, hi = max(bbox[0], x0), min(bbox[2], x1)
        inside = [w for w in words if lo <= (w[0] + w[2]) / 2 < hi and bbox[1] <= (w[1] + w[3]) / 2 < bbox[3]]
        if inside:  # (its words' width: the strip's edge is the middle of the gutter)
            pieces.append((max(lo, min(w[0] for w in inside)), bbox[1], min(hi, max(w[2] for w in inside)), bbox[3]))
    return pieces if len(pieces) > 1 else [bbox]


def _runs(lines: list[Line]) -> list[list[Line]]:
    """Lines (top to bottom) cut where the blank between two rows is over ``REGION_GAP_EM`` rows."""
    if len(lines) < 2:
        return [lines]
    height = sorted(ln.bbox[3] - ln.bbox[1] for ln in lines)[len(lines) // 2]
    runs = [[lines[0]]]
    bottom = lines[0].bbox[3]
    for ln in lines[1:]:
        if ln.bbox[1] - bottom > REGION_GAP_EM * max(height, 1.0):
            runs.append([ln])
        else:
            runs[-1].append(ln)
        bottom = max(bottom, ln.bbox[3])
    return runs


def _gutter_pieces(bbox: BBox, lines: list[Line], gutters: Gutters) -> list[BBox]:
    """A model table box cut at the page's column gutters its lines stand apart at, as one box
    per column (on a scan the model draws one table box over a formula in one column and a
    table in the next); ``[bbox]`` when none does, or when the pieces' rows run on from one into
    the other (a table across the page whose column gap lines up with a gutter)."""
    inside = sorted(lines_in(lines, bbox), key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    groups = split_at_gutters(inside, gutters)
    if len(groups) < 2:
        return [bbox]
    for a, b in zip(groups, groups[1:]):  # rows running on across: most rows of both sides shared
        if all(sum(any(_same_row(x.bbox, y.bbox) for y in two) for x in one) >= 0.5 * len(one) for one, two in ((a, b), (b, a))):
            return [bbox]
    return [(min(ln.bbox[0] for ln in g), bbox[1], max(ln.bbox[2] for ln in g), bbox[3]) for g in groups]


def _same_row(a: BBox, b: BBox) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])


def _table_pieces(item: dict, words: list[tuple], pieces: list[BBox], name: str, unstack: bool = True) -> list[Region]:
    """One table region per piece of a split model box (prose pieces are re-read as text)."""
    out = []
    for piece in pieces:
        table = model_table(item, words, clip=piece, unstack=unstack)
        region = model_region(piece, Label.TABLE, name, table)
        if table is None or not plausible_table(table):
            region.label, region.table, region.reread_as_text = Label.PARAGRAPH, None, True
        out.append(region)
    return out


def _word_tables(boxes: list[BBox], words: list[tuple], name: str) -> list[Region]:
    """Table regions from word positions for the tabular parts of a model box that held prose
    (OCR model cells there are unreliable); the prose is left to the text regions."""
    out = []
    for box in boxes:
        table = word_grid(box, words)
        if table is not None and plausible_table(table):
            out.append(model_region(box, Label.TABLE, name, table))
    return out


def plausible_table(table: Table | None) -> bool:
    """A grid worth calling a table: two columns or more, two cells or more, cells not prose."""
    if table is None:
        return True  # no grid known: trust the model, the block keeps its lines as rows
    filled = [c for c in table.cells if c.text.strip()]
    slots = table.n_rows * table.n_cols
    if slots >= SPARSE_TABLE_SLOTS and len(filled) < SPARSE_TABLE_FILL * slots:
        return True  # a large grid whose words landed in few cells: the structure still says table
    if len(filled) < 2:
        return False
    if table.n_cols < 2:  # one column: only a list of entries with numbers (contents, index) is a table
        numbered = sum(bool(re.search(r"\d\s*$", c.text)) for c in filled)
        return table.n_rows >= LIST_TABLE_MIN_ROWS and numbered >= LIST_TABLE_NUMBERED_SHARE * len(filled)
    words = sum(len([w for w in c.text.split() if any(ch.isalnum() for ch in w)]) for c in filled) / len(filled)
    return words <= TABLE_MAX_WORDS_PER_CELL


def _reread_as_text(regions: list[Region], page_height: float) -> list[Region]:
    out: list[Region] = []
    for region in regions:
        if region.reread_as_text:
            out.extend(text_regions(region.lines, page_height))
        else:
            out.append(region)
    return out


def _assign_lines(regions: list[Region], lines: list[Line]) -> None:
    """Give each line to the smallest region that holds its centre (tables keep their own text)."""
    by_area = sorted(regions, key=lambda r: (r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1]))
    for ln in lines:
        for region in by_area:
            if lines_in([ln], region.bbox):
                region.lines.append(ln)
                break
    for region in regions:
        region.lines.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))


def _best_overlap(box: BBox, tables: list[Table]) -> Table | None:
    """The table covering most of ``box`` (at least half of it), if any."""
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    best, best_share = None, RULED_TABLE_MIN_SHARE
    for t in tables:
        w = min(box[2], t.bbox[2]) - max(box[0], t.bbox[0])
        h = min(box[3], t.bbox[3]) - max(box[1], t.bbox[1])
        share = max(w, 0) * max(h, 0) / area
        if share >= best_share:
            best, best_share = t, share
    return best


