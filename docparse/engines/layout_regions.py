"""Regions of a page: boxes with a label and their text lines, before blocks are made.

Two ways to find them, both in the page's unrotated coordinates (where PyMuPDF's text layer and
layout model work):
- ``model_regions``: PyMuPDF's bundled layout-analysis model (``pymupdf.layout``), called per
  page on the already open document (``page.get_layout(return_raw=True)``);
- ``heuristic_regions``: lines clustered into paragraphs and labelled from font size, weight,
  position and markers; tables from ``page.find_tables()``, pictures from the image list.
Lines the model left out become heuristic regions too, so no text is lost.
"""

from __future__ import annotations

import re
import statistics
import threading
from dataclasses import dataclass, field
from typing import Any

from docparse.document import Label
from docparse.engines.layout_columns import spans_columns
from docparse.engines.layout_labels import is_page_number, model_label, numbering_depth, starts_with_marker
from docparse.engines.layout_raster_tables import page_grids, scanned_table
from docparse.engines.layout_table_split import horizontal_rules, split_table_box, trim_prose
from docparse.engines.layout_tables import Table, find_table, model_columns, model_table, word_grid
from docparse.engines.layout_text import Line, lines_in, union

BBox = tuple[float, float, float, float]

_CAPTION = re.compile(
    r"^\s*(fig\.?|figure|table|tab\.|chart|scheme|plate|listing|algorithm|图|表)\s*[0-9ivxlcIVXLC]", re.I
)
# "Figure 1: ...", "Table 2. ...", "Fig. 3 - ...": a delimiter after the number (prose says "Figure 1 shows")
_CAPTION_STRICT = re.compile(
    r"^\s*(fig\.?|figure|table|tab\.|chart|scheme|plate|listing|algorithm|图|表)\s*[0-9A-Za-z.\-]{1,8}\s*[:.|—–-]",
    re.I,
)
_MATH = re.compile(r"[=<>≤≥≈±×÷∑∫√∞∂∆∇∈∉⊂⊆∪∩→^]")
_MODEL_LOCK = threading.Lock()  # the layout model keeps process-global state
_GRIDDED = (Label.TABLE, Label.IMAGE)  # on scans, model regions whose ruled grid is read from pixels
MARGIN = 0.075  # top/bottom share of the page where running headers and footers live


@dataclass
class Region:
    bbox: BBox
    label: Label
    lines: list[Line] = field(default_factory=list)
    table: Table | None = None
    source_class: str | None = None  # the layout model's class, when the model made it


# -- the layout model -----------------------------------------------------------------------------


def load_layout_model() -> None:
    """Activate PyMuPDF's layout model; raises ImportError when unavailable.

    Activation is process-wide and can be undone by others (``pymupdf4llm.use_layout(False)``
    clears it), so it is checked before every use; ``activate()`` is a no-op when already on.
    """
    import pymupdf.layout

    pymupdf.layout.activate()


def run_layout_model(page: Any) -> list[dict]:
    """Raw layout regions of one page: dicts with class_name, group_bbox, table_cells, bboxes."""
    load_layout_model()
    with _MODEL_LOCK:
        page.get_layout(return_raw=True)
        raw = page.layout_information or []
        page.layout_information = None  # do not keep model output alive on the page
    return list(raw)


def model_regions(
    page: Any, lines: list[Line], words: list[tuple], raw: list[dict], scanned: bool = False
) -> tuple[list[Region], list[str]]:
    """Regions from the model's boxes, plus heuristic regions for lines no box holds.

    On a ``scanned`` (OCRed) page a picture covering most of the page is the scan itself: dropped.
    """
    warnings: list[str] = []
    regions: list[Region] = []
    page_area = float(page.cropbox.width * page.cropbox.height)
    ruled: list[Table] | None = None  # find_tables on the whole page, only when the model saw a table
    for item in raw:
        bbox = tuple(float(v) for v in item["group_bbox"][:4])
        if bbox[2] - bbox[0] <= 1 or bbox[3] - bbox[1] <= 1:
            continue
        name = str(item.get("class_name", ""))
        if scanned and name == "picture" and (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) > 0.6 * page_area:
            continue
        label = model_label(name)
        if label is None:
            warnings.append(f"unknown layout class {name!r} read as paragraph")
            label = Label.PARAGRAPH
        region = Region(bbox=bbox, label=label, source_class=name)  # type: ignore[arg-type]
        grid = None
        if scanned and label in _GRIDDED:
            grid = scanned_table(page, bbox, words, label is not Label.TABLE, model_columns(item))  # type: ignore[arg-type]
        if grid is not None:  # a scan's ruled grid: cells from its pixels' rules and the OCR words
            region.label, region.table, region.bbox = Label.TABLE, grid, union([bbox, grid.bbox])  # type: ignore[list-item]
        elif label is Label.TABLE:
            if ruled is None:
                ruled = find_table(page, None, words)
            match = _best_overlap(bbox, ruled)  # type: ignore[arg-type]
            if match is not None:  # ruled cells are exact: prefer them to the model's grid
                region.table = match
                region.bbox = union([bbox, match.bbox])  # type: ignore[list-item]
            else:
                trimmed = trim_prose(bbox, words) if scanned else None  # type: ignore[arg-type]
                if trimmed is not None:  # one model box over a sidebar, prose and a table or two
                    regions.extend(_word_tables(trimmed, words, name))
                    continue
                pieces = split_table_box(bbox, words, horizontal_rules(page, bbox))  # type: ignore[arg-type]
                if len(pieces) > 1:  # one model box over several tables: one region per table
                    regions.extend(_table_pieces(item, words, pieces, name))
                    continue
                region.table = model_table(item, words)
            if not plausible_table(region.table):  # prose the model took for a table: re-read as text
                region.label, region.table, region.source_class = Label.PARAGRAPH, None, "table-as-text"
        regions.append(region)
    if scanned:  # ruled grids the model read as text or missed
        taken = [r.bbox for r in regions if r.label in (Label.TABLE, Label.IMAGE)]
        for grid in page_grids(page, words, taken):
            if plausible_table(grid):
                regions.append(Region(bbox=grid.bbox, label=Label.TABLE, table=grid, source_class="raster-grid"))
    _assign_lines(regions, lines)
    for region in regions:
        if region.label in (Label.PARAGRAPH, Label.LIST) and spans_columns(region.lines):
            region.source_class = "text-columns"  # one box over several columns: not a paragraph
    regions = _reread_as_text(regions, _height(page))
    kept = [r for r in regions if r.lines or r.label in (Label.TABLE, Label.IMAGE, Label.FORMULA)]
    taken = {id(ln) for r in kept for ln in r.lines}
    orphans = [ln for ln in lines if id(ln) not in taken]
    if orphans:
        kept.extend(text_regions(orphans, page_height=_height(page)))
    if not scanned:
        kept.extend(vector_figures(page, kept))
    return kept, warnings


def _table_pieces(item: dict, words: list[tuple], pieces: list[BBox], name: str) -> list[Region]:
    """One table region per piece of a split model box (prose pieces are re-read as text)."""
    out = []
    for piece in pieces:
        table = model_table(item, words, clip=piece)
        region = Region(bbox=piece, label=Label.TABLE, table=table, source_class=name)
        if table is None or not plausible_table(table):
            region.label, region.table, region.source_class = Label.PARAGRAPH, None, "table-as-text"
        out.append(region)
    return out


def _word_tables(boxes: list[BBox], words: list[tuple], name: str) -> list[Region]:
    """Table regions from word positions for the tabular parts of a model box that held prose
    (OCR model cells there are unreliable); the prose is left to the text regions."""
    out = []
    for box in boxes:
        table = word_grid(box, words)
        if table is not None and plausible_table(table):
            out.append(Region(bbox=box, label=Label.TABLE, table=table, source_class=name))
    return out


def plausible_table(table: Table | None) -> bool:
    """A grid worth calling a table: two columns or more, two cells or more, cells not prose."""
    if table is None:
        return True  # no grid known: trust the model, the block keeps its lines as rows
    filled = [c for c in table.cells if c.text.strip()]
    slots = table.n_rows * table.n_cols
    if slots >= 12 and len(filled) < 0.25 * slots:
        return True  # a large grid whose words landed in few cells: the structure still says table
    if len(filled) < 2:
        return False
    if table.n_cols < 2:  # one column: only a list of entries with numbers (contents, index) is a table
        numbered = sum(bool(re.search(r"\d\s*$", c.text)) for c in filled)
        return table.n_rows >= 3 and numbered >= 0.6 * len(filled)
    words = sum(len([w for w in c.text.split() if any(ch.isalnum() for ch in w)]) for c in filled) / len(filled)
    return words <= 12


def _reread_as_text(regions: list[Region], page_height: float) -> list[Region]:
    out: list[Region] = []
    for region in regions:
        if region.source_class in ("table-as-text", "text-columns"):
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


# -- heuristics -----------------------------------------------------------------------------------


def heuristic_regions(
    page: Any, lines: list[Line], words: list[tuple], find_tables: bool = True, scanned: bool = False
) -> list[Region]:
    """Regions without the layout model: tables, pictures, then clustered text.

    On a ``scanned`` (OCRed) page the picture covering the page is the scan, not a figure.
    """
    regions: list[Region] = []
    if find_tables:
        for table in find_table(page, None, words):
            regions.append(Region(bbox=table.bbox, label=Label.TABLE, table=table))
    page_area = float(page.cropbox.width * page.cropbox.height)
    for box in image_boxes(page):
        if scanned and (box[2] - box[0]) * (box[3] - box[1]) > 0.6 * page_area:
            continue
        if not any(_inside(box, r.bbox) for r in regions):
            regions.append(Region(bbox=box, label=Label.IMAGE))
    tables = [r for r in regions if r.label is Label.TABLE]
    free = [ln for ln in lines if not any(lines_in([ln], t.bbox) for t in tables)]
    for t in tables:
        t.lines = lines_in(lines, t.bbox)
    regions.extend(text_regions(free, page_height=_height(page)))
    if not scanned:
        regions.extend(vector_figures(page, regions))
    return regions


def image_boxes(page: Any, min_size: float = 12.0) -> list[BBox]:
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
    regions = [Region(bbox=union(ln.bbox for ln in c), label=Label.PARAGRAPH, lines=c) for c in clusters]
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
            for cluster in reversed(clusters[-8:]):
                last = cluster[-1]
                gap = ln.bbox[1] - last.bbox[3]
                overlap = min(ln.bbox[2], last.bbox[2]) - max(ln.bbox[0], last.bbox[0])
                same_style = abs(ln.size - last.size) <= 0.15 * max(ln.size, 1.0) and ln.mono == last.mono
                if -0.5 * height < gap < 0.5 * height and overlap > 0 and same_style:
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
        if nxt is not None and ln.bbox[0] - left >= em and nxt.bbox[0] - left < 0.5 * em:
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
        return 10.0
    return max(weights.items(), key=lambda kv: kv[1])[0]


def guess_label(region: Region, body: float, page_height: float) -> Label:
    lines = region.lines
    text = " ".join(ln.text.strip() for ln in lines)
    size = statistics.median(ln.size for ln in lines) if lines else body
    y0, y1 = region.bbox[1], region.bbox[3]
    short = len(lines) <= 2 and len(text) < 120
    if short and (y1 < MARGIN * page_height or y0 > (1 - MARGIN) * page_height):
        if is_page_number(text):
            return Label.PAGE_NUMBER
        return Label.HEADER if y1 < MARGIN * page_height else Label.FOOTER
    if all(ln.mono for ln in lines):
        return Label.CODE
    emphasised = all(ln.bold for ln in lines) or size >= 1.12 * body
    if len(lines) == 1 and len(text) < 80 and emphasised and numbering_depth(text) is not None:
        return Label.HEADING  # "1. Introduction" in bold is a section, not a list
    if starts_with_marker(text):
        return Label.LIST
    if is_caption(text, len(lines)):
        return Label.CAPTION
    if size >= 1.6 * body and len(lines) <= 3 and y0 < 0.35 * page_height:
        return Label.TITLE
    if len(lines) <= 3 and len(text) < 150 and (size >= 1.12 * body or (all(ln.bold for ln in lines) and len(text) < 90)):
        if not text.rstrip().endswith((".", ",", ";")) or size >= 1.12 * body:
            return Label.HEADING
    if size <= 0.85 * body and y0 > 0.75 * page_height:
        return Label.FOOTNOTE
    return Label.PARAGRAPH


# -- model regions, refined -----------------------------------------------------------------------


def refine(regions: list[Region], page_height: float) -> list[Region]:
    """Fix what the model's classes cannot say: code, page numbers, list items run together."""
    body = body_size([ln for r in regions for ln in r.lines])
    _promote_title(regions, body, page_height)
    out: list[Region] = []
    for region in regions:
        text = " ".join(ln.text.strip() for ln in region.lines)
        if region.label in (Label.PARAGRAPH, Label.LIST) and region.lines and all(ln.mono for ln in region.lines):
            region.label = Label.CODE
        if region.label in (Label.HEADER, Label.FOOTER) and is_page_number(text):
            region.label = Label.PAGE_NUMBER
        if region.label is Label.PARAGRAPH and region.lines and starts_with_marker(region.lines[0].text):
            region.label = Label.LIST
        if region.label in (Label.PARAGRAPH, Label.HEADING) and is_caption(text, len(region.lines)):
            region.label = Label.CAPTION
        if region.label in (Label.PARAGRAPH, Label.HEADING) and len(region.lines) <= 2 and looks_like_math(text):
            region.label = Label.FORMULA
        out.append(region)
    return out


def is_caption(text: str, n_lines: int) -> bool:
    """"Figure 1: ..." (any length up to 5 lines) or a short "Fig. 1 ..." (up to 2 lines)."""
    if n_lines <= 5 and _CAPTION_STRICT.match(text):
        return True
    return n_lines <= 2 and bool(_CAPTION.match(text))


def vector_figures(page: Any, regions: list[Region], min_size: float = 30.0) -> list[Region]:
    """Pictures drawn with vector shapes only, where no region (table, picture, text) already is."""
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
        if (box[2] - box[0]) * (box[3] - box[1]) > 0.8 * page_area:  # a page background, not a figure
            continue
        area = (box[2] - box[0]) * (box[3] - box[1])
        covered = sum(_overlap(box, r.bbox) for r in regions)
        if covered < 0.3 * area:
            found.append(Region(bbox=box, label=Label.IMAGE, source_class="vector-figure"))
    return found


def _overlap(a: BBox, b: BBox) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def looks_like_math(text: str) -> bool:
    """A short line that is mostly symbols and digits around a relation sign: "a2 + 8 = 12"."""
    chars = [c for c in text if not c.isspace()]
    if not chars or not _MATH.search(text):
        return False
    letters = sum(c.isalpha() for c in chars)
    return letters <= 0.5 * len(chars)


def _promote_title(regions: list[Region], body: float, page_height: float) -> None:
    """The model has no separate title on many pages: a lone, much larger heading near the top is one."""
    if any(r.label is Label.TITLE for r in regions):
        return
    heads = [r for r in regions if r.label is Label.HEADING and r.lines]
    if not heads:
        return
    sizes = {id(r): max(ln.size for ln in r.lines) for r in heads}
    top = max(heads, key=lambda r: sizes[id(r)])
    others = [sizes[id(r)] for r in heads if r is not top]
    text = " ".join(ln.text.strip() for ln in top.lines)
    if (
        sizes[id(top)] >= 1.6 * body
        and top.bbox[1] < 0.4 * page_height
        and all(s < 0.9 * sizes[id(top)] for s in others)
        and numbering_depth(text) is None
    ):
        top.label = Label.TITLE


def _best_overlap(box: BBox, tables: list[Table]) -> Table | None:
    """The table covering most of ``box`` (at least half of it), if any."""
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    best, best_share = None, 0.5
    for t in tables:
        w = min(box[2], t.bbox[2]) - max(box[0], t.bbox[0])
        h = min(box[3], t.bbox[3]) - max(box[1], t.bbox[1])
        share = max(w, 0) * max(h, 0) / area
        if share >= best_share:
            best, best_share = t, share
    return best


def _inside(inner: BBox, outer: BBox, slack: float = 2.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _height(page: Any) -> float:
    """Height of the unrotated page (the space text and model boxes live in)."""
    return float(page.cropbox.height)
