"""Page geometry: the model's input size and the mapping between model pixels and page points.

This is the only module that converts between the two spaces. A page of ``width_pt x height_pt``
points is rendered straight to ``width_px x height_px`` pixels (multiples of 28, from
``smart_resize``); a model box maps back with ``x_pt = x_px * width_pt / width_px``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from docparse.errors import OptionsError

FACTOR = 28  # patch 14 x spatial merge 2
MIN_PIXELS = 4 * 28 * 28  # 3,136: the checkpoints' preprocessor minimum
MAX_PIXELS = 16384 * 28 * 28  # 12,845,056: the checkpoints' preprocessor maximum
DEFAULT_MAX_PIXELS = 2048 * 28 * 28  # 1,605,632: docparse's default cap (~2,000 image tokens)
MAX_RATIO = 200
#: Render resolution (dots per inch) of a page before ``model_input_size`` fits it to the model's
#: pixel budget; on large pages the pixel cap, not the dpi, sets the size.
DEFAULT_DPI = 200

BBox = tuple[float, float, float, float]


def smart_resize(
    height: int,
    width: int,
    factor: int = FACTOR,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """(height, width) rounded to multiples of ``factor`` with the pixel count in range.

    Same arithmetic as the reference image processor (transformers' ``smart_resize`` of
    Qwen2-VL), including Python's banker's rounding, so our boxes map back exactly as the model's
    training data did. ``qwen2_5_vl.processing.smart_resize`` is its twin on purpose: the model
    package never imports docparse, and docparse must not import torch; a test keeps them equal.
    """
    if height <= 0 or width <= 0:
        raise OptionsError(f"image size must be positive, got {width}x{height}")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise OptionsError(
            f"aspect ratio must be under {MAX_RATIO}, got {max(height, width) / min(height, width):.1f}"
        )
    if min_pixels > max_pixels:
        raise OptionsError(f"min_pixels ({min_pixels}) is larger than max_pixels ({max_pixels})")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def model_input_size(
    width_pt: float,
    height_pt: float,
    dpi: float,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """(width_px, height_px) of the model input for a page of the given size rendered at ``dpi``.

    A page beyond the model's aspect limit (a 14,400 x 50 pt banner) is stretched on its short
    side to just under it rather than refused: renders and boxes use separate x and y scales, so
    boxes still map back, and engines that read the text layer never look at the image.
    """
    h = max(1, round(height_pt * dpi / 72.0))
    w = max(1, round(width_pt * dpi / 72.0))
    limit = MAX_RATIO - 1
    if w > limit * h:
        h = math.ceil(w / limit)
    elif h > limit * w:
        w = math.ceil(h / limit)
    h_bar, w_bar = smart_resize(h, w, FACTOR, min_pixels, max_pixels)
    return w_bar, h_bar


@dataclass(frozen=True)
class PageSpace:
    """The two coordinate spaces of one page: points (as displayed) and model-input pixels."""

    width_pt: float
    height_pt: float
    width_px: int
    height_px: int

    @property
    def sx(self) -> float:  # points per pixel, x
        return self.width_pt / self.width_px

    @property
    def sy(self) -> float:  # points per pixel, y
        return self.height_pt / self.height_px

    def to_points(self, box: BBox) -> BBox:
        """A pixel box (any corner order, possibly outside the image) -> a clamped point box."""
        x0, y0, x1, y1 = normalize_box(box)
        x0, y0, x1, y1 = x0 * self.sx, y0 * self.sy, x1 * self.sx, y1 * self.sy
        return clamp_box((x0, y0, x1, y1), self.width_pt, self.height_pt)

    def to_pixels(self, box: BBox, rounded: bool = True) -> BBox:
        """A point box -> a pixel box (integers by default, as the model writes them)."""
        x0, y0, x1, y1 = normalize_box(box)
        px = (x0 / self.sx, y0 / self.sy, x1 / self.sx, y1 / self.sy)
        px = clamp_box(px, self.width_px, self.height_px)
        if rounded:
            return tuple(float(round(v)) for v in px)  # type: ignore[return-value]
        return px


def normalize_box(box: BBox) -> BBox:
    """Order the corners so that x0 <= x1 and y0 <= y1 (models sometimes write them swapped)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def clamp_box(box: BBox, width: float, height: float) -> BBox:
    """Clip a box to [0, width] x [0, height]."""
    x0, y0, x1, y1 = normalize_box(box)
    return (
        min(max(x0, 0.0), width),
        min(max(y0, 0.0), height),
        min(max(x1, 0.0), width),
        min(max(y1, 0.0), height),
    )


def box_area(box: BBox) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: BBox, b: BBox) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def iou(a: BBox, b: BBox) -> float:
    inter = intersection(a, b)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def centre_in(item: tuple, box: BBox) -> bool:
    """Whether the centre of ``item`` (a box, or a word tuple starting with its box) lies in ``box``."""
    cx, cy = (item[0] + item[2]) / 2, (item[1] + item[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def box_inside(inner: BBox, outer: BBox, slack: float = 0.0) -> bool:
    """Whether ``inner`` lies in ``outer`` grown by ``slack`` on every side."""
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def union_box(boxes: Iterable[BBox]) -> BBox:
    """The smallest box holding all ``boxes`` (which must not be empty)."""
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
