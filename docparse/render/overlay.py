"""Debug overlays: a page image with every block's box drawn in its label's colour and its
reading-order number (``--overlay``). ``LABEL_COLORS`` is also what the HTML overlay's CSS uses,
so both views colour a label the same way."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from docparse.document import Label, Page
from docparse.geometry import PageSpace

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

#: One colour per label (RGB hex), readable on white paper.
LABEL_COLORS: dict[Label, str] = {
    Label.TITLE: "#d62728",
    Label.HEADING: "#ff7f0e",
    Label.PARAGRAPH: "#1f77b4",
    Label.LIST: "#17becf",
    Label.TABLE: "#2ca02c",
    Label.CHART: "#bcbd22",
    Label.FORMULA: "#9467bd",
    Label.IMAGE: "#8c564b",
    Label.CAPTION: "#e377c2",
    Label.FOOTNOTE: "#7f7f7f",
    Label.HEADER: "#aaaaaa",
    Label.FOOTER: "#aaaaaa",
    Label.PAGE_NUMBER: "#aaaaaa",
    Label.CODE: "#393b79",
    Label.MUSIC: "#637939",
    Label.CHEMISTRY: "#843c39",
}


def label_color(label: Label) -> tuple[int, int, int]:
    hexcode = LABEL_COLORS.get(label, "#000000").lstrip("#")
    return (int(hexcode[0:2], 16), int(hexcode[2:4], 16), int(hexcode[4:6], 16))


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
