"""QwenVL HTML per page, in each page's model pixel space (the space the model reads and writes).

A page that was never rendered for a model (``page.image_size`` is None) gets the size
``model_input_size`` gives at ``FALLBACK_DPI`` and ``DEFAULT_MAX_PIXELS``; the output then starts
with an HTML comment that says so, since its boxes are in a pixel space no image was made for.
"""

from __future__ import annotations

from docparse.document import Document, Page
from docparse.geometry import DEFAULT_MAX_PIXELS, PageSpace, model_input_size
from docparse.qwenvl.writer import write_qwenvl
from docparse.source import DEFAULT_DPI

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
    html = write_qwenvl(page.blocks, space, label_hints=label_hints)
    if computed:
        note = (
            f"<!-- docparse: page {page.index} has no model image; boxes are in a computed "
            f"{width_px}x{height_px} pixel space ({FALLBACK_DPI:g} dpi, max_pixels={DEFAULT_MAX_PIXELS}) -->\n"
        )
        html = note + html
    return html


def render_qwenvl_pages(doc: Document) -> list[str]:
    """QwenVL HTML, one string per page, in each page's model pixel space."""
    return [render_qwenvl_page(page) for page in doc.pages]
