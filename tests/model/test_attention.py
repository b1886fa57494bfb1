"""Attention over filled slots: kernel-friendly shapes, equality with the masked reference, key lengths."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from qwen2_5_vl.attention import causal_attention, expand_kv, masked_attention, padding_causal_mask
from qwen2_5_vl.config import Qwen2_5_VLConfig
from qwen2_5_vl.generate import GenerationConfig, generate
from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration
from qwen2_5_vl.varlen import VarlenSegments
from qwen2_5_vl.vision import Segments, VisionAttention, block_diagonal_mask


def reference(q, k, v, mask):
    """Plain softmax attention with KV heads expanded, mask (B, 1, T, S) bool or None."""
    k, v = expand_kv(k, q.shape[1]), expand_kv(v, q.shape[1])
    scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(-1) @ v


@pytest.mark.parametrize("heads,kv_heads", [(4, 4), (4, 1), (6, 2)])
@pytest.mark.parametrize("t", [1, 5])
def test_masked_attention_equals_reference(heads, kv_heads, t):
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(3, heads, t, 8, generator=gen)
    k, v = torch.randn(2, 3, kv_heads, 11, 8, generator=gen)
    lengths = torch.tensor([11, 7, 9])
    real = torch.arange(11)[None, :] < lengths[:, None]  # right-padded keys
    mask = padding_causal_mask(real, torch.arange(11 - t, 11), 11)
    torch.testing.assert_close(masked_attention(q, k, v, mask), reference(q, k, v, mask))
    torch.testing.assert_close(masked_attention(q, k, v, None), reference(q, k, v, None))


def test_causal_attention_equals_reference():
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(2, 6, 9, 8, generator=gen)
    k, v = torch.randn(2, 2, 2, 9, 8, generator=gen)
    causal = torch.ones(9, 9, dtype=torch.bool).tril().view(1, 1, 9, 9)
    torch.testing.assert_close(causal_attention(q, k, v), reference(q, k, v, causal))


@pytest.mark.parametrize("bounds", [[0, 8, 11, 20], [0, 20], [0, 5, 10, 15, 20], [0, 8, 8, 11, 20], [0, 4, 8, 20]])
def test_varlen_segments_equal_the_padded_and_dense_paths(bounds):
    vc = Qwen2_5_VLConfig.tiny().vision_config
    torch.manual_seed(0)
    attn = VisionAttention(vc).eval()
    n = 20
    cu = torch.tensor(bounds, dtype=torch.int32)
    x = torch.randn(n, vc.hidden_size)
    pos = torch.randn(n, vc.head_dim)
    cos, sin = pos.cos(), pos.sin()
    varlen = VarlenSegments.from_cu_seqlens(cu)
    assert len(varlen.groups) == len(set(b - a for a, b in zip(bounds[:-1], bounds[1:]) if b > a))
    with torch.no_grad():
        got = attn(x, cos, sin, varlen)
        torch.testing.assert_close(got, attn(x, cos, sin, Segments.from_cu_seqlens(cu)), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(got, attn(x, cos, sin, block_diagonal_mask(cu, n)), atol=1e-5, rtol=1e-5)


def test_vision_tower_calls_sdpa_without_a_mask(monkeypatch):
    from qwen2_5_vl.vision import VisionTransformer

    vc = Qwen2_5_VLConfig.tiny().vision_config
    vit = VisionTransformer(vc).eval()
    calls = []
    real = F.scaled_dot_product_attention

    def spy(q, k, v, attn_mask=None, **kw):
        calls.append(attn_mask)
        return real(q, k, v, attn_mask=attn_mask, **kw)

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    with torch.no_grad():
        vit(torch.randn(268, vc.patch_dim), torch.tensor([[1, 10, 22], [1, 6, 8]]))
    assert calls and all(m is None for m in calls)
    # two images with edge windows: a few length groups per block, far fewer calls than windows
    assert len(calls) < 8 * vc.depth


def _spy_key_lengths(monkeypatch) -> list[tuple[int, int, bool, bool]]:
    """Record (query length, key length, has mask, enable_gqa) of every SDPA call."""
    seen: list[tuple[int, int, bool, bool]] = []
    real = F.scaled_dot_product_attention

    def spy(q, k, v, attn_mask=None, **kw):
        seen.append((q.shape[-2], k.shape[-2], attn_mask is not None, bool(kw.get("enable_gqa"))))
        return real(q, k, v, attn_mask=attn_mask, **kw)

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    return seen


def test_static_decode_attends_over_filled_slots_only(monkeypatch):
    """A step's key length is the filled length, whatever max_new_tokens preallocates (cost does not grow)."""
    torch.manual_seed(0)
    config = Qwen2_5_VLConfig.tiny()  # GQA: 4 query heads over 2 KV heads
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    prompts = [[5, 6, 7, 8, 9], [10, 11, 12]]  # the second is left-padded: a mask in every step
    seen = _spy_key_lengths(monkeypatch)
    runs = {}
    for max_new in (4, 64):
        seen.clear()
        out = generate(model, prompts, config=GenerationConfig(max_new_tokens=max_new, eos_token_ids=[],
                                                               loop_guard=None))
        runs[max_new] = (list(seen), [r.token_ids for r in out])
    layers = config.text_config.num_hidden_layers
    short, long = runs[4][0], runs[64][0]
    assert long[: len(short)] == short  # the first 4 tokens cost the same whatever max_new_tokens
    assert runs[64][1][0][:4] == runs[4][1][0] and runs[64][1][1][:4] == runs[4][1][1]
    assert [kl for _, kl, _, _ in short[:layers]] == [5] * layers  # prefill: the prompt's own keys
    decode = short[layers:]
    assert [kl for _, kl, _, _ in decode] == [s for s in (6, 7, 8) for _ in range(layers)]
    assert not any(m and gqa for _, _, m, gqa in seen)  # never a mask together with enable_gqa


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: checks SDPA's kernel choice on the GPU")
def test_cuda_sdpa_uses_flash_or_memory_efficient_kernels():
    from torch.nn.attention import SDPBackend, sdpa_kernel

    torch.manual_seed(0)
    config = Qwen2_5_VLConfig.tiny(vision=dict(out_hidden_size=256),
                                   text=dict(hidden_size=256, num_attention_heads=4, num_key_value_heads=2,
                                             mrope_section=(16, 8, 8)))
    model = Qwen2_5_VLForConditionalGeneration(config).to("cuda", torch.bfloat16).eval()
    prompts = [[5, 6, 7, 8, 9, 10, 11, 12], [10, 11, 12, 13]]
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):  # math kernel: error
        generate(model, prompts, config=GenerationConfig(max_new_tokens=8, eos_token_ids=[], loop_guard=None))
        from qwen2_5_vl.engine import EngineConfig, PageEngine, Request

        greedy = GenerationConfig(max_new_tokens=8, eos_token_ids=[], loop_guard=None)
        engine = PageEngine(model, greedy, EngineConfig(max_num_seqs=4, kv_cache_gb=0.05, block_size=16))
        for i, p in enumerate(prompts):
            engine.submit(Request(i, p))
        assert len(list(engine.run())) == 2  # graphs captured under the same kernel restriction
