"""qwen2_5_vl.vision: window permutation, block-diagonal masks, patch embed, shapes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from qwen2_5_vl.config import Qwen2_5_VLConfig
from qwen2_5_vl.vision import (
    PatchEmbed,
    Segments,
    VisionAttention,
    VisionTransformer,
    block_diagonal_mask,
    get_cu_seqlens,
    get_window_index,
)

VC = Qwen2_5_VLConfig.tiny().vision_config
GRIDS = [(1, 16, 20), (1, 10, 22), (1, 6, 8), (1, 2, 2), (2, 8, 8), (1, 32, 2)]


def test_window_index_matches_the_checked_reference_example():
    # reference/qwen2_5_vl.md §3.2 (transformers 4.57.6 on grid (1, 16, 20))
    index, cu = get_window_index(torch.tensor([[1, 16, 20]]), 112, 2, 14)
    assert index[:16].tolist() == [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]
    assert cu.tolist() == [0, 64, 128, 160, 224, 288, 320]
    assert cu.dtype == torch.int32


@pytest.mark.parametrize("grid", GRIDS)
def test_windows_are_a_permutation_of_whole_windows(grid):
    t, h, w = grid
    index, cu = get_window_index(torch.tensor([grid]), 112, 2, 14)
    gh, gw = h // 2, w // 2
    assert sorted(index.tolist()) == list(range(t * gh * gw))
    assert torch.equal(index[torch.argsort(index)], torch.arange(len(index)))
    # every segment holds the merged tokens of one 4x4 window of one temporal slice, nothing else
    bounds = (cu // 4).tolist()
    for a, b in zip(bounds[:-1], bounds[1:]):
        tokens = index[a:b]
        tt, rr, cc = tokens // (gh * gw), (tokens % (gh * gw)) // gw, tokens % gw
        keys = set(zip(tt.tolist(), (rr // 4).tolist(), (cc // 4).tolist()))
        assert len(keys) == 1 and 0 < b - a <= 16


def test_multiple_images_are_offset():
    index, cu = get_window_index(torch.tensor([[1, 4, 4], [1, 4, 6]]), 112, 2, 14)
    assert index.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert cu.tolist() == [0, 16, 40]


@pytest.mark.parametrize("grid", GRIDS)
def test_window_index_matches_transformers_helper(grid):
    vu = pytest.importorskip("transformers.vision_utils")
    g = torch.tensor([grid, (1, 6, 8)])
    ours = get_window_index(g, 112, 2, 14)
    ref = vu.get_vision_window_index(g, spatial_merge_size=2, window_size=112, patch_size=14)
    assert torch.equal(ours[0], ref[0]) and torch.equal(ours[1], ref[1])


def test_cu_seqlens_one_segment_per_temporal_slice():
    cu = get_cu_seqlens(torch.tensor([[1, 4, 6], [2, 2, 2]]))
    assert cu.tolist() == [0, 24, 28, 32]


def test_block_diagonal_mask():
    mask = block_diagonal_mask(torch.tensor([0, 2, 5], dtype=torch.int32), 5)
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[:2, :2] = True
    expected[2:, 2:] = True
    assert torch.equal(mask, expected)
    with pytest.raises(ValueError):
        block_diagonal_mask(torch.tensor([0, 2, 5]), 6)


@pytest.mark.parametrize("bounds", [[0, 8, 11, 20], [0, 20], [0, 5, 10, 15, 20], [0, 8, 8, 11, 20]])
def test_segment_attention_equals_dense_mask_and_a_loop(bounds):
    torch.manual_seed(0)
    attn = VisionAttention(VC).eval()
    n = 20
    cu = torch.tensor(bounds, dtype=torch.int32)
    x = torch.randn(n, VC.hidden_size)
    pos = torch.randn(n, VC.head_dim)
    cos, sin = pos.cos(), pos.sin()
    with torch.no_grad():
        packed = attn(x, cos, sin, Segments.from_cu_seqlens(cu))
        dense = attn(x, cos, sin, block_diagonal_mask(cu, n))
        parts = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b > a:
                parts.append(attn(x[a:b], cos[a:b], sin[a:b], torch.ones(b - a, b - a, dtype=torch.bool)))
    assert torch.allclose(packed, dense, atol=1e-5)
    assert torch.allclose(packed, torch.cat(parts), atol=1e-5)


def test_segments_pack_unpack_roundtrip():
    segs = Segments.from_cu_seqlens(torch.tensor([0, 3, 3, 7, 8]))
    assert (segs.num, segs.max_len) == (3, 4)
    assert segs.key_mask.view(3, 4).tolist() == [[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]]
    x = torch.randn(8, 2, 5)
    packed = segs.pack(x)
    assert packed.shape == (3, 2, 4, 5) and torch.equal(packed[0, :, 3], torch.zeros(2, 5))
    assert torch.equal(segs.unpack(packed), x)
    whole = Segments.from_cu_seqlens(torch.tensor([0, 8]))
    assert whole.key_mask is None and torch.equal(whole.unpack(whole.pack(x)), x)


def test_patch_embed_linear_equals_conv3d():
    torch.manual_seed(0)
    embed = PatchEmbed(VC)
    x = torch.randn(7, VC.patch_dim)
    conv = F.conv3d(x.view(-1, 3, 2, 14, 14), embed.proj.weight, stride=(2, 14, 14)).view(7, -1)
    assert torch.allclose(embed(x), conv, atol=1e-5)
    assert embed.proj.weight.shape == (VC.hidden_size, 3, 2, 14, 14)
    with pytest.raises(ValueError, match="pixel_values"):
        embed(torch.randn(7, 100))


def test_vision_transformer_shapes_and_errors():
    torch.manual_seed(0)
    vit = VisionTransformer(VC).eval()
    grid = torch.tensor([[1, 10, 22], [1, 6, 8]])
    with torch.no_grad():
        out = vit(torch.randn(268, VC.patch_dim), grid)
        out_bf16 = vit.to(torch.bfloat16)(torch.randn(268, VC.patch_dim), grid)
    assert out.shape == (67, VC.out_hidden_size)
    assert out_bf16.dtype == torch.bfloat16 and torch.isfinite(out_bf16.float()).all()
    with pytest.raises(ValueError, match="patches"):
        vit(torch.randn(100, VC.patch_dim), grid)
    with pytest.raises(ValueError, match="multiples"):
        vit(torch.randn(15, VC.patch_dim), torch.tensor([[1, 3, 5]]))


def test_images_are_independent():
    """Each image's features depend only on its own pixels (full attention is per image)."""
    torch.manual_seed(0)
    vit = VisionTransformer(VC).eval()
    a, b = torch.randn(220, VC.patch_dim), torch.randn(48, VC.patch_dim)
    with torch.no_grad():
        both = vit(torch.cat([a, b]), torch.tensor([[1, 10, 22], [1, 6, 8]]))
        alone = vit(b, torch.tensor([[1, 6, 8]]))
    assert torch.allclose(both[55:], alone, atol=1e-5)
