"""Per-sequence generation state on the device, so a decode step never waits on the host.

One row per scheduler slot (plus a scratch row that the padding rows of a batch bucket point to).
``record(rows, logits)`` does what ``generate``'s Python loop does per token — repetition
penalty, banned ids, greedy / sampled choice, the token appended, eos / loop / length stop checks
and the loop guard's bookkeeping — as tensor ops only; the host reads ``count`` / ``finished`` /
the new tokens every few steps (``engine``).

Semantics match ``generate`` + ``loop_guard.LoopGuard`` token for token: the stop reason is eos,
else a loop, else the length limit; a finished row records nothing more.

The repetition penalty reads each row's token history (prompt + generated, ``hist``) and rewrites only
those logits (gather, penalise, scatter, as transformers does), instead of passes over a (B, vocab)
"seen" mask: on CPU the full-vocabulary passes were ~10% of a decode step.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .generate import GenerationConfig

__all__ = ["DeviceState", "REASONS"]

REASONS = {1: "eos", 2: "loop", 3: "length"}  # reason codes in DeviceState.reason (0: running)
HIST_MARGIN = 256  # history slots beyond max_new_tokens at start (grown when a longer prompt arrives)


def sample_on_device(logits: Tensor, config: GenerationConfig, generator: torch.Generator | None) -> Tensor:
    """(B, V) -> (B,): argmax, or temperature / top-k / top-p then an exponential race (no multinomial,
    which may sync): argmax(p / E) with E ~ Exp(1) draws index i with probability p_i."""
    if not config.do_sample:
        return logits.argmax(dim=-1)
    logits = logits / config.temperature
    if config.top_k and config.top_k < logits.shape[-1]:
        kth = torch.topk(logits, config.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if config.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs_sorted = sorted_logits.softmax(dim=-1)
        drop_sorted = (probs_sorted.cumsum(dim=-1) - probs_sorted) >= config.top_p
        logits = logits.masked_fill(torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted), float("-inf"))
    probs = logits.softmax(dim=-1)
    race = torch.empty_like(probs).exponential_(generator=generator)
    return (probs / race).argmax(dim=-1)


class DeviceState:
    def __init__(self, rows: int, vocab_size: int, max_new_tokens: int, config: GenerationConfig,
                 eos_ids: list[int], pad_id: int, banned_ids: list[int], device: torch.device) -> None:
        r = rows + 1  # + scratch row
        self.scratch = rows
        self.config = config
        self.cap = max_new_tokens
        self.pad_id = pad_id
        self.hist = torch.zeros((r, max_new_tokens + HIST_MARGIN), dtype=torch.long, device=device)  # seen ids
        self.hist_len = torch.zeros(r, dtype=torch.long, device=device)  # ids in hist (the rest repeat hist[:, 0])
        self.grown = False  # hist was reallocated (captured graphs hold the old one)
        self.out = torch.full((r, max_new_tokens), pad_id, dtype=torch.long, device=device)  # generated ids
        self.count = torch.zeros(r, dtype=torch.long, device=device)  # generated so far
        self.max_new = torch.ones(r, dtype=torch.long, device=device)
        self.finished = torch.ones(r, dtype=torch.bool, device=device)
        self.reason = torch.zeros(r, dtype=torch.long, device=device)
        self.last_token = torch.full((r,), pad_id, dtype=torch.long, device=device)  # next decode input
        self.position = torch.zeros(r, dtype=torch.long, device=device)  # cache slot of last_token
        self.delta = torch.zeros(r, dtype=torch.long, device=device)  # MRoPE: position = slot + delta
        self.eos = torch.tensor(eos_ids or [-1], dtype=torch.long, device=device)
        self.banned = torch.tensor(banned_ids, dtype=torch.long, device=device)
        self.generator = None
        if config.do_sample:
            self.generator = torch.Generator(device=device)
            if config.seed is not None:
                self.generator.manual_seed(config.seed)
            else:
                self.generator.seed()
        guard = config.loop_guard
        self.guard = guard
        if guard is not None:
            self.periods = torch.arange(1, guard.max_period + 1, device=device)  # (P,)
            self.need = torch.tensor([guard.threshold(p) for p in range(1, guard.max_period + 1)], device=device)
            self.run = torch.zeros((r, guard.max_period), dtype=torch.long, device=device)
        self.loop_period = torch.zeros(r, dtype=torch.long, device=device)
        self.loop_span = torch.zeros(r, dtype=torch.long, device=device)

    # ---------------------------------------------------------------------------------------------
    def load(self, row: int, prompt: list[int], generated: list[int], max_new: int, position: int, delta: int,
             run: Tensor | None = None) -> None:
        """(Re)start a row: a fresh sequence (``generated`` empty) or one recomputed after preemption."""
        device = self.hist.device
        ids = prompt + generated
        if len(prompt) + self.cap > self.hist.shape[1]:  # room for the prompt and every token it may make
            wider = self.hist.new_zeros((self.hist.shape[0], 2 * (len(prompt) + self.cap)))
            wider[:, : self.hist.shape[1]] = self.hist
            self.hist, self.grown = wider, True
        self.hist[row] = ids[0]  # filler: an id the row has seen, so gathering it changes nothing
        self.hist[row, : len(ids)] = torch.tensor(ids, dtype=torch.long, device=device)
        self.hist_len[row] = len(ids)
        if generated:
            self.out[row, : len(generated)] = torch.tensor(generated, dtype=torch.long, device=device)
            self.last_token[row] = generated[-1]
        self.count[row] = len(generated)
        self.max_new[row] = max_new
        self.finished[row] = False
        self.reason[row] = 0
        self.position[row] = position
        self.delta[row] = delta
        self.loop_period[row] = 0
        self.loop_span[row] = 0
        if self.guard is not None:
            self.run[row] = run.to(device) if run is not None else 0

    def save_run(self, row: int) -> Tensor | None:
        """The loop guard's run lengths of a row being preempted (restored by ``load``)."""
        return self.run[row].cpu() if self.guard is not None else None

    def release(self, row: int) -> None:
        self.finished[row] = True

    # ---------------------------------------------------------------------------------------------
    def record(self, rows: Tensor, logits: Tensor, width: int | None = None) -> Tensor:
        """Choose and record the next token of ``rows`` (B,) from logits (B, V); returns the tokens (B,).

        ``width``: history slots to read, at least the rows' ids so far (None: all of them; a fixed
        width keeps a captured step's shapes)."""
        config = self.config
        penalty = config.repetition_penalty
        if penalty != 1.0:  # transformers' rule on every id already in the row: gather, penalise, scatter
            hist = self.hist[rows] if width is None else self.hist[rows, :width]  # (B, W)
            score = logits.gather(1, hist)
            logits = logits.scatter(1, hist, torch.where(score < 0, score * penalty, score / penalty))
            if self.banned.numel():
                logits.index_fill_(1, self.banned, float("-inf"))
        elif self.banned.numel():
            logits = logits.index_fill(1, self.banned, float("-inf"))
        nxt = sample_on_device(logits, config, self.generator)  # (B,)
        live = ~self.finished[rows]
        nxt = torch.where(live, nxt, torch.full_like(nxt, self.pad_id))
        n = self.count[rows]  # index of this token in the output
        loop_hit = torch.zeros_like(live)
        if self.guard is not None:
            loop_hit = self._guard_step(rows, nxt, n, live)
        self.out[rows, n.clamp(max=self.cap - 1)] = torch.where(live, nxt, self.out[rows, n.clamp(max=self.cap - 1)])
        at = self.hist_len[rows].clamp(max=self.hist.shape[1] - 1)
        self.hist[rows, at] = torch.where(live, nxt, self.hist[rows, at])
        self.hist_len[rows] = self.hist_len[rows] + live.long()
        self.count[rows] = n + live.long()
        eos_hit = (nxt[:, None] == self.eos[None, :]).any(dim=-1) & live  # (isin may sort: kept simple)
        loop_hit = loop_hit & live & ~eos_hit
        length_hit = ((n + 1) >= self.max_new[rows]) & live & ~eos_hit & ~loop_hit
        code = torch.where(eos_hit, 1, torch.where(loop_hit, 2, torch.where(length_hit, 3, 0)))
        self.reason[rows] = torch.where(live, code, self.reason[rows])
        self.finished[rows] = self.finished[rows] | eos_hit | loop_hit | length_hit
        self.last_token[rows] = nxt
        return nxt

    def _guard_step(self, rows: Tensor, nxt: Tensor, n: Tensor, live: Tensor) -> Tensor:
        """LoopGuard.step on the device: run[p] = consecutive tokens equal to the one p places before."""
        back = n[:, None] - self.periods[None, :]  # (B, P)
        prev = self.out[rows[:, None], back.clamp(min=0)]  # (B, P)
        same = (prev == nxt[:, None]) & (back >= 0)
        old = self.run[rows]
        run = torch.where(same, old + 1, torch.zeros_like(old))
        run = torch.where(live[:, None], run, old)
        self.run[rows] = run
        tail = run + self.periods[None, :]  # (B, P) periodic tail length
        hit = (run > 0) & (tail >= self.need[None, :])
        any_hit = hit.any(dim=-1) & live
        first = hit.int().argmax(dim=-1)  # the shortest qualifying period - 1
        span = tail.gather(1, first[:, None]).squeeze(1)
        self.loop_period[rows] = torch.where(any_hit, first + 1, self.loop_period[rows])
        self.loop_span[rows] = torch.where(any_hit, span, self.loop_span[rows])
        return any_hit
