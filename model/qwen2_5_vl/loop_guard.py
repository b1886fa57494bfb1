"""Loop guard: stop a row that keeps repeating the same span of tokens.

A row is looping when its last L generated tokens are periodic with a period p <= max_period
(token[i] == token[i - p] throughout) and L >= max(min_repeats * p, min_span).

For every period p the guard keeps `run[p]`, the number of consecutive latest tokens equal to the
token p places before, so the periodic tail for p is `run[p] + p` long. One step costs O(max_period)
per row, whatever the length of the output.

Defaults (see `LoopGuardConfig`): a loop is a tail of >= 1024 tokens with period <= 512 (so at
least 4 copies of a long span, many more of a short one). Measured with the Qwen2 tokenizer on the
shared corpus ground truth (OmniDocBench pages with HTML tables, docling/MinerU/pymupdf4llm Markdown
and DocTags, the QwenVL HTML examples: 70+ documents of up to 22k tokens), the longest real
periodic tail is 709 tokens (p=441: a block written twice) and no real tail exceeds ~50% of its
threshold; short periods stay far lower (253 tokens at p=85; a blank form of 12 rows x 6 empty cells
is 336 tokens at p=28). Real content repeats a long span about twice, loops repeat it forever: the
defaults leave a 2x margin above real markup and cut a
runaway loop after ~1k extra tokens instead of letting it run to max_new_tokens (thousands).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class LoopGuardConfig:
    max_period: int = 512  # longest repeating span looked for, in tokens (a long table row or paragraph)
    min_repeats: int = 4  # the span must occur at least this many times in a row ...
    min_span: int = 1024  # ... and the repeated tail must be at least this many tokens

    def __post_init__(self) -> None:
        if self.max_period < 1 or self.min_repeats < 2 or self.min_span < 1:
            raise ValueError("LoopGuardConfig needs max_period >= 1, min_repeats >= 2, min_span >= 1")

    def threshold(self, period: int) -> int:
        """Tail length (tokens) at which a tail of this period counts as a loop."""
        return max(self.min_repeats * period, self.min_span)


class LoopGuard:
    """Incremental periodicity detector over the generated tokens of a batch."""

    def __init__(self, batch_size: int, max_len: int, config: LoopGuardConfig):
        self.config = config
        self.periods = torch.arange(1, config.max_period + 1)  # (P,)
        self.need = torch.tensor([config.threshold(int(p)) for p in self.periods])  # (P,)
        self.history = torch.zeros((batch_size, max_len), dtype=torch.long)  # (B, max_len)
        self.run = torch.zeros((batch_size, config.max_period), dtype=torch.long)  # (B, P)
        self.length = torch.zeros(batch_size, dtype=torch.long)  # tokens seen per row
        self.period: list[int | None] = [None] * batch_size
        self.span: list[int] = [0] * batch_size

    def step(self, tokens: Tensor, live: list[bool]) -> list[int | None]:
        """Add this step's token (B,) for the live rows; returns the loop period per row (or None)."""
        tokens = tokens.to("cpu", torch.long)
        rows = torch.tensor([r for r, alive in enumerate(live) if alive], dtype=torch.long)
        result: list[int | None] = [None] * len(live)
        if rows.numel() == 0:
            return result
        n = self.length[rows]  # (R,)
        back = n[:, None] - self.periods[None, :]  # (R, P) index of the token p places before
        prev = self.history[rows[:, None], back.clamp(min=0)]  # (R, P)
        same = (prev == tokens[rows][:, None]) & (back >= 0)
        run = torch.where(same, self.run[rows] + 1, torch.zeros_like(self.run[rows]))
        self.run[rows] = run
        self.history[rows, n.clamp(max=self.history.shape[1] - 1)] = tokens[rows]
        self.length[rows] = n + 1
        tail = run + self.periods[None, :]  # (R, P) periodic tail length
        hit = (run > 0) & (tail >= self.need[None, :])
        for i, row in enumerate(rows.tolist()):
            found = torch.nonzero(hit[i])
            if found.numel():
                p = int(found[0, 0])  # the shortest period that qualifies
                self.period[row] = p + 1
                self.span[row] = int(tail[i, p])
                result[row] = p + 1
        return result

    def trim_length(self, row: int) -> int:
        """Tokens to drop from the end of a looping row to keep one copy of the repeated span."""
        period = self.period[row]
        return 0 if period is None else self.span[row] - period


def longest_periodic_tails(tokens: list[int], max_period: int) -> dict[int, int]:
    """For each period p, the longest p-periodic run anywhere in `tokens` (for tuning the guard)."""
    best: dict[int, int] = {}
    for p in range(1, max_period + 1):
        run = longest = 0
        for i in range(p, len(tokens)):
            run = run + 1 if tokens[i] == tokens[i - p] else 0
            longest = max(longest, run)
        if longest:
            best[p] = longest + p
    return best
