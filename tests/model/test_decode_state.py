"""DeviceState: the repetition penalty over each row's token history equals generate's rule over a
(B, vocab) seen mask, step after step, including after the history grows for a long prompt."""

from __future__ import annotations

import torch

from qwen2_5_vl.decode_state import HIST_MARGIN, DeviceState
from qwen2_5_vl.generate import GenerationConfig, apply_repetition_penalty


def test_history_penalty_equals_the_seen_mask_rule_and_grows_for_long_prompts():
    gen = torch.Generator().manual_seed(3)
    vocab, penalty, banned = 64, 1.7, [5]
    config = GenerationConfig(max_new_tokens=6, repetition_penalty=penalty, loop_guard=None)
    state = DeviceState(3, vocab, 6, config, eos_ids=[-1], pad_id=0, banned_ids=banned, device=torch.device("cpu"))
    lengths = [4, HIST_MARGIN + 40, 1]  # the second prompt does not fit the first history: it grows
    prompts = [torch.randint(0, vocab, (n,), generator=gen).tolist() for n in lengths]
    seen = torch.zeros(3, vocab, dtype=torch.bool)
    for row, prompt in enumerate(prompts):
        state.load(row, prompt, [], 6, len(prompt), 0)
        seen[row, prompt] = True
    assert state.grown and state.hist.shape[1] >= lengths[1] + 6
    rows = torch.arange(3)
    for step in range(6):
        logits = torch.randn(3, vocab, generator=gen) * 3
        expected = apply_repetition_penalty(logits, seen, penalty)
        expected[:, banned] = float("-inf")
        width = None if step % 2 else max(lengths) + step  # the engine's exact width, or all of it
        got = state.record(rows, logits.clone(), width)
        assert got.tolist() == expected.argmax(-1).tolist(), f"step {step}"
        seen[rows, got] = True
    assert state.hist_len.tolist()[:3] == [n + 6 for n in lengths]
