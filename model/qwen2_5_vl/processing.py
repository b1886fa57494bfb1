"""Image preprocessing for Qwen2.5-VL: PIL image -> flattened patches + grid (t, h, w).

Bit-exact with the transformers PIL image processor (`Qwen2VLImageProcessorPil`): RGB conversion
(transparency composited on white), smart_resize to multiples of 28, PIL bicubic resize of the uint8
image, x/255 in float64 then float32, CLIP mean/std in float32, the frame duplicated to the temporal
patch size, and the merge-block flattening order the vision tower expects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from PIL import Image

PATCH_SIZE = 14
MERGE_SIZE = 2
TEMPORAL_PATCH_SIZE = 2
FACTOR = PATCH_SIZE * MERGE_SIZE  # 28: the resized side must be a multiple of this
MIN_PIXELS = 4 * FACTOR * FACTOR  # 3,136 (checkpoint preprocessor_config.json)
MAX_PIXELS = 16384 * FACTOR * FACTOR  # 12,845,056 (checkpoint preprocessor_config.json)
MAX_ASPECT_RATIO = 200
IMAGE_MEAN = (0.48145466, 0.4578275, 0.40821073)  # OpenAI CLIP
IMAGE_STD = (0.26862954, 0.26130258, 0.27577711)
PATCH_DIM = 3 * TEMPORAL_PATCH_SIZE * PATCH_SIZE * PATCH_SIZE  # 1176


def smart_resize(
    height: int,
    width: int,
    factor: int = FACTOR,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
) -> tuple[int, int]:
    """Target (height, width): multiples of `factor`, area within [min_pixels, max_pixels], aspect kept.

    The transformers variant: Python's banker's rounding first, `max(factor, ...)` only in the
    shrinking branch.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {height}x{width}")
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(
            f"absolute aspect ratio must be smaller than {MAX_ASPECT_RATIO}, "
            f"got {max(height, width) / min(height, width)}"
        )
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


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB copy of `image`; any transparency (alpha band or palette transparency) goes onto white."""
    has_alpha = "A" in image.getbands() or image.info.get("transparency") is not None
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def num_image_tokens(grid_thw: torch.Tensor | Sequence[int], merge_size: int = MERGE_SIZE) -> int:
    """Number of `<|image_pad|>` tokens (merged patches) for one image's (t, h, w) grid."""
    t, h, w = (int(v) for v in (grid_thw.tolist() if isinstance(grid_thw, torch.Tensor) else grid_thw))
    return t * h * w // (merge_size * merge_size)


@dataclass
class ImageInputs:
    """Vision inputs for a batch of images, in prompt order."""

    pixel_values: torch.Tensor  # (N, 1176) float32, N = sum of t*h*w over images
    image_grid_thw: torch.Tensor  # (I, 3) int64

    def num_tokens(self) -> list[int]:
        """`<|image_pad|>` count per image."""
        return [num_image_tokens(g) for g in self.image_grid_thw]


def _normalize(image: Image.Image) -> np.ndarray:
    """uint8 RGB image -> (3, H, W) float32, rescaled and CLIP-normalised like transformers."""
    array = np.asarray(image)  # (H, W, 3) uint8
    # Upcast to float64 before the scale, then down to float32 (transformers' `rescale`).
    scaled = (array.astype(np.float64) * (1 / 255)).astype(np.float32)
    mean = np.array(IMAGE_MEAN, dtype=np.float32)
    std = np.array(IMAGE_STD, dtype=np.float32)
    normalized = (scaled - mean) / std  # (H, W, 3) float32
    return np.ascontiguousarray(normalized.transpose(2, 0, 1))


def _patchify(chw: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """(3, H, W) -> ((gh*gw, 1176) patches in merge-block raster order, grid (1, gh, gw))."""
    channels, height, width = chw.shape
    gh, gw = height // PATCH_SIZE, width // PATCH_SIZE
    m, p = MERGE_SIZE, PATCH_SIZE
    x = chw.reshape(channels, gh // m, m, p, gw // m, m, p)
    x = x.transpose(1, 4, 2, 5, 0, 3, 6)  # (bh, bw, mh, mw, C, P, P)
    # A still image is its own second frame: repeat it along a new temporal axis.
    x = np.broadcast_to(x[:, :, :, :, :, None], (*x.shape[:5], TEMPORAL_PATCH_SIZE, p, p))
    return x.reshape(gh * gw, channels * TEMPORAL_PATCH_SIZE * p * p), (1, gh, gw)


def process_image(
    image: Image.Image,
    *,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
    resize: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One image -> (pixel_values (N, 1176) float32, grid_thw (1, 3) int64).

    `resize=False` takes an image already rendered at the model size (both sides multiples of 28)
    and skips smart_resize; anything else is an error rather than a silent crop.
    """
    rgb = to_rgb(image)
    width, height = rgb.size
    if resize:
        new_h, new_w = smart_resize(height, width, FACTOR, min_pixels, max_pixels)
        if (new_h, new_w) != (height, width):
            rgb = rgb.resize((new_w, new_h), resample=Image.Resampling.BICUBIC)
    elif height % FACTOR or width % FACTOR:
        raise ValueError(f"resize=False needs sides that are multiples of {FACTOR}, got {width}x{height}")
    patches, grid = _patchify(_normalize(rgb))
    return torch.from_numpy(np.ascontiguousarray(patches)), torch.tensor([grid], dtype=torch.int64)


def process_images(
    images: Sequence[Image.Image],
    *,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = MAX_PIXELS,
    resize: bool = True,
) -> ImageInputs:
    """Several images -> concatenated pixel_values (sum N, 1176) and stacked grids (I, 3)."""
    if not images:
        raise ValueError("process_images needs at least one image")
    pixels, grids = [], []
    for image in images:
        pv, grid = process_image(image, min_pixels=min_pixels, max_pixels=max_pixels, resize=resize)
        pixels.append(pv)
        grids.append(grid)
    return ImageInputs(pixel_values=torch.cat(pixels, dim=0), image_grid_thw=torch.cat(grids, dim=0))
