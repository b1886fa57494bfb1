"""Batched generation for Qwen2.5-VL: prefill, one-token decode steps, sampling, stop rules.

gpt-fast style: small functions over explicit tensors, a static KV cache, left-padded prompts.

    results = generate(model, [prompt_ids_a, prompt_ids_b], pixel_values, image_grid_thw,
                       GenerationConfig(max_new_tokens=4096, repetition_penalty=1.05), tokenizer=tok)

Positions: prefill positions come from `rope.get_rope_index`; the token in cache slot s decodes at
position `s + rope_delta` on all three MRoPE axes. Padding slots are masked out of attention, so a
row of a batch computes what it would compute alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import Tensor

from .loop_guard import LoopGuard, LoopGuardConfig
from .rope import get_rope_index

STOP_EOS = "eos"
STOP_LENGTH = "length"
STOP_LOOP = "loop"

# on_token(row, token_id, text): called for every generated token of an unfinished row; `text` is
# the newly completed UTF-8 text ("" without a tokenizer or while a character is incomplete).
# Streamed text is what was generated: a row stopped as a loop later has its repeats trimmed from
# GenerationResult.token_ids/text, not from what was already streamed.
TokenCallback = Callable[[int, int, str], None]


@dataclass
class GenerationConfig:
    max_new_tokens: int = 1024
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1.0: off
    repetition_penalty: float = 1.0  # 1.0: off; Qwen2.5-VL checkpoints ship 1.05
    eos_token_ids: Sequence[int] | None = None  # None: the model config's and the tokenizer's eos ids
    pad_token_id: int | None = None  # None: the first eos id
    seed: int | None = None  # sampling: a fixed seed gives the same tokens
    loop_guard: LoopGuardConfig | None = field(default_factory=LoopGuardConfig)  # None: off


@dataclass
class GenerationResult:
    token_ids: list[int]  # generated ids, the stop token included (eos), loop repeats trimmed
    stop_reason: str  # "eos" | "length" | "loop"
    text: str | None  # decoded without special tokens, when a tokenizer was given
    prompt_tokens: int
    prefill_seconds: float  # whole batch: vision tower + prompt pass
    decode_seconds: float  # from the end of prefill to this row's last token
    decode_tokens_per_second: float  # tokens produced by decode steps / decode_seconds
    loop_trimmed_tokens: int = 0  # repeats removed after a loop was detected


# -------------------------------------------------------------------------------------------------
# Inputs
# -------------------------------------------------------------------------------------------------
def left_pad(prompts: Sequence[Sequence[int]], pad_id: int, device: torch.device | None = None) -> tuple[Tensor, Tensor]:
    """Prompts -> input_ids (B, T) left-padded with `pad_id`, attention_mask (B, T) 1 real / 0 pad."""
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        input_ids[row, width - len(prompt):] = torch.tensor(list(prompt), dtype=torch.long)
        mask[row, width - len(prompt):] = 1
    return input_ids.to(device), mask.to(device)


def _eos_ids(model, config: GenerationConfig, tokenizer=None) -> list[int]:
    """Stop ids: the config's if given, else the model's eos plus the tokenizer's (<|im_end|>,
    <|endoftext|>): a checkpoint's config.json names only one of them."""
    if config.eos_token_ids is not None:
        return [int(i) for i in config.eos_token_ids]
    eos = model.config.eos_token_id
    ids = [] if eos is None else list(eos) if isinstance(eos, (list, tuple)) else [eos]
    ids += list(tokenizer.eos_ids) if tokenizer is not None else []
    return list(dict.fromkeys(int(i) for i in ids))


def _vocab_size(model) -> int:
    return int(model.config.text_config.vocab_size)


def _banned_ids(model) -> list[int]:
    """Vision placeholder ids: only the prompt may hold them (a sampled one has no pixels behind it)."""
    return [int(i) for i in (model.config.image_token_id, model.config.video_token_id) if i is not None]


# -------------------------------------------------------------------------------------------------
# Model steps
# -------------------------------------------------------------------------------------------------
def prefill(model, input_ids: Tensor, attention_mask: Tensor, pixel_values: Tensor | None,
            image_grid_thw: Tensor | None, kv_cache) -> tuple[Tensor, Tensor]:
    """Run the whole prompt; returns (last-position logits (B, V) float32, rope_deltas (B, 1))."""
    position_ids, rope_deltas = get_rope_index(input_ids, image_grid_thw, attention_mask, model.config)
    cache_position = torch.arange(input_ids.shape[1], device=input_ids.device)
    logits = model(input_ids, position_ids, attention_mask=attention_mask, pixel_values=pixel_values,
                   image_grid_thw=image_grid_thw, kv_cache=kv_cache, cache_position=cache_position,
                   logits_to_keep=1)
    return logits[:, -1].float(), rope_deltas.to(input_ids.device)


def decode_one(model, tokens: Tensor, slot: int, rope_deltas: Tensor, attention_mask: Tensor, kv_cache) -> Tensor:
    """One step: tokens (B,) placed at cache `slot` -> next-token logits (B, V) float32.

    attention_mask (B, slot + 1) covers every cache slot up to and including this one.
    """
    bsz = tokens.shape[0]
    cache_position = torch.tensor([slot], device=tokens.device)
    position_ids = (cache_position.view(1, 1) + rope_deltas).view(1, bsz, 1).expand(3, bsz, 1)  # (3, B, 1)
    logits = model(tokens.view(bsz, 1), position_ids, attention_mask=attention_mask,
                   kv_cache=kv_cache, cache_position=cache_position)
    return logits[:, -1].float()


# -------------------------------------------------------------------------------------------------
# Logits processing and sampling
# -------------------------------------------------------------------------------------------------
def apply_repetition_penalty(logits: Tensor, seen: Tensor, penalty: float) -> Tensor:
    """transformers' rule over every token id already in the row (prompt included):
    positive logits are divided by `penalty`, negative ones multiplied. seen: (B, V) bool."""
    if penalty == 1.0:
        return logits
    penalized = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen, penalized, logits)


def sample(logits: Tensor, config: GenerationConfig, generator: torch.Generator | None = None) -> Tensor:
    """Next tokens (B,) from processed logits (B, V): argmax, or temperature -> top-k -> top-p -> draw."""
    if not config.do_sample:
        return logits.argmax(dim=-1)
    if config.temperature <= 0:
        raise ValueError("temperature must be > 0 when sampling (use do_sample=False for greedy)")
    logits = logits / config.temperature
    if config.top_k and config.top_k < logits.shape[-1]:
        kth = torch.topk(logits, config.top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if config.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        # Drop a token when the tokens ranked above it already reach top_p; the best always stays.
        drop_sorted = (cumulative - sorted_logits.softmax(dim=-1)) >= config.top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    probs = logits.softmax(dim=-1)
    return torch.multinomial(probs, 1, generator=generator).view(-1)


def check_stop(tokens: list[int], eos_ids: set[int], generated: list[int], max_new_tokens: int,
               loops: list[int | None], finished: list[str | None]) -> None:
    """Mark rows that stop after this step: eos token, a detected loop, or the token limit.

    tokens: this step's token per row; generated: tokens so far per row (this step included);
    loops: loop period per row or None; finished: stop reason per row, updated in place.
    """
    for row, token in enumerate(tokens):
        if finished[row] is not None:
            continue
        if token in eos_ids:
            finished[row] = STOP_EOS
        elif loops[row] is not None:
            finished[row] = STOP_LOOP
        elif generated[row] >= max_new_tokens:
            finished[row] = STOP_LENGTH


def _emit(tokens: list[int], live: list[bool], out: list[list[int]], streams: list | None,
          on_token: TokenCallback | None) -> None:
    """Append this step's tokens to the live rows and stream them."""
    for row, token in enumerate(tokens):
        if not live[row]:
            continue
        out[row].append(token)
        if on_token is not None:
            on_token(row, token, streams[row].push(token) if streams is not None else "")


def _device_sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# -------------------------------------------------------------------------------------------------
# The loop
# -------------------------------------------------------------------------------------------------
@torch.inference_mode()
def generate(
    model,
    prompts: Sequence[Sequence[int]],
    pixel_values: Tensor | None = None,
    image_grid_thw: Tensor | None = None,
    config: GenerationConfig | None = None,
    tokenizer=None,
    on_token: TokenCallback | None = None,
) -> list[GenerationResult]:
    """Generate for a batch of prompts (token id lists with `<|image_pad|>` already expanded).

    pixel_values (N, 1176) / image_grid_thw (I, 3) hold every image of every prompt, in the order
    the image tokens appear, row after row.
    """
    config = config or GenerationConfig()
    if config.max_new_tokens < 1:
        raise ValueError("max_new_tokens must be >= 1")
    param = next(model.parameters())
    device, dtype = param.device, param.dtype
    eos_ids = _eos_ids(model, config, tokenizer)
    pad_id = config.pad_token_id if config.pad_token_id is not None else (eos_ids[0] if eos_ids else 0)
    input_ids, prompt_mask = left_pad(prompts, pad_id, device)
    bsz, prompt_len = input_ids.shape
    total_len = prompt_len + config.max_new_tokens
    if pixel_values is not None:
        pixel_values = pixel_values.to(device=device, dtype=dtype)
        image_grid_thw = image_grid_thw.to(device)

    # Attention over cache slots: prompt mask, then one real slot per decode step.
    attention_mask = torch.zeros((bsz, total_len), dtype=torch.long, device=device)
    attention_mask[:, :prompt_len] = prompt_mask
    seen = torch.zeros((bsz, _vocab_size(model)), dtype=torch.bool, device=device)  # for the penalty
    seen.scatter_(1, input_ids, prompt_mask.bool())
    banned = torch.tensor(_banned_ids(model), dtype=torch.long, device=device)
    generator = None
    if config.do_sample:
        generator = torch.Generator(device=device)
        if config.seed is not None:
            generator.manual_seed(config.seed)
        else:
            generator.seed()  # fresh random seed for this generator only, global RNG untouched
    guard = LoopGuard(bsz, config.max_new_tokens, config.loop_guard) if config.loop_guard else None
    streams = [tokenizer.stream_decoder() for _ in range(bsz)] if (tokenizer and on_token) else None

    start = time.perf_counter()
    kv_cache = model.setup_cache(bsz, total_len, device=device, dtype=dtype)
    logits, rope_deltas = prefill(model, input_ids, prompt_mask, pixel_values, image_grid_thw, kv_cache)
    _device_sync(device)
    prefill_seconds = time.perf_counter() - start

    out: list[list[int]] = [[] for _ in range(bsz)]
    finished: list[str | None] = [None] * bsz
    done_at = [0.0] * bsz
    loop_cut: list[int] = [0] * bsz
    eos_set = set(eos_ids)
    decode_start = time.perf_counter()
    slot = prompt_len
    while True:
        logits = apply_repetition_penalty(logits, seen, config.repetition_penalty)
        logits[:, banned] = float("-inf")
        next_tokens = sample(logits, config, generator)  # (B,)
        live = [f is None for f in finished]
        # Finished rows keep stepping (static shapes) on pad tokens whose output is ignored.
        next_tokens = torch.where(torch.tensor(live, device=device), next_tokens, torch.full_like(next_tokens, pad_id))
        tokens = next_tokens.tolist()
        _emit(tokens, live, out, streams, on_token)
        loops = guard.step(next_tokens.cpu(), live) if guard is not None else [None] * bsz
        check_stop(tokens, eos_set, [len(o) for o in out], config.max_new_tokens, loops, finished)
        now = time.perf_counter()
        for row in range(bsz):
            if live[row] and finished[row] is not None:
                done_at[row] = now - decode_start
                if finished[row] == STOP_LOOP:
                    loop_cut[row] = guard.trim_length(row)
        if all(f is not None for f in finished):
            break
        live_rows = torch.tensor([r for r in range(bsz) if live[r]], dtype=torch.long, device=device)
        seen[live_rows, next_tokens[live_rows]] = True
        attention_mask[:, slot] = 1
        logits = decode_one(model, next_tokens, slot, rope_deltas, attention_mask[:, : slot + 1], kv_cache)
        slot += 1
    _device_sync(device)

    results = []
    for row in range(bsz):
        ids = out[row][: len(out[row]) - loop_cut[row]]
        steps = max(len(out[row]) - 1, 0)  # the first token comes from the prefill logits
        seconds = done_at[row]
        results.append(GenerationResult(
            token_ids=ids,
            stop_reason=finished[row],
            text=tokenizer.decode(ids) if tokenizer is not None else None,
            prompt_tokens=len(prompts[row]),
            prefill_seconds=prefill_seconds,
            decode_seconds=seconds,
            decode_tokens_per_second=steps / seconds if seconds > 0 else 0.0,
            loop_trimmed_tokens=loop_cut[row],
        ))
    return results
