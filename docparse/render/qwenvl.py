"""QwenVL HTML per page, in each page's model pixel space (the space the model reads and writes).

A page that was never rendered for a model (``page.image_size`` is None) gets the size
``model_input_size`` gives at ``FALLBACK_DPI`` and ``DEFAULT_MAX_PIXELS``; the output then starts
with an HTML comment that says so, since its boxes are in a pixel space no image was made for.
"""

from __future__ import annotations

from dataclasses import replace

from docparse.document import Block, Document, Page
from docparse.geometry import DEFAULT_DPI, DEFAULT_MAX_PIXELS, PageSpace, model_input_size
from docparse.qwenvl.writer import write_qwenvl

FALLBACK_DPI = float(DEFAULT_DPI)  # the pipeline's own default, so boxes match a later render


def page_pixel_size(page: Page) -> tuple[tuple[int, int], bool]:
    """((width_px, height_px), computed): the page's model input size, computed when unknown."""
    if page.image_size and page.image_size[0] > 0 and page.image_size[1] > 0:
        return (int(page.image_size[0]), int(page.image_size[1])), False
    return model_input_size(page.width, page.height, FALLBACK_DPI, max_pixels=DEFAULT_MAX_PIXELS), True


def render_qwenvl_page(page: Page, label_hints: bool = True) -> str:
    """One page's QwenVL HTML (label hints on: see ``docparse.qwenvl.writer``)."""
    (width_px, height_px), computed = page_pixel_size(page)
    space = PageSpace(page.width, page.height, width_px, height_px)
    html = write_qwenvl(page_own_blocks(page), space, label_hints=label_hints)
    if computed:
        note = (
            f"<!-- docparse: page {page.index + 1} has no model image; boxes are in a computed "
            f"{width_px}x{height_px} pixel space ({FALLBACK_DPI:g} dpi, max_pixels={DEFAULT_MAX_PIXELS}) -->\n"
        )
        html = note + html
    return html


def page_own_blocks(page: Page) -> list[Block]:
    """The page's blocks with only what is printed on this page.

    The document passes merge a paragraph, list or table that continues elsewhere into its first
    part (``continuation.own_text`` / ``own_html`` keep that part's own content) and leave the
    continuation on its page out of the reading order (``continuation.head_id``). QwenVL HTML
    describes one page image, so it gets each part's own content, in reading order: a
    continuation right after its head on the same page (column break), else first on its page.
    """
    heads = {b.id: b for b in page.blocks}
    keyed: list[tuple[float, Block]] = []
    for b in page.blocks:
        record = b.continuation
        if record is not None and not record.is_part:  # a head: this page shows its own part only
            own_text = b.text if record.own_text is None else record.own_text
            b = replace(b, text=own_text, html=b.html if record.own_html is None else record.own_html)
        if record is not None and record.head_id is not None:
            head = heads.get(record.head_id)
            key = head.order + 0.5 if head is not None and head.order is not None else -1.0
            keyed.append((key, b))
        else:
            keyed.append((float(b.order) if b.order is not None else float("inf"), b))
    body = sorted((kb for kb in keyed if kb[0] != float("inf")), key=lambda kb: kb[0])
    out = [replace(b, order=i) for i, (_, b) in enumerate(body)]
    return out + [b for key, b in keyed if key == float("inf")]


def render_qwenvl_pages(doc: Document) -> list[str]:
    """QwenVL HTML, one string per page, in each page's model pixel space."""
    return [render_qwenvl_page(page) for page in doc.pages]
