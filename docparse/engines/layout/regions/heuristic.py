"""Regions without the layout model, and the labels text gets from its looks.

Lines clustered into paragraphs and labelled from font size, weight, position and markers
(``text_regions``), whole pages read that way when the model is unavailable
(``heuristic_regions``: tables from ``page.find_tables()``, pictures from the image list and
vector drawings). ``refine`` (its own module) then fixes labels on every page.
"""

from __future__ import annotations

import statistics
from typing import Any

from docparse.document import Label
from docparse.engines.layout.context import PageContext, Region, RegionOrigin, unrotated_height
from docparse.engines.layout.labels import is_caption, is_page_number, numbering_depth, starts_with_marker
from docparse.engines.layout.params import (
    BOLD_HEADING_MAX_CHARS,
    DEFAULT_BODY_SIZE_PT,
    FIRST_LINE_INDENT_EM,
    FOOTNOTE_SIZE_RATIO,
    FOOTNOTE_TOP_SHARE,
    FURNITURE_MARGIN_SHARE,
    FURNITURE_MAX_CHARS,
    FURNITURE_MAX_LINES,
    HEADING_MAX_CHARS,
    HEADING_MAX_LINES,
    HEADING_SIZE_RATIO,
    IMAGE_MIN_SIDE_PT,
    INDENT_BACK_EM,
    NUMBERED_HEADING_MAX_CHARS,
    OPEN_PARAGRAPHS,
    PAGE_IMAGE_SHARE,
    PARAGRAPH_LINE_GAP_EM,
    SAME_STYLE_SIZE_SHARE,
    TITLE_SIZE_RATIO,
    TITLE_TOP_SHARE,
    VECTOR_BACKGROUND_SHARE,
    VECTOR_FIGURE_MAX_COVERED,
    VECTOR_FIGURE_MIN_SIDE_PT,
)
from docparse.engines.layout.tables.grid import Table, find_table
from docparse.engines.layout.text import Line, lines_in
from docparse.geometry import BBox, box_inside, intersection, union_box



def heuristic_regions(ctx: PageContext, find_tables: bool = True) -> list[Region]:
    """Regions without the layout model: tables, pictures, then clustered text.

    On a scanned (OCRed) page the picture covering the page is the scan, not a figure.
    """
    page, lines, words, scanned = ctx.page, ctx.lines, ctx.words, ctx.scanned
    regions: list[Region] = []
    if find_tables:
        for table in find_table(page, None, words):
            regions.append(Region(bbox=table.bbox, label=Label.TABLE, table=table))
    page_area = float(page.cropbox.width * page.cropbox.height)
    for box in image_boxes(page):
        if scanned and (box[2] - box[0]) * (box[3] - box[1]) > PAGE_IMAGE_SHARE * page_area:
            continue
        if not any(box_inside(box, r.bbox, 2.0) for r in regions):
            regions.append(Region(bbox=box, label=Label.IMAGE))
    tables = [r for r in regions if r.label is Label.TABLE]
    free = [ln for ln in lines if not any(lines_in([ln], t.bbox) for t in tables)]
    for t in tables:
        t.lines = lines_in(lines, t.bbox)
    regions.extend(text_regions(free, page_height=unrotated_height(page)))
    if not scanned:
        regions.extend(vector_figures(page, regions))
    return regions


def image_boxes(page: Any, min_size: float = IMAGE_MIN_SIDE_PT) -> list[BBox]:
    """Boxes of the page's images (unrotated coordinates), tiny ones left out."""
    boxes: list[BBox] = []
    try:
        infos = page.get_image_info()
    except Exception:
        return boxes
    for info in infos:
        b = tuple(float(v) for v in info["bbox"])
        if b[2] - b[0] >= min_size and b[3] - b[1] >= min_size and b not in boxes:
            boxes.append(b)  # type: ignore[arg-type]
    return boxes


def text_regions(lines: list[Line], page_height: float) -> list[Region]:
    """Lines clustered into paragraphs, each labelled by style and position."""
    clusters = cluster_lines(lines)
    body = body_size(lines)
    regions = [Region(bbox=union_box(ln.bbox for ln in c), label=Label.PARAGRAPH, lines=c) for c in clusters]
    for region in regions:
        region.label = guess_label(region, body, page_height)
    titles = [r for r in regions if r.label is Label.TITLE]
    if len(titles) > 1:  # one title per page: the largest; the others are headings
        keep = max(titles, key=lambda r: (max(ln.size for ln in r.lines), -r.bbox[1]))
        for r in titles:
            if r is not keep:
                r.label = Label.HEADING
    return regions


def cluster_lines(lines: list[Line]) -> list[list[Line]]:
    """Paragraphs: lines stacked closely, overlapping horizontally, in the same style."""
    clusters: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0])):
        height = max(ln.bbox[3] - ln.bbox[1], 1.0)
        home = None
        if not (starts_with_marker(ln.text) and not ln.mono):  # a list item starts a new region
            for cluster in reversed(clusters[-OPEN_PARAGRAPHS:]):
                last = cluster[-1]
                gap = ln.bbox[1] - last.bbox[3]
                overlap = min(ln.bbox[2], last.bbox[2]) - max(ln.bbox[0], last.bbox[0])
                same_style = abs(ln.size - last.size) <= SAME_STYLE_SIZE_SHARE * max(ln.size, 1.0) and ln.mono == last.mono
                if -PARAGRAPH_LINE_GAP_EM * height < gap < PARAGRAPH_LINE_GAP_EM * height and overlap > 0 and same_style:
                    home = cluster
                    break
        if home is None:
            clusters.append([ln])
        else:
            home.append(ln)
    return [part for c in clusters for part in split_indented(c)]


def split_indented(cluster: list[Line]) -> list[list[Line]]:
    """A cluster cut before each first-line indent: a line set in by an em or more, whose next
    line is back at the left edge (paragraphs without vertical space between them, as in most
    CJK books). A hanging indent keeps every following line set in, so it is not cut."""
    if len(cluster) < 3:
        return [cluster]
    left = min(ln.bbox[0] for ln in cluster)
    parts: list[list[Line]] = [[cluster[0]]]
    for i in range(1, len(cluster)):
        ln = cluster[i]
        em = max(ln.size, 1.0)
        nxt = cluster[i + 1] if i + 1 < len(cluster) else None
        if nxt is not None and ln.bbox[0] - left >= FIRST_LINE_INDENT_EM * em and nxt.bbox[0] - left < INDENT_BACK_EM * em:
            parts.append([ln])
        else:
            parts[-1].append(ln)
    return parts


def body_size(lines: list[Line]) -> float:
    """The font size most characters of the page use."""
    weights: dict[float, int] = {}
    for ln in lines:
        weights[round(ln.size, 1)] = weights.get(round(ln.size, 1), 0) + ln.chars
    if not weights:
        return DEFAULT_BODY_SIZE_PT
    return max(weights.items(), key=lambda kv: kv[1])[0]


def guess_label(region: Region, body: float, page_height: float) -> Label:
    lines = region.lines
    text = " ".join(ln.text.strip() for ln in lines)
    size = statistics.median(ln.size for ln in lines) if lines else body
    y0, y1 = region.bbox[1], region.bbox[3]
    short = len(lines) <= FURNITURE_MAX_LINES and len(text) < FURNITURE_MAX_CHARS
    if short and (y1 < FURNITURE_MARGIN_SHARE * page_height or y0 > (1 - FURNITURE_MARGIN_SHARE) * page_height):
        if is_page_number(text):
            return Label.PAGE_NUMBER
        return Label.HEADER if y1 < FURNITURE_MARGIN_SHARE * page_height else Label.FOOTER
    if all(ln.mono for ln in lines):
        return Label.CODE
    emphasised = all(ln.bold for ln in lines) or size >= HEADING_SIZE_RATIO * body
    if len(lines) == 1 and len(text) < NUMBERED_HEADING_MAX_CHARS and emphasised and numbering_depth(text) is not None:
        return Label.HEADING  # "1. Introduction" in bold is a section, not a list
    if starts_with_marker(text):
        return Label.LIST
    if is_caption(text, len(lines)):
        return Label.CAPTION
    if size >= TITLE_SIZE_RATIO * body and len(lines) <= HEADING_MAX_LINES and y0 < TITLE_TOP_SHARE * page_height:
        return Label.TITLE
    if len(lines) <= HEADING_MAX_LINES and len(text) < HEADING_MAX_CHARS and (
        size >= HEADING_SIZE_RATIO * body or (all(ln.bold for ln in lines) and len(text) < BOLD_HEADING_MAX_CHARS)
    ):
        if not text.rstrip().endswith((".", ",", ";")) or size >= HEADING_SIZE_RATIO * body:
            return Label.HEADING
    if size <= FOOTNOTE_SIZE_RATIO * body and y0 > FOOTNOTE_TOP_SHARE * page_height:
        return Label.FOOTNOTE
    return Label.PARAGRAPH


def vector_figures(
    page: Any, regions: list[Region], min_size: float = VECTOR_FIGURE_MIN_SIDE_PT, clusters: list | None = None
) -> list[Region]:
    """Pictures drawn with vector shapes only, where no region (table, picture, text) already is.

    ``clusters``: ``page.cluster_drawings()`` when the caller has it already.
    """
    if clusters is None:
        try:
            clusters = page.cluster_drawings()
        except Exception:  # odd vector graphics: no figures is a fine answer
            return []
    found: list[Region] = []
    page_area = float(page.cropbox.width * page.cropbox.height)
    for rect in clusters:
        box = (float(rect.x0), float(rect.y0), float(rect.x1), float(rect.y1))
        if box[2] - box[0] < min_size or box[3] - box[1] < min_size:
            continue
        if (box[2] - box[0]) * (box[3] - box[1]) > VECTOR_BACKGROUND_SHARE * page_area:  # a page background, not a figure
            continue
        area = (box[2] - box[0]) * (box[3] - box[1])
        covered = sum(intersection(box, r.bbox) for r in regions)
        if covered < VECTOR_FIGURE_MAX_COVERED * area:
            found.append(Region(bbox=box, label=Label.IMAGE, origin=RegionOrigin.VECTOR_FIGURE))
    return found


