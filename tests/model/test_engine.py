"""PageEngine: continuous batching over the paged cache gives each page exactly its greedy tokens alone.

The reference is transformers' ``generate`` on the same random checkpoint (fp32), one page at a
time; the engine runs 12 pages of different image sizes and output lengths, submitted while
others decode, under a cache small enough to chunk prefills and preempt.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from qwen2_5_vl.engine import EngineConfig, PageEngine, Request
from qwen2_5_vl.generate import GenerationConfig, generate
from qwen2_5_vl.kv_cache import bytes_per_block

from .conftest import EOS, IDS, PAD, PARITY_CONFIGS, _redraw_weights, reference_config

IMG, VS, VE = IDS["image_token_id"], IDS["vision_start_token_id"], IDS["vision_end_token_id"]
GRIDS = [(1, 10, 22), (1, 6, 8), (1, 4, 18), (1, 8, 8), (1, 2, 4), (1, 12, 6)]
EOS_BOOST = 4.0  # scales the end token's lm_head row so greedy outputs end at spread lengths


@pytest.fixture(scope="module")
def eos_pair(tmp_path_factory):
    """transformers' model and ours from one save_pretrained checkpoint, end token boosted."""
    transformers = pytest.importorskip("transformers")
    from qwen2_5_vl.weights import load_model

    torch.manual_seed(99)
    ref = transformers.Qwen2_5_VLForConditionalGeneration(reference_config(PARITY_CONFIGS["c_full_attention"]))
    _redraw_weights(ref, seed=5)
    with torch.no_grad():
        ref.lm_head.weight[EOS] *= EOS_BOOST
    ref.eval()
    path = tmp_path_factory.mktemp("eos_boosted")
    ref.save_pretrained(path)
    return ref, load_model(path, dtype=torch.float32).eval()


def page(gen: torch.Generator, grid, before: int, after: int):
    n = grid[0] * grid[1] * grid[2]
    text = lambda k: torch.randint(10, 190, (k,), generator=gen).tolist()  # noqa: E731
    prompt = [0] + text(before) + [VS] + [IMG] * (n // 4) + [VE] + text(after)
    return prompt, torch.randn(n, 1176, generator=gen), torch.tensor([grid])


def hf_alone(ref, prompt, pv, grid, max_new_tokens):
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = ref.generate(input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values=pv, image_grid_thw=grid,
                           mm_token_type_ids=(ids == IMG).int(), max_new_tokens=max_new_tokens, do_sample=False,
                           repetition_penalty=1.05, eos_token_id=EOS, pad_token_id=PAD)
    return out[0, ids.shape[1]:].tolist()


def twelve_pages():
    gen = torch.Generator().manual_seed(21)
    pages = []
    for i in range(12):
        prompt, pv, grid = page(gen, GRIDS[i % len(GRIDS)], 2 + i % 5, 1 + i % 3)
        pages.append(Request(i, prompt, pv, grid, max_new_tokens=6 + (7 * i) % 29))
    return pages


def greedy(max_new_tokens: int = 40) -> GenerationConfig:
    return GenerationConfig(max_new_tokens=max_new_tokens, repetition_penalty=1.05, eos_token_ids=[EOS],
                            pad_token_id=PAD, loop_guard=None)


def cache_gb(model, blocks: int, block_size: int) -> float:
    tc = model.config.text_config
    return blocks * bytes_per_block(tc.num_hidden_layers, block_size, tc.num_key_value_heads, tc.head_dim,
                                    torch.float32) / 2**30


def run_arriving(engine: PageEngine, requests: list[Request], first: int = 4) -> dict:
    """Submit ``first`` pages, then one more after every round: pages arrive while others decode."""
    results, pending = {}, list(requests)
    for r in pending[:first]:
        engine.submit(r)
    pending = pending[first:]
    while engine.has_work or pending:
        for done in engine.step():
            results[done.key] = done
        if pending:
            engine.submit(pending.pop(0))
    return results


@pytest.mark.slow
def test_continuous_batching_gives_each_page_its_greedy_tokens_alone(eos_pair):
    ref, ours = eos_pair
    requests = twelve_pages()
    block = 4
    # ~2.5 long pages' worth of blocks for 6 rows: prompts are chunked and rows get preempted
    engine = PageEngine(ours, greedy(), EngineConfig(max_num_seqs=6, block_size=block, prefill_chunk_tokens=48,
                                                     kv_cache_gb=cache_gb(ours, 36, block), sync_every=3))
    results = run_arriving(engine, requests)
    assert sorted(results) == list(range(12))
    reasons = set()
    for r in requests:
        expected = hf_alone(ref, list(r.prompt), r.pixel_values, r.image_grid_thw, r.max_new_tokens)
        assert results[r.key].token_ids == expected, f"page {r.key}"
        reasons.add(results[r.key].stop_reason)
    assert reasons == {"eos", "length"}  # lengths really spread: some pages end early
    assert len({len(c.token_ids) for c in results.values()}) >= 6
    assert engine.stats["preemptions"] > 0 and sum(c.preemptions for c in results.values()) > 0
    assert engine.allocator.num_used == 0 and engine.allocator.num_free == engine.allocator.num_blocks - 1


@pytest.mark.slow
def test_engine_equals_static_generate_with_loop_guard_and_roomy_cache(eos_pair):
    from qwen2_5_vl.loop_guard import LoopGuardConfig

    _, ours = eos_pair
    config = GenerationConfig(max_new_tokens=40, repetition_penalty=1.0, eos_token_ids=[EOS], pad_token_id=PAD,
                              loop_guard=LoopGuardConfig(max_period=4, min_repeats=3, min_span=6))
    requests = twelve_pages()[:6]
    engine = PageEngine(ours, config, EngineConfig(max_num_seqs=8, block_size=16, kv_cache_gb=0.01,
                                                   mixed_rounds=False))  # the separate prefill forward
    for r in requests:
        engine.submit(r)
    results = {c.key: c for c in engine.run()}
    for r in requests:
        alone = generate(ours, [list(r.prompt)], r.pixel_values, r.image_grid_thw,
                         GenerationConfig(**{**config.__dict__, "max_new_tokens": r.max_new_tokens}))[0]
        got = results[r.key]
        assert (got.token_ids, got.stop_reason, got.loop_trimmed_tokens) == (
            alone.token_ids, alone.stop_reason, alone.loop_trimmed_tokens), f"page {r.key}"


def test_decode_key_length_does_not_grow_with_max_new_tokens(monkeypatch):
    """What a decode step attends over follows the filled slots (a block bucket), not max_new_tokens."""
    from qwen2_5_vl.config import Qwen2_5_VLConfig
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).eval()
    real = F.scaled_dot_product_attention
    keys: list[tuple[int, int, bool, bool]] = []

    def spy(q, k, v, attn_mask=None, **kw):
        keys.append((q.shape[-2], k.shape[-2], attn_mask is not None, bool(kw.get("enable_gqa"))))
        return real(q, k, v, attn_mask=attn_mask, **kw)

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    seen = {}
    for max_new in (8, 4096):
        keys.clear()
        engine = PageEngine(model, GenerationConfig(max_new_tokens=max_new, eos_token_ids=[], loop_guard=None),
                            EngineConfig(max_num_seqs=2, block_size=4, kv_cache_gb=0.001, sync_every=2))
        engine.submit(Request("a", list(range(5, 15)), max_new_tokens=8))
        tokens = list(engine.run())[0].token_ids
        seen[max_new] = (list(keys), tokens)
    assert seen[8] == seen[4096]
    decode_keys = [kl for t, kl, _, _ in seen[8][0] if kl != 10]  # after the 10-token prefill
    assert max(decode_keys) <= 4 * 8  # 10 + 8 tokens -> at most 5 blocks -> an 8-block bucket of 4
    assert not any(mask and gqa for _, _, mask, gqa in seen[8][0])


def test_decode_step_compiles_fullgraph_and_gives_the_same_tokens():
    """torch.compile(fullgraph=True) of the decode step: no graph break (the CUDA-graph path needs it)."""
    from qwen2_5_vl.config import Qwen2_5_VLConfig
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).eval()
    config = GenerationConfig(max_new_tokens=6, repetition_penalty=1.05, eos_token_ids=[], loop_guard=None)
    out = {}
    for backend in (None, "eager"):
        engine = PageEngine(model, config, EngineConfig(max_num_seqs=2, block_size=4, kv_cache_gb=0.001,
                                                        compile=backend))
        engine.submit(Request(0, [5, 6, 7, 8]))
        engine.submit(Request(1, [9, 10, 11]))
        out[backend] = {c.key: c.token_ids for c in engine.run()}
    assert out[None] == out["eager"]


@pytest.mark.parametrize("vision_batch_pages,mixed", [(1, False), (6, True)])
def test_a_round_is_one_packed_prefill_and_waiting_pages_share_the_vision_pass(eos_pair, monkeypatch,
                                                                             vision_batch_pages, mixed):
    """6 pages, 2 rows: each round's prefill chunks go through one forward (mixed: the same forward
    as the decoding rows' step, whose tokens are projected with the prefills'); with vision_batch_pages=6
    the first vision pass encodes every page (the 4 waiting ones ahead), with 1 only the pages admitted
    in the round;
    tokens are the same either way and equal each page alone."""
    ref, ours = eos_pair
    requests = twelve_pages()[:6]
    vision_calls, prefill_calls, decode_rows = [], [], []
    real_vision, real_decode = ours.get_image_features, ours.decode_embeds
    monkeypatch.setattr(ours, "get_image_features", lambda pv, g: vision_calls.append(len(g)) or real_vision(pv, g))

    def decode_embeds(embeds, positions, attend, logits_to_keep=0, logits_at=None):
        if logits_at is not None:
            prefill = getattr(attend, "prefill", attend)  # MixedAttention holds the PackedPrefill
            prefill_calls.append(len(prefill.parts))
            decode_rows.append(len(logits_at) - len(prefill.parts) if mixed else 0)
        return real_decode(embeds, positions, attend, logits_to_keep, logits_at)

    monkeypatch.setattr(ours, "decode_embeds", decode_embeds)
    engine = PageEngine(ours, greedy(), EngineConfig(max_num_seqs=2, block_size=4,
                                                     vision_batch_pages=vision_batch_pages, mixed_rounds=mixed))
    for r in requests:
        engine.submit(r)
    results = {c.key: c.token_ids for c in engine.run()}
    assert vision_calls == ([6] if vision_batch_pages == 6 else [2, 1, 1, 1, 1])  # the admitted pages go together
    assert prefill_calls[0] == 2 and sum(prefill_calls) == 6  # the first round packs both rows' prompts
    assert (sum(decode_rows) > 0) == mixed  # a page admitted into a freed row prefills beside the other row's step
    for r in requests:
        assert results[r.key] == hf_alone(ref, list(r.prompt), r.pixel_values, r.image_grid_thw, r.max_new_tokens)


def test_sampling_is_seeded_and_differs_across_seeds():
    from qwen2_5_vl.config import Qwen2_5_VLConfig
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).eval()

    def run(seed, **kw):
        config = GenerationConfig(max_new_tokens=12, do_sample=True, seed=seed, temperature=1.5, eos_token_ids=[],
                                  loop_guard=None, **kw)
        engine = PageEngine(model, config, EngineConfig(max_num_seqs=2, block_size=4, kv_cache_gb=0.001))
        engine.submit(Request(0, [5, 6, 7]))
        engine.submit(Request(1, [5, 6, 7]))
        return {c.key: c.token_ids for c in engine.run()}

    first, again, other = run(3), run(3), run(4)
    assert first == again and first != other and first[0] != first[1]
    greedy_tokens = generate(model, [[5, 6, 7]], config=GenerationConfig(max_new_tokens=12, eos_token_ids=[],
                                                                         loop_guard=None))[0].token_ids
    assert run(5, top_k=1)[0] == greedy_tokens


def test_a_page_larger_than_the_cache_stops_at_length_instead_of_failing():
    from qwen2_5_vl.config import Qwen2_5_VLConfig
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).eval()
    config = GenerationConfig(max_new_tokens=64, eos_token_ids=[], loop_guard=None)
    engine = PageEngine(model, config, EngineConfig(max_num_seqs=2, block_size=4,
                                                    kv_cache_gb=cache_gb(model, 5, 4)))  # 4 usable blocks
    engine.submit(Request("huge", list(range(10, 40))))  # 30 prompt tokens > 16 slots
    engine.submit(Request("fits", [5, 6, 7]))  # 3 + 64 tokens > 16 slots: stops when the cache is full
    results = {c.key: c for c in engine.run()}
    assert results["huge"].stop_reason == "length" and results["huge"].token_ids == []
    assert results["fits"].stop_reason == "length" and 0 < len(results["fits"].token_ids) < 64
    alone = generate(model, [[5, 6, 7]], config=config)[0].token_ids
    assert results["fits"].token_ids == alone[: len(results["fits"].token_ids)]
    assert engine.allocator.num_used == 0
