"""Debug overlays: a page image with every block's box drawn in its label's colour and its
reading-order number (``--overlay``), and the ``overlay/`` files made from the page images.
The colours are ``render.colors``', the same the HTML overlay's CSS uses."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from docparse.document import Document, Page
from docparse.geometry import PageSpace
from docparse.output.files import safe_child, write_in_folder
from docparse.output.page_images import png_bytes
from docparse.render.colors import label_color

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


def draw_overlay(image: "Image.Image", page: Page, space: PageSpace) -> "Image.Image":
    """A copy of ``image`` with the page's boxes drawn: a translucent fill and an outline in the
    label colour, and the reading-order number (1-based) in the top-left corner of each box.

    ``space`` maps the page's points to model pixels; if ``image`` is not exactly that size
    (a debug render at another dpi), boxes are scaled to the image.
    """
    from PIL import Image, ImageDraw

    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    kx = base.width / space.width_px if space.width_px else 1.0
    ky = base.height / space.height_px if space.height_px else 1.0
    line = max(1, round(min(base.size) / 400))
    font = _font(max(10, round(min(base.size) / 60)))
    tags: list[tuple[tuple[float, float], str, tuple[int, int, int]]] = []
    for block in page.blocks:
        if not all(math.isfinite(float(v)) for v in block.bbox):
            continue  # a broken engine box: nothing to draw
        x0, y0, x1, y1 = space.to_pixels(block.bbox, rounded=False)
        # Last pixel row/column at most, so a full-page box still shows its outline.
        right, bottom = base.width - 1, base.height - 1
        box = (min(x0 * kx, right), min(y0 * ky, bottom), min(x1 * kx, right), min(y1 * ky, bottom))
        r, g, b = label_color(block.label)
        draw.rectangle(box, fill=(r, g, b, 40), outline=(r, g, b, 255), width=line)
        if block.order is not None:
            tags.append(((box[0], box[1]), str(block.order + 1), (r, g, b)))
    out = Image.alpha_composite(base, layer).convert("RGB")
    # Order numbers last, opaque, so they stay readable over overlapping boxes.
    text_draw = ImageDraw.Draw(out)
    for xy, tag, color in tags:
        left, top, right, bottom = text_draw.textbbox(xy, tag, font=font)
        text_draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=color)
        text_draw.text(xy, tag, fill=(255, 255, 255), font=font)
    return out


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 with FreeType: a scalable font
    except (TypeError, OSError):  # pragma: no cover - older Pillow / no FreeType
        return ImageFont.load_default()


def save_overlays(
    document: Document, pages_dir: Path, overlay_dir: Path, page_images: dict[int, str]
) -> dict[int, str]:
    """For each page image saved in ``pages_dir`` (page index -> file name, as ``save_page_images``
    returns), the same image with the page's boxes drawn, under the same name in ``overlay_dir``.
    Returns page index -> file name."""
    from PIL import Image

    saved: dict[int, str] = {}
    for page in document.pages:
        name = page_images.get(page.index)
        if name is None:
            continue
        with Image.open(safe_child(pages_dir, name)) as image:
            space = PageSpace(page.width, page.height, image.width, image.height)
            drawn = draw_overlay(image.convert("RGB"), page, space)
        write_in_folder(overlay_dir, name, png_bytes(drawn))
        saved[page.index] = name
    return saved
