"""Our Qwen2.5-VL against transformers' on three tiny random configurations, in fp32.

Each reference model is saved with ``save_pretrained`` and loaded with our ``weights.load_model``,
so these tests also prove the checkpoint mapping. Tolerance: max abs diff <= 1e-4.
"""

from __future__ import annotations

import pytest
import torch

from qwen2_5_vl.rope import get_rope_index

from .conftest import BOS, IDS, PAD, PARITY_CONFIGS

pytest.importorskip("transformers")

TOL = 1e-4
IMG, VS, VE = IDS["image_token_id"], IDS["vision_start_token_id"], IDS["vision_end_token_id"]
# Grids (t, h, w) in patches. Merged grids 5x11, 3x4 and 2x9: none fills whole 4x4 windows.
GRID_A, GRID_B, GRID_C = (1, 10, 22), (1, 6, 8), (1, 4, 18)
CONFIGS = sorted(PARITY_CONFIGS)


def n_tokens(grid) -> int:
    return grid[0] * grid[1] * grid[2] // 4


def text(gen: torch.Generator, n: int) -> list[int]:
    return torch.randint(10, 190, (n,), generator=gen).tolist()


def image(grid) -> list[int]:
    return [VS] + [IMG] * n_tokens(grid) + [VE]


def pixels(gen: torch.Generator, *grids) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.tensor(grids)
    return torch.randn(int(g.prod(-1).sum()), 1176, generator=gen), g


def reference_positions(pair, ids, grid, mask=None):
    mm = (ids == IMG).int()
    return pair.ref.model.get_rope_index(ids, mm_token_type_ids=mm, image_grid_thw=grid, attention_mask=mask)


def reference_logits(pair, ids, pos, mask, pv, grid):
    with torch.no_grad():
        return pair.ref(input_ids=ids, attention_mask=mask, pixel_values=pv, image_grid_thw=grid,
                        position_ids=pos).logits.float()


def two_image_prompt(gen):
    ids = [BOS] + text(gen, 5) + image(GRID_A) + text(gen, 3) + image(GRID_B) + text(gen, 4)
    pv, grid = pixels(gen, GRID_A, GRID_B)
    return torch.tensor([ids]), pv, grid


def padded_batch(gen):
    """Row 0: text + image A + text; row 1 (left-padded): text + image C + text + image B + text."""
    row0 = [BOS] + text(gen, 4) + image(GRID_A) + text(gen, 6)
    row1 = [BOS] + text(gen, 2) + image(GRID_C) + text(gen, 3) + image(GRID_B) + text(gen, 2)
    width = max(len(row0), len(row1))
    rows, mask = [], []
    for row in (row0, row1):
        pad = width - len(row)
        rows.append([PAD] * pad + row)
        mask.append([0] * pad + [1] * len(row))
    pv, grid = pixels(gen, GRID_A, GRID_C, GRID_B)
    return torch.tensor(rows), torch.tensor(mask), pv, grid


@pytest.mark.parametrize("name", CONFIGS)
def test_vision_tower(reference_pairs, name):
    pair = reference_pairs[name]
    gen = torch.Generator().manual_seed(1)
    pv, grid = pixels(gen, GRID_A, GRID_B, GRID_C)
    with torch.no_grad():
        expected = pair.ref.model.visual(pv, grid_thw=grid).pooler_output
        got = pair.ours.get_image_features(pv, grid)
    assert got.shape == (sum(n_tokens(g) for g in (GRID_A, GRID_B, GRID_C)), pair.config.text_config.hidden_size)
    assert (got - expected).abs().max().item() <= TOL


@pytest.mark.parametrize("name", CONFIGS)
def test_rope_index_two_images(reference_pairs, name):
    pair = reference_pairs[name]
    ids, _, grid = two_image_prompt(torch.Generator().manual_seed(2))
    pos, delta = get_rope_index(ids, grid, None, pair.config)
    ref_pos, ref_delta = reference_positions(pair, ids, grid)
    assert torch.equal(pos, ref_pos)
    assert torch.equal(delta, ref_delta)


@pytest.mark.parametrize("name", CONFIGS)
def test_rope_index_left_padded(reference_pairs, name):
    pair = reference_pairs[name]
    ids, mask, _, grid = padded_batch(torch.Generator().manual_seed(3))
    pos, delta = get_rope_index(ids, grid, mask, pair.config)
    ref_pos, ref_delta = reference_positions(pair, ids, grid, mask)
    real = mask.bool()
    assert torch.equal(pos[:, real], ref_pos[:, real])
    assert (pos[:, ~real] == 1).all()
    # ours is relative to the padded length (so decoding is cache_position + delta); transformers 5.x
    # is relative to the unpadded length.
    assert torch.equal(delta, ref_delta - (~real).sum(-1, keepdim=True))


@pytest.mark.parametrize("name", CONFIGS)
def test_logits_two_images_of_different_sizes(reference_pairs, name):
    pair = reference_pairs[name]
    ids, pv, grid = two_image_prompt(torch.Generator().manual_seed(4))
    pos, _ = get_rope_index(ids, grid, None, pair.config)
    expected = reference_logits(pair, ids, reference_positions(pair, ids, grid)[0], None, pv, grid)
    with torch.no_grad():
        got = pair.ours(ids, pos, pixel_values=pv, image_grid_thw=grid)
    assert got.dtype == torch.float32 and got.shape == expected.shape
    assert (got - expected).abs().max().item() <= TOL
    # the check is sensitive: plain 1D positions (no MRoPE) change the logits well beyond TOL
    flat = torch.arange(ids.shape[1]).view(1, 1, -1).expand(3, 1, -1)
    with torch.no_grad():
        wrong = pair.ours(ids, flat, pixel_values=pv, image_grid_thw=grid)
    assert (wrong - expected).abs().max().item() > 100 * TOL


@pytest.mark.parametrize("name", CONFIGS)
def test_logits_left_padded_batch(reference_pairs, name):
    pair = reference_pairs[name]
    ids, mask, pv, grid = padded_batch(torch.Generator().manual_seed(5))
    pos, _ = get_rope_index(ids, grid, mask, pair.config)
    ref_pos, _ = reference_positions(pair, ids, grid, mask)
    expected = reference_logits(pair, ids, ref_pos, mask, pv, grid)
    with torch.no_grad():
        got = pair.ours(ids, pos, mask, pv, grid)
    real = mask.bool()
    assert torch.isfinite(got).all()
    assert (got[real] - expected[real]).abs().max().item() <= TOL


@pytest.mark.parametrize("name", CONFIGS)
def test_padded_row_equals_unpadded_row(reference_pairs, name):
    pair = reference_pairs[name]
    ids, mask, pv, grid = padded_batch(torch.Generator().manual_seed(6))
    pos, _ = get_rope_index(ids, grid, mask, pair.config)
    with torch.no_grad():
        batch = pair.ours(ids, pos, mask, pv, grid)
        real = mask[1].bool()
        row = ids[1:2, real]
        n_a = GRID_A[0] * GRID_A[1] * GRID_A[2]
        row_pos, _ = get_rope_index(row, grid[1:], None, pair.config)
        single = pair.ours(row, row_pos, pixel_values=pv[n_a:], image_grid_thw=grid[1:])
    assert (batch[1, real] - single[0]).abs().max().item() <= TOL


@pytest.mark.parametrize("name", CONFIGS)
def test_cached_decoding_equals_uncached(reference_pairs, name):
    pair = reference_pairs[name]
    model, config = pair.ours, pair.config
    ids, mask, pv, grid = padded_batch(torch.Generator().manual_seed(7))
    bsz, prompt_len = ids.shape
    steps = 5
    pos, delta = get_rope_index(ids, grid, mask, config)
    cache = model.setup_cache(bsz, prompt_len + steps + 3, dtype=torch.float32)
    seq, seq_mask, step_logits = ids, mask, []
    with torch.no_grad():
        logits = model(ids, pos, mask, pv, grid, kv_cache=cache, cache_position=torch.arange(prompt_len))
        step_logits.append(logits[:, -1])
        for s in range(steps):
            nxt = logits[:, -1].argmax(-1, keepdim=True)  # (B, 1)
            seq = torch.cat([seq, nxt], dim=1)
            seq_mask = torch.cat([seq_mask, torch.ones(bsz, 1, dtype=mask.dtype)], dim=1)
            cache_position = torch.tensor([prompt_len + s])
            step_pos = (cache_position + delta).unsqueeze(0).expand(3, bsz, 1)  # (3, B, 1)
            logits = model(nxt, step_pos, seq_mask, kv_cache=cache, cache_position=cache_position)
            step_logits.append(logits[:, -1])
        cached = torch.stack(step_logits, dim=1)  # (B, steps+1, V)
        full_pos, _ = get_rope_index(seq, grid, seq_mask, config)
        uncached = model(seq, full_pos, seq_mask, pv, grid)[:, prompt_len - 1:]
    assert (cached - uncached).abs().max().item() <= TOL
    # and the full sequence still matches the reference
    ref_pos, _ = reference_positions(pair, seq, grid, seq_mask)
    expected = reference_logits(pair, seq, ref_pos, seq_mask, pv, grid)[:, prompt_len - 1:]
    assert (cached - expected).abs().max().item() <= TOL


def test_image_token_count_mismatch_raises(reference_pairs):
    pair = reference_pairs[CONFIGS[0]]
    ids, pv, grid = two_image_prompt(torch.Generator().manual_seed(8))
    bad = torch.cat([ids, torch.full((1, 1), IMG)], dim=1)  # one image token too many
    pos = torch.arange(bad.shape[1]).view(1, 1, -1).expand(3, 1, -1)
    with pytest.raises(ValueError, match="image features and image tokens do not match"):
        pair.ours(bad, pos, pixel_values=pv, image_grid_thw=grid)


def test_text_only_left_padded_batch(reference_pairs):
    pair = reference_pairs["b_tied_gqa"]
    gen = torch.Generator().manual_seed(9)
    ids = torch.tensor([[PAD, PAD, PAD] + text(gen, 6), text(gen, 9)])
    mask = torch.tensor([[0, 0, 0] + [1] * 6, [1] * 9])
    pos, delta = get_rope_index(ids, None, mask, pair.config)
    ref_pos, _ = reference_positions(pair, ids, None, mask)
    expected = reference_logits(pair, ids, ref_pos, mask, None, None)
    with torch.no_grad():
        got = pair.ours(ids, pos, mask)
    real = mask.bool()
    assert (got[real] - expected[real]).abs().max().item() <= TOL
    assert delta.tolist() == [[-3], [0]]


def test_bfloat16_model_stays_close_to_the_fp32_reference(reference_pairs):
    from qwen2_5_vl.weights import load_model

    pair = reference_pairs[CONFIGS[0]]
    ids, pv, grid = two_image_prompt(torch.Generator().manual_seed(10))
    pos, _ = get_rope_index(ids, grid, None, pair.config)
    expected = reference_logits(pair, ids, reference_positions(pair, ids, grid)[0], None, pv, grid)
    bf16 = load_model(pair.path, dtype=torch.bfloat16)
    with torch.no_grad():
        got = bf16(ids, pos, pixel_values=pv, image_grid_thw=grid)
    assert got.dtype == torch.float32
    scale = expected.abs().max().item()
    assert (got - expected).abs().max().item() <= 0.1 * scale
    assert (got.argmax(-1) == expected.argmax(-1)).float().mean().item() >= 0.9


def test_forward_argument_errors(reference_pairs):
    model = reference_pairs[CONFIGS[0]].ours
    ids = torch.tensor([[5, 6, 7]])
    pos = torch.arange(3).view(1, 1, 3).expand(3, 1, 3)
    cache = model.setup_cache(1, 4, dtype=torch.float32)
    with pytest.raises(ValueError, match="cache_position is required"):
        model(ids, pos, kv_cache=cache)
    with pytest.raises(ValueError, match="only 4 exist"):
        model(ids, pos, torch.ones(1, 5), kv_cache=cache, cache_position=torch.arange(3))
    with pytest.raises(ValueError, match="position_ids"):
        model(ids, pos[:, :, :2])
    with pytest.raises(ValueError, match="image_grid_thw"):
        model(ids, pos, pixel_values=torch.randn(4, 1176))


def test_logits_to_keep_returns_the_last_positions():
    from qwen2_5_vl import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).eval()
    ids = torch.randint(0, 100, (2, 9))
    pos = torch.arange(9).view(1, 1, 9).expand(3, 2, 9)
    with torch.no_grad():
        full = model(ids, pos)
        last = model(ids, pos, logits_to_keep=1)
    assert last.shape == (2, 1, full.shape[-1])
    torch.testing.assert_close(last[:, 0], full[:, -1])
