"""A profile's image rule -> the page image it sends (and the pixel space its boxes are in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docparse.geometry import FACTOR, PageSpace, smart_resize
from docparse.profiles.base import ImageRule

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from docparse.engines.base import PageInput


def image_size(rule: ImageRule, page: "PageInput", min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """(width_px, height_px) of the image a profile sends for ``page`` (multiples of 28)."""
    w_pt, h_pt = float(page.width), float(page.height)
    if rule.longest_side:
        scale = rule.longest_side / max(w_pt, h_pt, 1e-6)
        w, h = w_pt * scale, h_pt * scale
    elif rule.dpi:
        w, h = w_pt * rule.dpi / 72.0, h_pt * rule.dpi / 72.0
    else:
        w, h = page.image_size  # docparse's own choice (--dpi, a scan's resolution)
    if rule.max_longest_side and max(w, h) > rule.max_longest_side:
        shrink = rule.max_longest_side / max(w, h)
        w, h = w * shrink, h * shrink
    lo = rule.min_pixels if rule.min_pixels is not None else min_pixels
    hi = rule.max_pixels if rule.max_pixels is not None else max_pixels
    h_bar, w_bar = smart_resize(max(1, round(h)), max(1, round(w)), FACTOR, lo, max(lo, hi))
    return w_bar, h_bar


def render_for(rule: ImageRule, page: "PageInput", min_pixels: int, max_pixels: int) -> tuple["Image.Image", PageSpace]:
    """The page rendered once, straight at the profile's size, and its pixel space."""
    size = image_size(rule, page, min_pixels, max_pixels)
    if tuple(size) == tuple(page.image_size):
        image = page.render()
    else:
        from docparse.source import render_page

        image = render_page(page.page, size)
    return image, PageSpace(page.width, page.height, size[0], size[1])


def crop_pixels(image: "Image.Image", box: tuple[float, float, float, float], pad: int = 0) -> "Image.Image | None":
    """The part of ``image`` inside a pixel box (clamped), optionally on a white margin of
    ``pad`` pixels (MonkeyOCR pastes each crop onto a canvas 50 px larger on every side).
    None when the box holds no pixel."""
    from PIL import Image as PILImage

    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, x1 = sorted((max(0, min(x0, image.width)), max(0, min(x1, image.width))))
    y0, y1 = sorted((max(0, min(y0, image.height)), max(0, min(y1, image.height))))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    crop = image.crop((x0, y0, x1, y1))
    if pad <= 0:
        return crop
    canvas = PILImage.new("RGB", (crop.width + 2 * pad, crop.height + 2 * pad), "white")
    canvas.paste(crop, (pad, pad))
    return canvas


def fit_crop(image: "Image.Image", max_side: int, min_side: int = FACTOR, min_pixels: int = 784,
             max_pixels: int = 2_560_000) -> "Image.Image":
    """Dolphin's ``resize_img`` (longest side at most ``max_side``, shortest at least ``min_side``)
    then the processor's smart_resize, so the crop goes out at the size the model sees."""
    from PIL import Image as PILImage

    w, h = image.size
    if max(w, h) > max_side:
        scale = max_side / max(w, h)
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
    if min(w, h) < min_side:
        scale = min_side / min(w, h)
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
    h_bar, w_bar = smart_resize(h, w, FACTOR, min_pixels, max_pixels)
    if (w_bar, h_bar) == image.size:
        return image
    return image.resize((w_bar, h_bar), PILImage.Resampling.BICUBIC)
