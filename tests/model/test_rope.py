"""qwen2_5_vl.rope: get_rope_index, MRoPE channel layout, vision 2D rotary (no transformers needed)."""

from __future__ import annotations

import pytest
import torch

from qwen2_5_vl.config import Qwen2_5_VLConfig
from qwen2_5_vl.rope import (
    apply_rotary,
    get_rope_index,
    inv_freq,
    mrope_cos_sin,
    rotate_half,
    vision_rotary_cos_sin,
    vision_rotary_positions,
)

CFG = Qwen2_5_VLConfig.tiny()
IMG, VS, VE = CFG.image_token_id, CFG.vision_start_token_id, CFG.vision_end_token_id


def test_single_image_matches_the_checked_reference_example():
    # reference/qwen2_5_vl.md §3.4: ids=[1,2,3,VS]+[IMG]*80+[VE,5,6], grid (1,16,20)
    ids = torch.tensor([[1, 2, 3, VS] + [IMG] * 80 + [VE, 5, 6]])
    pos, delta = get_rope_index(ids, torch.tensor([[1, 16, 20]]), None, CFG)
    t, h, w = pos[:, 0]
    assert t[:6].tolist() == [0, 1, 2, 3, 4, 4]
    assert (t[4:84] == 4).all()
    assert h[4:14].tolist() == [4] * 10 and h[74:84].tolist() == [11] * 10  # 8 rows of 10
    assert w[4:14].tolist() == list(range(4, 14))
    assert t[84:].tolist() == h[84:].tolist() == w[84:].tolist() == [14, 15, 16]
    assert delta.tolist() == [[-70]]


def test_text_only_is_arange():
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 12]])
    pos, delta = get_rope_index(ids, None, None, CFG)
    assert torch.equal(pos, torch.arange(4).expand(3, 2, 4))
    assert delta.tolist() == [[0], [0]]


def test_two_images_and_text_between():
    ids = torch.tensor([[7, VS] + [IMG] * 6 + [VE, 8, VS] + [IMG] * 4 + [VE, 9]])
    grid = torch.tensor([[1, 4, 6], [1, 4, 4]])  # merged 2x3 then 2x2
    pos, delta = get_rope_index(ids, grid, None, CFG)
    t, h, w = pos[:, 0].tolist()
    # image 1 starts at 2: rows 2..3, cols 2..4; next text starts at 2 + max(2, 3) = 5
    assert h[2:8] == [2, 2, 2, 3, 3, 3] and w[2:8] == [2, 3, 4, 2, 3, 4] and t[2:8] == [2] * 6
    assert [t[8], t[9], t[10]] == [5, 6, 7]
    # image 2 starts at 8: 2x2; then text at 8 + 2 = 10
    assert h[11:15] == [8, 8, 9, 9] and w[11:15] == [8, 9, 8, 9]
    assert t[15:] == [10, 11]
    assert delta.tolist() == [[11 + 1 - ids.shape[1]]]


def test_left_padding_shifts_nothing_but_delta():
    row = [7, VS] + [IMG] * 6 + [VE, 8, 9]
    grid = torch.tensor([[1, 4, 6]])
    alone, alone_delta = get_rope_index(torch.tensor([row]), grid, None, CFG)
    padded = torch.tensor([[0, 0, 0] + row])
    mask = torch.tensor([[0, 0, 0] + [1] * len(row)])
    pos, delta = get_rope_index(padded, grid, mask, CFG)
    assert torch.equal(pos[:, :, 3:], alone)
    assert (pos[:, :, :3] == 1).all()
    assert delta.item() == alone_delta.item() - 3
    # decoding: slot s of the padded row continues the unpadded positions
    assert int(pos.max()) + 1 == len(padded[0]) + delta.item()


def test_images_are_taken_in_order_across_rows():
    r0 = [VS] + [IMG] * 4 + [VE]
    r1 = [VS] + [IMG] * 6 + [VE]
    ids = torch.tensor([[0, 0] + r0, r1])
    mask = torch.tensor([[0, 0] + [1] * len(r0), [1] * len(r1)])
    pos, _ = get_rope_index(ids, torch.tensor([[1, 4, 4], [1, 4, 6]]), mask, CFG)
    assert pos[2, 0, 3:7].tolist() == [1, 2, 1, 2]  # 2x2 widths
    assert pos[2, 1, 1:7].tolist() == [1, 2, 3, 1, 2, 3]  # 2x3 widths


def test_mismatched_images_raise():
    ids = torch.tensor([[VS] + [IMG] * 4 + [VE]])
    with pytest.raises(ValueError, match="more image tokens"):
        get_rope_index(ids, None, None, CFG)
    with pytest.raises(ValueError, match="consecutive image tokens"):
        get_rope_index(ids, torch.tensor([[1, 4, 6]]), None, CFG)
    with pytest.raises(ValueError, match="more image"):
        get_rope_index(ids, torch.tensor([[1, 4, 4], [1, 4, 4]]), None, CFG)
    with pytest.raises(ValueError, match="video"):
        get_rope_index(torch.tensor([[CFG.video_token_id]]), None, None, CFG)


def test_mrope_channels_follow_mrope_section():
    head_dim, theta, section = 16, 10000.0, (2, 3, 3)
    pos = torch.tensor([3, 5, 11]).view(3, 1, 1)  # t=3, h=5, w=11 for one token
    cos, sin = mrope_cos_sin(pos, head_dim, theta, section)
    freqs = inv_freq(head_dim, theta)
    axis = [0, 0, 1, 1, 1, 2, 2, 2]  # channel -> axis for the first half
    angles = torch.tensor([[3.0, 5.0, 11.0][a] * f for a, f in zip(axis, freqs.tolist())])
    expected = torch.cat([angles, angles])
    assert torch.allclose(cos[0, 0], expected.cos(), atol=1e-6)
    assert torch.allclose(sin[0, 0], expected.sin(), atol=1e-6)


def test_mrope_with_equal_axes_is_plain_rope():
    pos = torch.arange(7).view(1, 1, 7).expand(3, 2, 7)
    cos, sin = mrope_cos_sin(pos, 16, 10000.0, (2, 3, 3))
    ang = torch.arange(7).float()[:, None] * inv_freq(16, 10000.0)
    emb = torch.cat([ang, ang], -1)
    assert torch.allclose(cos[1], emb.cos(), atol=1e-6) and torch.allclose(sin[0], emb.sin(), atol=1e-6)
    # 2D positions are accepted too
    cos2, _ = mrope_cos_sin(pos[0], 16, 10000.0, (2, 3, 3))
    assert torch.equal(cos2, cos)


def test_rotation_preserves_norm_and_dtype():
    x = torch.randn(5, 16, dtype=torch.bfloat16)
    cos, sin = mrope_cos_sin(torch.arange(5).view(1, 1, 5).expand(3, 1, 5), 16, 10000.0, (2, 3, 3))
    y = apply_rotary(x, cos[0], sin[0])
    assert y.dtype == torch.bfloat16
    assert torch.allclose(y.float().norm(dim=-1), x.float().norm(dim=-1), rtol=2e-2)
    assert torch.equal(rotate_half(rotate_half(x)), -x)


def test_vision_positions_follow_merge_blocks():
    pos = vision_rotary_positions(torch.tensor([[1, 4, 6]]), 2)
    assert pos.shape == (24, 2)
    assert pos[:8].tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [0, 2], [0, 3], [1, 2], [1, 3]]
    assert pos[12:16].tolist() == [[2, 0], [2, 1], [3, 0], [3, 1]]
    two_slices = vision_rotary_positions(torch.tensor([[2, 2, 2]]), 2)
    assert two_slices.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] * 2


def test_vision_cos_sin_layout():
    cos, sin = vision_rotary_cos_sin(torch.tensor([[2, 7]]), head_dim=8, theta=10000.0)
    f = inv_freq(4, 10000.0)  # head_dim/4 = 2 frequencies per axis
    half = torch.cat([2 * f, 7 * f])
    assert torch.allclose(cos[0], torch.cat([half, half]).cos())
    assert torch.allclose(sin[0], torch.cat([half, half]).sin())
