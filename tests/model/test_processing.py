"""qwen2_5_vl.processing against the transformers PIL image processor (bit-exact)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from qwen2_5_vl.processing import (
    MAX_PIXELS,
    MIN_PIXELS,
    PATCH_DIM,
    num_image_tokens,
    process_image,
    process_images,
    smart_resize,
)

hf_pil = pytest.importorskip("transformers.models.qwen2_vl.image_processing_pil_qwen2_vl")


def reference(images, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS):
    proc = hf_pil.Qwen2VLImageProcessorPil(min_pixels=min_pixels, max_pixels=max_pixels)
    out = proc(images=list(images), return_tensors="np")
    return out["pixel_values"], out["image_grid_thw"]


def random_image(rng, height, width, mode="RGB"):
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    data = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
    return Image.fromarray(data[..., 0] if channels == 1 else data, mode=None)


SIZES = [(150, 230), (57, 1000), (1000, 57), (800, 600), (28, 28), (10, 20), (333, 91), (449, 449)]


@pytest.mark.parametrize("height,width", SIZES)
def test_matches_reference_exactly(height, width):
    rng = np.random.default_rng(height * 7919 + width)
    image = random_image(rng, height, width)
    ref_pv, ref_grid = reference([image])
    pv, grid = process_image(image)
    assert pv.dtype == torch.float32 and pv.shape == ref_pv.shape and pv.shape[1] == PATCH_DIM
    assert np.array_equal(grid.numpy(), ref_grid)
    assert np.abs(pv.numpy() - ref_pv).max() == 0.0


def test_rgba_composited_on_white_like_reference():
    rng = np.random.default_rng(1)
    image = random_image(rng, 97, 131, "RGBA")
    ref_pv, _ = reference([image])
    pv, _ = process_image(image)
    assert np.abs(pv.numpy() - ref_pv).max() == 0.0
    # A fully transparent image is pure white after compositing.
    clear = Image.new("RGBA", (56, 56), (0, 0, 0, 0))
    white = Image.new("RGB", (56, 56), (255, 255, 255))
    assert torch.equal(process_image(clear)[0], process_image(white)[0])


def test_grayscale_and_palette_like_reference():
    rng = np.random.default_rng(2)
    gray = random_image(rng, 120, 90, "L")
    palette = random_image(rng, 60, 200).convert("P")
    for image in (gray, palette):
        ref_pv, ref_grid = reference([image])
        pv, grid = process_image(image)
        assert np.array_equal(grid.numpy(), ref_grid)
        assert np.abs(pv.numpy() - ref_pv).max() == 0.0


@pytest.mark.parametrize("min_pixels,max_pixels", [(256 * 28 * 28, 1280 * 28 * 28), (3136, 100 * 28 * 28)])
def test_min_max_pixels_options(min_pixels, max_pixels):
    rng = np.random.default_rng(3)
    for height, width in [(1754, 1240), (60, 80)]:
        image = random_image(rng, height, width)
        ref_pv, ref_grid = reference([image], min_pixels, max_pixels)
        pv, grid = process_image(image, min_pixels=min_pixels, max_pixels=max_pixels)
        assert np.array_equal(grid.numpy(), ref_grid)
        assert np.abs(pv.numpy() - ref_pv).max() == 0.0
        h, w = int(grid[0, 1]) * 14, int(grid[0, 2]) * 14
        assert min_pixels <= h * w <= max_pixels


def test_smart_resize_matches_reference_function_and_known_sizes():
    rng = np.random.default_rng(4)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(5, 5000, 2))
        if max(h, w) / min(h, w) > 200:
            continue
        assert smart_resize(h, w, 28, 3136, 1280 * 28 * 28) == hf_pil.smart_resize(h, w, 28, 3136, 1280 * 28 * 28)
    # Table in reference/qwen2_5_vl.md §3.5 (H, W).
    assert smart_resize(1754, 1240, max_pixels=1280 * 28 * 28) == (1176, 840)
    assert smart_resize(1532, 1014) == (1540, 1008)
    assert smart_resize(2339, 1654) == (2352, 1652)
    with pytest.raises(ValueError):
        smart_resize(10, 2500)


def test_resize_false_path_for_prerendered_pages():
    rng = np.random.default_rng(5)
    image = random_image(rng, 28 * 9, 28 * 6)
    pv, grid = process_image(image, resize=False)
    assert grid.tolist() == [[1, 18, 12]]
    # Same as the resizing path, because the size is already a fixed point of smart_resize.
    assert torch.equal(pv, process_image(image)[0])
    # Large page kept as is even above max_pixels: the caller chose the size.
    big = random_image(rng, 28 * 40, 28 * 30)
    assert process_image(big, resize=False, max_pixels=28 * 28 * 100)[1].tolist() == [[1, 80, 60]]
    with pytest.raises(ValueError):
        process_image(random_image(rng, 100, 84), resize=False)


def test_num_image_tokens():
    assert num_image_tokens([1, 10, 16]) == 40
    assert num_image_tokens(torch.tensor([1, 110, 76])) == 2090
    _, grid = process_image(Image.new("RGB", (1008, 1540)))
    assert num_image_tokens(grid[0]) == 1980  # cookbook example (§1.3)


def test_batch_concatenates_in_order():
    rng = np.random.default_rng(6)
    images = [random_image(rng, 150, 230), random_image(rng, 400, 90), random_image(rng, 64, 64, "RGBA")]
    batch = process_images(images)
    ref_pv, ref_grid = reference(images)
    assert np.array_equal(batch.image_grid_thw.numpy(), ref_grid)
    assert np.abs(batch.pixel_values.numpy() - ref_pv).max() == 0.0
    singles = [process_image(im) for im in images]
    assert torch.equal(batch.pixel_values, torch.cat([s[0] for s in singles]))
    assert batch.num_tokens() == [num_image_tokens(s[1][0]) for s in singles]
    with pytest.raises(ValueError):
        process_images([])
