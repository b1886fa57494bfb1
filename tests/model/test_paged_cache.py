"""Paged KV cache: attention through block tables equals the dense reference; the allocator and the
scheduler never leak or share a block (hypothesis), and preemption recovers the same tokens."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qwen2_5_vl.attention import expand_kv
from qwen2_5_vl.kv_cache import NULL_BLOCK, BlockAllocator, OutOfBlocks, PagedKVCache, blocks_needed
from qwen2_5_vl.paged_attention import PackedPrefill, PagedDecode, PagedPrefill, slots_for
from qwen2_5_vl.scheduler import DECODE, Scheduler, Sequence


def dense(q, k, v, mask):
    k, v = expand_kv(k, q.shape[1]), expand_kv(v, q.shape[1])
    scores = (q @ k.transpose(-1, -2)) / q.shape[-1] ** 0.5
    return scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v


@pytest.mark.parametrize("heads,kv_heads", [(4, 2), (4, 4), (6, 1)])
def test_paged_prefill_chunks_and_decode_equal_dense_attention(heads, kv_heads):
    gen = torch.Generator().manual_seed(0)
    bs, d, lengths = 4, 8, [13, 6, 9]
    cache = PagedKVCache(1, 32, bs, kv_heads, d, dtype=torch.float32)
    alloc = BlockAllocator(32)
    perm = torch.randperm(31, generator=gen).tolist()  # scattered blocks, not in order
    tables, keys, vals = [], [], []
    for n in lengths:
        blocks = [alloc.allocate(1)[0] for _ in range(blocks_needed(n + 1, bs))]
        blocks = [perm[b - 1] + 1 for b in blocks]
        tables.append(blocks)
        k, v = torch.randn(2, 1, kv_heads, n, d, generator=gen)
        keys.append(k)
        vals.append(v)
        for start in range(0, n, 5):  # prefill in chunks of 5: later chunks read earlier ones back
            end = min(n, start + 5)
            q = torch.randn(1, heads, end - start, d, generator=gen)
            out = PagedPrefill(cache, torch.tensor(blocks), start, end - start)(0, q, k[:, :, start:end],
                                                                                  v[:, :, start:end])
            causal = torch.arange(end)[None, :] <= torch.arange(start, end)[:, None]
            expected = dense(q, k[:, :, :end], v[:, :, :end], causal.view(1, 1, end - start, end))
            torch.testing.assert_close(out, expected)
    # one decode token per sequence, batched, block tables padded with the null block
    width = max(map(len, tables))
    table = torch.tensor([t + [NULL_BLOCK] * (width - len(t)) for t in tables])
    pos = torch.tensor(lengths)
    q = torch.randn(3, heads, 1, d, generator=gen)
    k_new, v_new = torch.randn(2, 3, kv_heads, 1, d, generator=gen)
    out = PagedDecode(cache, table, pos + 1, slots_for(table, pos, bs))(0, q, k_new, v_new)
    for b, n in enumerate(lengths):
        k_all = torch.cat([keys[b], k_new[b:b + 1]], dim=2)
        v_all = torch.cat([vals[b], v_new[b:b + 1]], dim=2)
        expected = dense(q[b:b + 1], k_all, v_all, torch.ones(1, 1, 1, n + 1, dtype=torch.bool))
        torch.testing.assert_close(out[b:b + 1], expected)


@pytest.mark.parametrize("heads,kv_heads", [(4, 2), (6, 1)])
def test_packed_prefill_of_several_sequences_equals_dense_attention(heads, kv_heads):
    """Chunks of three sequences packed in one call (first chunks from slot 0, then later chunks over
    cached slots) give each sequence its own causal attention, and fill the cache as chunk by chunk."""
    gen = torch.Generator().manual_seed(1)
    bs, d, lengths, cut = 4, 8, [11, 5, 9], [6, 5, 4]  # the second sequence is whole in the first round
    cache = PagedKVCache(1, 32, bs, kv_heads, d, dtype=torch.float32)
    alloc = BlockAllocator(32)
    tables = [alloc.allocate(blocks_needed(n, bs)) for n in lengths]
    k, v = torch.randn(2, 3, kv_heads, max(lengths), d, generator=gen)
    q = torch.randn(3, heads, max(lengths), d, generator=gen)
    for lo, hi in ([0] * 3, cut), (cut, lengths):  # round 1: slots [0, cut), round 2: [cut, n)
        seqs = [i for i in range(3) if hi[i] > lo[i]]
        attend = PackedPrefill(cache, [PagedPrefill(cache, torch.tensor(tables[i]), lo[i], hi[i] - lo[i])
                                       for i in seqs])
        pack = lambda x: torch.cat([x[i:i + 1, :, lo[i]:hi[i]] for i in seqs], dim=2)  # noqa: E731
        out = attend(0, pack(q), pack(k), pack(v))  # (1, H, N, D)
        at = 0
        for i in seqs:
            t = hi[i] - lo[i]
            causal = torch.arange(hi[i])[None, :] <= torch.arange(lo[i], hi[i])[:, None]
            expected = dense(q[i:i + 1, :, lo[i]:hi[i]], k[i:i + 1, :, :hi[i]], v[i:i + 1, :, :hi[i]],
                             causal.view(1, 1, t, hi[i]))
            torch.testing.assert_close(out[:, :, at:at + t], expected)
            at += t
    for i, n in enumerate(lengths):  # the cache holds every sequence's keys in its own blocks
        k_all, _ = cache.gather(0, torch.tensor([tables[i]]))
        torch.testing.assert_close(k_all[:, :, :n], k[i:i + 1, :, :n])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 9)), max_size=60), st.integers(2, 24))
def test_allocator_never_leaks_or_shares_a_block(ops, num_blocks):
    alloc = BlockAllocator(num_blocks)
    held: list[list[int]] = []
    for grow, n in ops:
        if grow or not held:
            if n > alloc.num_free:
                with pytest.raises(OutOfBlocks):
                    alloc.allocate(n)
                continue
            held.append(alloc.allocate(n))
        else:
            alloc.release(held.pop(n % len(held)))
        flat = [b for h in held for b in h]
        assert len(flat) == len(set(flat))  # never shared
        assert NULL_BLOCK not in flat and all(0 < b < num_blocks for b in flat)
        assert alloc.num_free + len(flat) == num_blocks - 1  # never leaked
    with pytest.raises(ValueError, match="double free"):
        alloc.release([NULL_BLOCK])


@settings(max_examples=150, deadline=None)
@given(prompts=st.lists(st.tuples(st.integers(1, 30), st.integers(1, 25)), min_size=1, max_size=10),
       num_blocks=st.integers(9, 40), block_size=st.sampled_from([1, 2, 4, 8]), rows=st.integers(1, 4),
       steps=st.integers(1, 4), chunk=st.integers(1, 32), stop_at=st.integers(0, 10**6))
def test_scheduler_bookkeeping_under_preemption(prompts, num_blocks, block_size, rows, steps, chunk, stop_at):
    """Host-only simulation: tokens 'generated' one per step; blocks always cover what is held."""
    alloc = BlockAllocator(num_blocks)
    sched = Scheduler(alloc, block_size, rows, chunk)
    for i, (p, m) in enumerate(prompts):
        sched.add(Sequence(i, [7] * p, m))
    finished = {}
    for _ in range(2000):
        if not sched.has_work:
            break
        for seq in sched.take_too_large():
            finished[seq.key] = seq
        for c in sched.prefill_work():
            assert c.length > 0 and c.start == c.seq.prefilled
            assert blocks_needed(c.start + c.length, block_size) <= len(c.seq.blocks)
            sched.prefilled(c)
            if c.last and not c.seq.generated:
                c.seq.generated.append(0)  # the prefill's first token
        ready, preempted, starved = sched.reserve_decode(steps)
        for s in starved:
            sched.finish(s, "length")
            finished[s.key] = s
        for s in ready:  # `steps` tokens each, stopping at the limit
            for _ in range(steps):
                if len(s.generated) < s.max_new_tokens:
                    s.generated.append(len(s.generated))
            assert blocks_needed(s.cache_len, block_size) <= len(s.blocks)  # every written token
            if len(s.generated) >= s.max_new_tokens or (s.key * 7919 + len(s.generated)) % 97 == stop_at % 97:
                sched.finish(s, "length")
                finished[s.key] = s
        held = [b for s in sched.admitted for b in s.blocks]
        assert len(held) == len(set(held)) == alloc.num_used  # no block shared, none leaked
        for s in sched.admitted:  # memory held follows tokens held (a prompt's blocks come at admission)
            if s.status == DECODE:
                assert len(s.blocks) <= blocks_needed(s.cache_len + steps + 1, block_size)
            else:
                assert len(s.blocks) == blocks_needed(s.prefill_target + 1, block_size)
    assert not sched.has_work and alloc.num_used == 0 and sorted(finished) == list(range(len(prompts)))


@pytest.fixture(scope="module")
def tiny_model():
    from qwen2_5_vl.config import Qwen2_5_VLConfig
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    return Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).eval()


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(lengths=st.lists(st.tuples(st.integers(1, 20), st.integers(1, 20)), min_size=2, max_size=6),
       num_blocks=st.integers(8, 16), sync_every=st.integers(1, 3), mixed=st.booleans())
def test_preemption_recovers_the_same_tokens(tiny_model, lengths, num_blocks, sync_every, mixed):
    from qwen2_5_vl.engine import EngineConfig, PageEngine, Request
    from qwen2_5_vl.generate import GenerationConfig, generate
    from qwen2_5_vl.kv_cache import bytes_per_block

    tc = tiny_model.config.text_config
    gb = num_blocks * bytes_per_block(tc.num_hidden_layers, 4, tc.num_key_value_heads, tc.head_dim,
                                      torch.float32) / 2**30
    config = GenerationConfig(max_new_tokens=20, repetition_penalty=1.05, eos_token_ids=[], loop_guard=None)
    engine = PageEngine(tiny_model, config, EngineConfig(max_num_seqs=3, block_size=4, kv_cache_gb=gb,
                                                         prefill_chunk_tokens=8, sync_every=sync_every,
                                                         mixed_rounds=mixed))
    prompts = [[(7 * i + j) % 190 + 5 for j in range(p)] for i, (p, _) in enumerate(lengths)]
    for i, (prompt, (_, m)) in enumerate(zip(prompts, lengths)):
        engine.submit(Request(i, prompt, max_new_tokens=m))
    results = {c.key: c for c in engine.run()}
    assert engine.allocator.num_used == 0
    for i, (prompt, (_, m)) in enumerate(zip(prompts, lengths)):
        got = results[i]
        alone = generate(tiny_model, [prompt], config=GenerationConfig(**{**config.__dict__, "max_new_tokens": m}))[0]
        if got.stop_reason == "length" and len(got.token_ids) < m:  # the cache cannot hold it even alone
            assert blocks_needed(len(prompt) + m, 4) > num_blocks - 2
            assert got.token_ids == alone.token_ids[: len(got.token_ids)]
        else:
            assert got.token_ids == alone.token_ids
