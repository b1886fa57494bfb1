"""Region labels the layout model's classes cannot say, fixed from the regions' text and looks.

Runs on every page after regions are found (by the model or the heuristics): all-monospace
text is code, a header or footer that is only a number is the page number, a paragraph that
starts with a list marker is a list, "Figure 1: ..." is a caption, a short line of symbols is a
formula, and a lone, much larger heading near the top of a page without a title is the title.
"""

from __future__ import annotations

from docparse.document import Label
from docparse.engines.layout.context import Region
from docparse.engines.layout.labels import is_caption, is_page_number, looks_like_math, numbering_depth, starts_with_marker
from docparse.engines.layout.params import (
    FORMULA_MAX_LINES,
    HEADING_MAX_LINES,
    HEADING_SIZE_RATIO,
    NUMBERED_HEADING_MAX_CHARS,
    PROMOTED_TITLE_LEAD_SHARE,
    PROMOTED_TITLE_TOP_SHARE,
    SUBSECTION_MIN_DEPTH,
    TITLE_SIZE_RATIO,
)
from docparse.engines.layout.regions.heuristic import body_size


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
        if region.label in (Label.PARAGRAPH, Label.LIST, Label.TABLE) and _emphasised_subsection(region, text):
            region.label, region.table = Label.HEADING, None
        if region.label is Label.PARAGRAPH and region.lines and starts_with_marker(region.lines[0].text):
            region.label = Label.LIST
        if region.label in (Label.PARAGRAPH, Label.HEADING) and is_caption(text, len(region.lines)):
            region.label = Label.CAPTION
        if region.label in (Label.PARAGRAPH, Label.HEADING) and len(region.lines) <= FORMULA_MAX_LINES and looks_like_math(text):
            region.label = Label.FORMULA
        if region.label is Label.PARAGRAPH and _numbered_heading(region, text, body):
            region.label = Label.HEADING
        out.append(region)
    return out


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
        sizes[id(top)] >= TITLE_SIZE_RATIO * body
        and top.bbox[1] < PROMOTED_TITLE_TOP_SHARE * page_height
        and all(s < PROMOTED_TITLE_LEAD_SHARE * sizes[id(top)] for s in others)
        and numbering_depth(text) is None
    ):
        top.label = Label.TITLE


def _emphasised_subsection(region: Region, text: str) -> bool:
    """One emphasised (bold or italic) line numbered like a subsection, "2.4. Preparation of the
    solution": a heading set in the body's size, which the model boxes as text, as a one-row
    table, or which reads as a numbered list item. Two levels of numbering at least ("1. Mix the
    samples" is a list item) and no sentence ending; font facts only, so never on OCR text."""
    lines = [ln for ln in region.lines if ln.text.strip()]
    if len(lines) != 1 or len(text) > NUMBERED_HEADING_MAX_CHARS or text.rstrip().endswith((".", ",", ";", ":")):
        return False
    depth = numbering_depth(text)
    return depth is not None and depth >= SUBSECTION_MIN_DEPTH and lines[0].emphasised


def _numbered_heading(region: Region, text: str, body: float) -> bool:
    """A model "text" box that is a numbered section heading set bold and larger than the body
    ("4 A schedule that follows the tide" over two lines): the model sometimes calls a heading
    that wraps, squeezed into a narrow column, text. Font facts only, so never on OCR text
    (its lines are never bold)."""
    lines = region.lines
    if not lines or len(lines) > HEADING_MAX_LINES or len(text) > NUMBERED_HEADING_MAX_CHARS:
        return False
    if not all(ln.bold for ln in lines) or numbering_depth(text) is None:
        return False
    return min(ln.size for ln in lines) >= HEADING_SIZE_RATIO * body and not text.rstrip().endswith((".", ",", ";", ":"))
