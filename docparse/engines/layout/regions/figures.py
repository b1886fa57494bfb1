"""Pictures the layout model did not box: embedded images and vector charts.

The model works from the text layer and finds most figures, but it misses some: a photo or logo
with no text near it, and charts drawn with vector shapes whose axis labels it reads as small
text blocks. Both are plain to see in the PDF itself:

- an embedded image (``page.get_image_info``) that no region covers is a picture, unless it is
  a page background (most of the page) or sits behind running text; images that touch (a photo
  made of tiles, a figure with inset pictures) are one picture;
- vector drawings with many curves and slanted strokes (data lines, markers) are a chart, not a
  table: a "table" box over them becomes a chart, and a cluster of such drawings whose only text
  is short labels (tick values, a legend) becomes a chart that absorbs those labels, which are
  part of the figure rather than body text. Tables are drawn with level and upright rules.

Only for pages with a real text layer: on a scan, the page image is everything at once.
"""

from __future__ import annotations

from typing import Any

from docparse.document import Label
from docparse.engines.layout.context import Region, RegionOrigin
from docparse.engines.layout.labels import is_caption
from docparse.engines.layout.params import CHART_LABEL_CHARS, CHART_LABEL_REACH_PT, CHART_MARKER_PT, CHART_MIN_SLANTED, CHART_SLANTED_SHARE, FIGURE_MIN_SIDE_PT, FIGURE_SLACK_PT, FIGURE_TOUCH_GAP_PT, MAX_DRAWINGS, PAGE_IMAGE_SHARE
from docparse.engines.layout.regions.heuristic import image_boxes, text_regions, vector_figures
from docparse.geometry import BBox, box_area, box_inside, centre_in, intersection, union_box

_PICTURE_LIKE = (Label.IMAGE, Label.CHART, Label.TABLE)


def add_missing_pictures(page: Any, regions: list[Region]) -> list[Region]:
    """``regions`` plus the pictures the model missed: figures drawn with vector shapes
    (``vector_figures``), embedded images, charts (their labels folded in)."""
    try:
        drawings = page.get_drawings()
    except Exception:  # odd vector graphics: judge without them
        drawings = []
    try:
        clusters = page.cluster_drawings(drawings=drawings)  # the drawings read once, for all three
    except Exception:  # no clusters: no vector figures and no charts from them
        clusters = []
    regions = regions + vector_figures(page, regions, clusters=clusters)
    if len(drawings) > MAX_DRAWINGS:
        drawings = []  # a map or a vector-art page: too many shapes to weigh one by one
    regions = _tables_that_are_charts(page, regions, drawings)
    regions = _with_missing_images(page, regions)
    return _absorb_into_charts(page, regions, drawings, clusters)


def chart_like(drawings: list[dict], box: BBox) -> bool:
    """Enough curves and slanted strokes inside ``box`` to be a plot rather than a ruled table.

    Curves count when they are markers (small shapes) or belong to a path with slanted strokes
    (pie slices, smoothed lines); the rounded corners of a table's cell frames do not. A plot
    also needs one slanted or curved stroke longer than a mark (a data line, a curve, a slice,
    hatching): small marks alone, such as the check marks of a form, make no plot.
    """
    level = slanted = paths = 0
    for d in drawings:
        rect = tuple(d["rect"])
        if not box_inside(rect, box, FIGURE_SLACK_PT):
            continue
        items = d.get("items", ())
        lines = [(abs(it[2].x - it[1].x), abs(it[2].y - it[1].y)) for it in items if it[0] == "l"]
        oblique = sum(1 for dx, dy in lines if dx > 0.5 and dy > 0.5)
        curves = sum(1 for it in items if it[0] == "c")
        marker = max(rect[2] - rect[0], rect[3] - rect[1]) <= CHART_MARKER_PT
        slanted += oblique + (curves if oblique or marker else 0)
        level += len(items) - oblique - curves + (0 if oblique or marker else curves)
        # a stroke longer than a mark: a data line, a curve, a slice, hatching
        paths += not marker and (oblique > 0 or curves > 4)
    return paths >= 1 and slanted >= CHART_MIN_SLANTED and slanted >= CHART_SLANTED_SHARE * (slanted + level)


def _tables_that_are_charts(page: Any, regions: list[Region], drawings: list[dict]) -> list[Region]:
    """A "table" box over a plot becomes a chart, cut to the plot: the drawings' extent and the
    labels around it; lines further out (prose the box swallowed) are read as text again."""
    out: list[Region] = []
    for region in regions:
        if region.label is not Label.TABLE or not chart_like(drawings, region.bbox):
            out.append(region)
            continue
        plot = union_box([tuple(d["rect"]) for d in drawings if box_inside(tuple(d["rect"]), region.bbox, FIGURE_SLACK_PT)])
        near = (plot[0] - CHART_LABEL_REACH_PT, plot[1] - CHART_LABEL_REACH_PT, plot[2] + CHART_LABEL_REACH_PT, plot[3] + CHART_LABEL_REACH_PT)
        labels = [ln for ln in region.lines if centre_in(ln.bbox, near)]
        rest = [ln for ln in region.lines if not centre_in(ln.bbox, near)]
        box = union_box([plot] + [ln.bbox for ln in labels])
        out.append(Region(bbox=box, label=Label.CHART, lines=labels, origin=RegionOrigin.TABLE_AS_CHART))
        for freed in text_regions(rest, float(page.cropbox.height)) if rest else []:
            if freed.label in (Label.HEADER, Label.FOOTER) and is_caption(_text(freed), len(freed.lines)):
                freed.label = Label.CAPTION  # the figure's caption low on the page, not a footer
            out.append(freed)
    return out


def _with_missing_images(page: Any, regions: list[Region]) -> list[Region]:
    page_area = float(page.cropbox.width * page.cropbox.height)
    found: list[BBox] = []
    for box in image_boxes(page, min_size=FIGURE_MIN_SIDE_PT):
        area = box_area(box)
        if area > PAGE_IMAGE_SHARE * page_area:
            continue
        if any(intersection(box, r.bbox) > 0.5 * min(area, box_area(r.bbox)) for r in regions if r.label in _PICTURE_LIKE):
            continue  # the model already has it
        behind = sum(intersection(box, r.bbox) for r in regions if r.label not in _PICTURE_LIKE)
        if behind > 0.3 * area:
            continue  # text stands on it: a decoration behind text, not a figure
        found.append(box)
    if not found:
        return regions
    # touching images are one figure; pieces touching a picture the model found belong to it
    # (the model's box stays: pieces often spill into a gutter, which would block column cuts)
    pictures = [r.bbox for r in regions if r.label is Label.IMAGE]
    for group in _touching(found + pictures):
        if any(b in found for b in group) and not any(b in pictures for b in group):
            regions = regions + [Region(bbox=union_box(group), label=Label.IMAGE, origin=RegionOrigin.EMBEDDED_IMAGE)]
    return regions


def _touching(boxes: list[BBox], gap: float = FIGURE_TOUCH_GAP_PT) -> list[list[BBox]]:
    """Boxes grouped by chains of overlap or near contact (within ``gap`` points), a box that
    lies within a group's outline included."""
    groups = [[b] for b in boxes]
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if _near(union_box(groups[i]), union_box(groups[j]), gap):
                    groups[i] += groups.pop(j)
                    merged = True
                    break
            if merged:
                break
    return groups


def _near(a: BBox, b: BBox, gap: float) -> bool:
    return a[0] - gap <= b[2] and b[0] - gap <= a[2] and a[1] - gap <= b[3] and b[1] - gap <= a[3]


def _absorb_into_charts(page: Any, regions: list[Region], drawings: list[dict], clusters: list) -> list[Region]:
    if not drawings:
        return regions
    page_area = float(page.cropbox.width * page.cropbox.height)
    out = list(regions)
    for rect in clusters:
        box = (float(rect.x0), float(rect.y0), float(rect.x1), float(rect.y1))
        if min(box[2] - box[0], box[3] - box[1]) < 2 * FIGURE_MIN_SIDE_PT or box_area(box) > PAGE_IMAGE_SHARE * page_area:
            continue
        if any(intersection(box, r.bbox) > 0.5 * box_area(box) for r in out if r.label in _PICTURE_LIKE):
            continue  # a table's rules or a picture the model found
        if not chart_like(drawings, box):
            continue
        inside = [r for r in out if r.label not in _PICTURE_LIKE and box_inside(r.bbox, box, FIGURE_SLACK_PT)]
        if any(len(_text(r)) > CHART_LABEL_CHARS for r in inside):
            continue  # real prose inside: a framed text box, not a chart
        if any(r.label not in _PICTURE_LIKE and intersection(box, r.bbox) > 0 and not any(r is i for i in inside) for r in out):
            continue  # text runs across the cluster's edge
        chart = Region(bbox=box, label=Label.CHART, origin=RegionOrigin.VECTOR_CHART)
        chart.lines = sorted((ln for r in inside for ln in r.lines), key=lambda ln: (ln.bbox[1], ln.bbox[0]))
        out = [r for r in out if not any(r is i for i in inside)] + [chart]
    return out


def _text(region: Region) -> str:
    return " ".join(ln.text.strip() for ln in region.lines)

