"""From labelled regions to ``Block`` objects: reading order, lists, heading levels, captions.

Regions arrive in the page's unrotated coordinates; ``to_display`` maps every box to page points
as displayed (after /Rotate), the space ``Block.bbox`` is defined in.
"""

from __future__ import annotations

import unicodedata

from typing import Callable

from docparse.document import FURNITURE_LABELS, Block, Label, ListItem, block_id
from docparse.engines.layout.columns import side_by_side
from docparse.engines.layout.context import PageContext, Region, RegionOrigin
from docparse.engines.layout.formula import formula_latex, is_equation_number
from docparse.engines.layout.title import is_kicker
from docparse.engines.layout.labels import (
    could_head,
    heading_levels,
    indent_levels,
    misread_formula,
    misread_heading,
    scattered_rows,
    split_marker,
)
from docparse.engines.layout.order import page_is_rtl, reading_order
from docparse.engines.layout.params import (
    BACKGROUND_MIN_HELD,
    CAPTION_LINK_MAX_GAP_PT,
    EQUATION_NUMBER_MAX_GAP_EM,
    LEAD_MAX_GAP_EM,
    LEAD_MAX_WIDTH_SHARE,
    LEAD_MIN_LINES,
    LEAD_SHARED_ROW_SHARE,
    PARAGRAPH_BACK_EM,
    PARAGRAPH_INDENT_MAX_EM,
    PARAGRAPH_INDENT_MIN_EM,
    PARAGRAPH_SHORT_END_EM,
    PROSE_ROW_WIDTH_SHARE,
    ROW_OVERLAP_EM,
    SCAN_PARAGRAPH_MIN_LINES,
    TEXT_BAND_MAX_LINES,
)
from docparse.engines.layout.tables.grid import table_html, Cell
from docparse.engines.layout.tables.split import Segment, page_rules, rules_in
from docparse.engines.layout.text import Line, font_meta, join_text, verbatim_text
from docparse.geometry import BBox, centre_in, union_box

SOURCE = "layout"
_CAPTION_TARGETS = (Label.IMAGE, Label.TABLE, Label.CHART, Label.FORMULA, Label.CODE)


def build_blocks(regions: list[Region], ctx: PageContext) -> list[Block]:
    """Blocks of one page: body blocks in reading order (order 0..n-1), then furniture.

    From ``ctx``: the page index, the map to displayed points, and whether the text is OCR
    (blocks of an OCRed page say so in ``meta["ocr"]``)."""
    page_index, to_display, ocr = ctx.index, ctx.to_display, ctx.scanned
    _check_headings(regions, ocr=ocr)
    if ocr:
        regions = [piece for r in regions for head in _lead_heading(r) for piece in _paragraphs(head)]
    regions = _without_code_frames(regions, ctx.lines)
    regions = _numbers_with_formulas(regions)
    body = [piece for r in regions if r.label not in FURNITURE_LABELS for piece in _side_by_side(r)]
    furniture = sorted((r for r in regions if r.label in FURNITURE_LABELS), key=lambda r: (r.bbox[1], r.bbox[0]))
    rtl = page_is_rtl([ln.text for r in body for ln in r.lines])
    ordered = _order_body(body, rtl)

    groups: list[list[Region]] = []  # consecutive list regions make one list block
    for region in ordered:
        if region.label is Label.LIST and groups and groups[-1][0].label is Label.LIST:
            groups[-1].append(region)
        else:
            groups.append([region])

    # fraction bars: the page's drawn rules, read once when a formula may hold one
    rules = page_rules(ctx.page) if not ocr and any(r.label is Label.FORMULA for r in body) else []
    blocks: list[Block] = []
    for group in groups:
        blocks.append(_block(group, page_index, len(blocks), to_display, ocr, rules))
    for i, block in enumerate(blocks):
        block.order = i
    for region in furniture:
        blocks.append(_block([region], page_index, len(blocks), to_display, ocr))

    _set_heading_levels(blocks)
    _link_captions(blocks)
    return blocks


def _check_headings(regions: list[Region], ocr: bool) -> None:
    """Titles and headings that cannot be ones, relabelled in place.

    On an OCRed page where the layout model ran, a heading only the heuristics found (lines
    re-read from a model box over several columns or over prose beside a table, lines no model
    box held) becomes a paragraph: OCR sizes are character heights, which swing with the script
    and the scan, so "larger than the body" says nothing there; the model saw the page and did
    not call it a heading. A model heading whose text is an equation number or has no letter
    is relabelled (see ``misread_heading``), and on a scan one whose rows are a few stacked
    characters each (``scattered_rows``: a graphic's labels, a logo) is read as text.
    """
    model_ran = any(r.layout_class for r in regions)
    for region in regions:
        if region.label is Label.FORMULA and misread_formula("".join(ln.text for ln in region.lines)):
            region.label = Label.PARAGRAPH  # CJK text the model took for a formula
            continue
        if region.label not in (Label.TITLE, Label.HEADING):
            continue
        if ocr and model_ran and region.origin is RegionOrigin.HEURISTIC:
            region.label = Label.PARAGRAPH
            continue
        text = "\n".join(ln.text for ln in region.lines)
        label = misread_heading(text)
        if label is None and ocr and scattered_rows(text):
            label = Label.PARAGRAPH
        if label is not None:
            region.label = label


def _without_code_frames(regions: list[Region], lines: list[Line]) -> list[Region]:
    """Pictures that are only the frame or background of a code listing, left out.

    A listing set on a shaded or ruled box comes back twice: as a picture (the vector drawing
    the figure finder or the model sees) and as the code block reading its text. When every
    text line inside such a picture belongs to code blocks inside it, the picture holds nothing
    but the listing, and the code block (searchable text) is kept. A picture of its own (an
    embedded image) or one with other words in it (a diagram's labels) stays.
    """
    codes = [r for r in regions if r.label is Label.CODE and r.lines]
    if not codes:
        return regions
    out = []
    for region in regions:
        if region.label is Label.IMAGE and region.origin is not RegionOrigin.EMBEDDED_IMAGE:
            held = {_line_key(ln) for c in codes if centre_in(c.bbox, region.bbox) for ln in c.lines}
            words = {_line_key(ln) for ln in lines if ln.text.strip() and centre_in(ln.bbox, region.bbox)}
            if held and words and words <= held:
                continue
        out.append(region)
    return out


def _line_key(line: Line) -> tuple:
    return (tuple(round(v, 1) for v in line.bbox), line.text)


def _numbers_with_formulas(regions: list[Region]) -> list[Region]:
    """A block that is only an equation number, "(1)", joined to the formula it numbers: the
    formula left of it on its row, or the nearest one ending just above it and reaching over
    it. The formula's LaTeX then leaves the number out and keeps it in
    ``meta["equation_number"]`` (``formula.formula_latex``)."""
    formulas = [r for r in regions if r.label is Label.FORMULA and r.lines]
    joined: set[int] = set()
    for region in regions:
        if region.label not in (Label.FORMULA, Label.PARAGRAPH, Label.HEADING) or not region.lines:
            continue
        if not is_equation_number(" ".join(ln.text for ln in region.lines)):
            continue
        x0, y0, x1, y1 = region.bbox
        reach = EQUATION_NUMBER_MAX_GAP_EM * max(y1 - y0, 1.0)
        best, best_gap = None, float("inf")
        for formula in formulas:
            if formula is region or id(formula) in joined:
                continue
            fx0, fy0, fx1, fy1 = formula.bbox
            same_row = fy0 < y1 and y0 < fy1 and fx0 < x0
            above = -reach < y0 - fy1 <= reach and fx1 >= x0
            gap = 0.0 if same_row else y0 - fy1
            if (same_row or above) and gap < best_gap:
                best, best_gap = formula, gap
        if best is None:
            continue
        best.lines = best.lines + region.lines
        best.bbox = union_box([best.bbox, region.bbox])
        joined.add(id(region))
    return [r for r in regions if id(r) not in joined]


def _lead_heading(region: Region) -> list[Region]:
    """A model text box on a scan whose first row is a short line standing alone above full
    rows of prose, as a heading region and the paragraph below it.

    The model often draws one box over a heading and its paragraph on OCRed pages ("免责声明"
    above the disclaimer). A paragraph's first row runs across the column; a row under half
    the width of the full rows below it (most rows), close above them, that does not end a
    clause, is a heading.
    """
    if region.label is not Label.PARAGRAPH or region.model_class != "text" or len(region.lines) < LEAD_MIN_LINES:
        return [region]
    lines = sorted(region.lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    first, second, rest = lines[0], lines[1], lines[1:]
    if second.bbox[1] < first.bbox[3] - LEAD_SHARED_ROW_SHARE * (first.bbox[3] - first.bbox[1]):
        return [region]  # another line shares the first row: not a line of its own
    left, right = min(ln.bbox[0] for ln in rest), max(ln.bbox[2] for ln in rest)
    width = max(right - left, 1.0)
    first_w = first.bbox[2] - first.bbox[0]
    widths = sorted(ln.bbox[2] - ln.bbox[0] for ln in rest)
    if first_w >= LEAD_MAX_WIDTH_SHARE * width or widths[len(widths) // 2] < PROSE_ROW_WIDTH_SHARE * width:
        return [region]  # not a short row above rows of prose
    height = max(first.bbox[3] - first.bbox[1], second.bbox[3] - second.bbox[1])
    if second.bbox[1] - first.bbox[3] > LEAD_MAX_GAP_EM * height:
        return [region]  # far above the prose: a banner or running head, not its heading
    if not could_head(first.text):  # (OCR sizes are glyph heights: no size test)
        return [region]
    head = Region(bbox=first.bbox, label=Label.HEADING, lines=[first], origin=RegionOrigin.TEXT_LEAD)
    body = region.like(union_box(ln.bbox for ln in rest), rest)
    return [head, body]


def _paragraphs(region: Region) -> list[Region]:
    """A model text box on a scan over several indented paragraphs, as one region per paragraph.

    On OCRed pages the model often draws one box over a run of paragraphs. A paragraph ends
    where a row stops short of the right edge and the next row starts indented, while the row
    after that is back at the left edge (a first-line indent, not a block set in).
    """
    if region.label is not Label.PARAGRAPH or region.model_class != "text" or len(region.lines) < SCAN_PARAGRAPH_MIN_LINES:
        return [region]
    lines = sorted(region.lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    em = sorted(ln.bbox[3] - ln.bbox[1] for ln in lines)[len(lines) // 2]
    left = sorted(ln.bbox[0] for ln in lines)[len(lines) // 4]
    right = max(ln.bbox[2] for ln in lines)
    pieces: list[list[Line]] = [[lines[0]]]
    for i in range(1, len(lines)):
        prev, cur = lines[i - 1], lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        short_end = prev.bbox[2] < right - PARAGRAPH_SHORT_END_EM * em
        indented = left + PARAGRAPH_INDENT_MIN_EM * em < cur.bbox[0] < left + PARAGRAPH_INDENT_MAX_EM * em
        back = nxt is None or nxt.bbox[0] < left + PARAGRAPH_BACK_EM * em
        alone = cur.bbox[1] >= prev.bbox[3] - ROW_OVERLAP_EM * em and (nxt is None or nxt.bbox[1] >= cur.bbox[3] - ROW_OVERLAP_EM * em)
        if short_end and indented and back and alone:  # (rows side by side: a table, labels)
            pieces.append([cur])
        else:
            pieces[-1].append(cur)
    if len(pieces) == 1:
        return [region]
    return [region.like(union_box(ln.bbox for ln in p), p) for p in pieces]


def _order_body(body: list[Region], rtl: bool) -> list[Region]:
    """Body regions in reading order; a picture behind other regions (a page background holding
    two or more of them) is left out of the column cuts it would block, and read just before the
    first region it holds."""
    behind = [r for r in body if r.label is Label.IMAGE and sum(centre_in(o.bbox, r.bbox) for o in body if o is not r) >= BACKGROUND_MIN_HELD]
    front = [r for r in body if not any(r is b for b in behind)]
    ordered = [front[i] for i in reading_order([r.bbox for r in front], rtl=rtl)]
    for back in behind:
        at = next((k for k, r in enumerate(ordered) if centre_in(r.bbox, back.bbox)), len(ordered))
        ordered.insert(at, back)
    return ordered


_SPLIT_LABELS = (Label.PARAGRAPH, Label.HEADING, Label.TITLE)


def _side_by_side(region: Region) -> list[Region]:
    """A text region (or a picture that is only a band of text) whose lines stand apart across a
    wide gutter, as one region per side: each side is read in its own column."""
    lines = region.lines
    if not lines or region.table is not None:
        return [region]
    if region.label is Label.IMAGE:
        height = sorted(ln.bbox[3] - ln.bbox[1] for ln in lines)[len(lines) // 2]
        if region.bbox[3] - region.bbox[1] > TEXT_BAND_MAX_LINES * max(height, 1.0):
            return [region]  # a real figure with words in it (labels, legends): one picture
    elif region.label not in _SPLIT_LABELS:
        return [region]
    groups = side_by_side(lines)
    if len(groups) == 1:
        return [region]
    return [region.like(union_box(ln.bbox for ln in g), g) for g in groups]


def _block(
    group: list[Region],
    page_index: int,
    index: int,
    to_display: Callable[[BBox], BBox],
    ocr: bool,
    rules: list[Segment] | None = None,
) -> Block:
    """One block of a region (or of consecutive list regions); ``rules``: the page's horizontal
    rules (``tables.split.page_rules``), where a formula's fraction bars are found."""
    region = group[0]
    lines = [ln for r in group for ln in r.lines]
    bbox = union_box(r.bbox for r in group)
    block = Block(
        id=block_id(page_index, index),
        label=region.label,
        bbox=_clean(to_display(bbox)),
        page=page_index,
        source=SOURCE,
    )
    meta = font_meta(lines)
    if region.layout_class:
        meta["layout_class"] = region.layout_class
    if ocr:
        meta["ocr"] = True
    block.meta = meta
    if region.label is Label.LIST:
        block.items = _list_items(group, to_display)
        block.text = "\n".join(it.text for it in block.items)
    elif region.label is Label.CODE:
        block.text = verbatim_text(lines)
        block.format = "monospace"
    elif region.label is Label.FORMULA and not ocr:  # (OCR sizes are glyph heights: no scripts)
        block.text = join_text(lines)
        formula = formula_latex(lines, rules_in(rules or [], bbox))
        block.latex = formula.latex or None
        if formula.equation_number:
            block.meta["equation_number"] = formula.equation_number
    elif region.label is Label.TABLE:
        if region.table is not None and region.table.cells:
            block.html = region.table.html
            block.text = region.table.text
            lost = words_outside(lines, block.text)
            if lost:  # the grid's cells miss words inside its box: keep them, and say so
                block.meta["outside_cells"] = " ".join(lost)
        else:  # no grid found: one row per text line keeps the words
            rows = [Cell(i, 0, text=ln.text.strip()) for i, ln in enumerate(lines)]
            block.html = table_html(rows, len(rows), 1, header_rows=0) if rows else "<table></table>"
            block.text = join_text(lines)
    else:
        block.text = join_text(lines, scripts=not ocr)  # (OCR sizes are glyph heights: no scripts)
    return block


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def words_outside(lines: list[Line], text: str) -> list[str]:
    """Words of ``lines`` that ``text`` (a table's cell text) does not hold."""
    held = _letters(text)
    return [w for ln in lines for w in ln.text.split() if _letters(w) and _letters(w) not in held]


def _list_items(group: list[Region], to_display: Callable[[BBox], BBox]) -> list[ListItem]:
    """Items of a list: a new item starts at each line with a marker (or each region)."""
    chunks: list[list[Line]] = []
    for region in group:
        start_new = True
        for ln in region.lines:
            marker, _ = split_marker(ln.text)
            if start_new or marker is not None:
                chunks.append([ln])
                start_new = False
            else:
                chunks[-1].append(ln)
    chunks = [c for c in chunks if c]
    levels = indent_levels([c[0].bbox[0] for c in chunks]) if not any(ln.rtl for c in chunks for ln in c) else [0] * len(chunks)
    items = []
    for chunk, level in zip(chunks, levels):
        marker, first = split_marker(chunk[0].text)
        rest = [ln.text.strip() for ln in chunk[1:] if ln.text.strip()]
        text = "\n".join([first] + rest).strip()
        box = _clean(to_display(union_box(ln.bbox for ln in chunk)))
        items.append(ListItem(text=text, bbox=box, level=level, marker=marker))
    return items


def _set_heading_levels(blocks: list[Block]) -> None:
    """Heading levels by style; a kicker above the page's title ("Research Article") is a
    top-level heading under the title and takes no part in the ranking (its size is the
    title's, and would push every section heading one level down)."""
    kickers = _kickers(blocks)
    for block in kickers:
        block.level = 2
    kicker_ids = {id(b) for b in kickers}
    headings = [b for b in blocks if b.label is Label.HEADING and id(b) not in kicker_ids]
    styles = [(b.text, float(b.meta.get("font_size", 0.0)), bool(b.meta.get("bold", False))) for b in headings]
    for block, level in zip(headings, heading_levels(styles)):
        block.level = level
    for block in blocks:
        if block.label is Label.TITLE:
            block.level = 1


def _kickers(blocks: list[Block]) -> list[Block]:
    titles = [b for b in blocks if b.label is Label.TITLE]
    if not titles:
        return []
    top = min(t.bbox[1] for t in titles)
    return [b for b in blocks if b.label is Label.HEADING and b.bbox[3] <= top and is_kicker(b.text)]


def _link_captions(blocks: list[Block]) -> None:
    """Point each caption at the nearest figure/table above or below it that overlaps in x."""
    targets = [b for b in blocks if b.label in _CAPTION_TARGETS]
    for cap in (b for b in blocks if b.label is Label.CAPTION):
        best, best_d = None, float("inf")
        for t in targets:
            overlap = min(cap.bbox[2], t.bbox[2]) - max(cap.bbox[0], t.bbox[0])
            if overlap <= 0:
                continue
            d = max(cap.bbox[1] - t.bbox[3], t.bbox[1] - cap.bbox[3], 0.0)
            if d < best_d:
                best, best_d = t, d
        if best is not None and best_d < CAPTION_LINK_MAX_GAP_PT:
            cap.caption_for = best.id


def _clean(b: BBox) -> BBox:
    x0, y0, x1, y1 = (float(v) for v in b)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
