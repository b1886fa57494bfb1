"""Continuous batching over the paged cache: who prefills, who decodes, who gives blocks back.

Sequences wait in arrival order. Each scheduling round:

1. ``prefill_work``: up to ``prefill_chunk_tokens`` prompt tokens: first the chunks of sequences
   already prefilling, then new sequences, admitted while a device row is free and the free blocks
   cover the whole prompt (so an admitted prompt never stalls half-way for want of blocks). A long
   prompt is cut into chunks, so the decoding rows step between its chunks.
2. ``reserve_decode(k)``: every decoding sequence gets the blocks for its next ``k`` tokens. When
   the free blocks do not cover that, the most recently admitted sequence is preempted: its blocks
   are freed and it goes back to the front of the queue, to be recomputed (prompt + the tokens it
   had) when blocks are free again. Nothing ever allocates past the budget.
3. ``finish``: a finished sequence returns its blocks and its row at once, and the next round
   admits a waiting one in its place.

The scheduler is host-only bookkeeping (Python ints and lists); the engine runs the model.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from torch import Tensor

from .kv_cache import BlockAllocator, blocks_needed

__all__ = ["Sequence", "Scheduler", "PrefillChunk", "WAITING", "PREFILL", "DECODE", "FINISHED"]

WAITING, PREFILL, DECODE, FINISHED = "waiting", "prefill", "decode", "finished"


@dataclass(eq=False)
class Sequence:
    key: Any
    prompt: list[int]
    max_new_tokens: int
    pixel_values: Tensor | None = None  # (N, 1176) of this page's images
    image_grid_thw: Tensor | None = None  # (I, 3)
    status: str = WAITING
    row: int | None = None  # device state row while admitted
    blocks: list[int] = field(default_factory=list)
    prefilled: int = 0  # tokens of the prefill target already in the cache
    generated: list[int] = field(default_factory=list)  # as last seen by the host
    first_pending: bool = False  # its prefill recorded a first token the host has not read yet
    admitted_at: int = -1  # admission counter: the newest is preempted first
    preemptions: int = 0
    stop_reason: str | None = None
    loop_trim: int = 0
    saved_run: Tensor | None = None  # loop guard state kept across a preemption
    inputs: Any = None  # engine-side prepared prefill inputs (embeddings, positions), dropped after prefill
    features: Tensor | None = None  # engine-side image features computed ahead of the prefill

    @property
    def prefill_target(self) -> int:
        """Tokens to put in the cache before decoding: the prompt, and when recomputing after a
        preemption every generated token but the last (which is the next decode input)."""
        return len(self.prompt) + max(len(self.generated) - 1, 0)

    @property
    def cache_len(self) -> int:
        """Tokens in the cache of a decoding sequence (its last token is not written yet)."""
        return len(self.prompt) + len(self.generated) + int(self.first_pending) - 1


@dataclass
class PrefillChunk:
    seq: Sequence
    start: int
    length: int

    @property
    def last(self) -> bool:
        return self.start + self.length == self.seq.prefill_target


class Scheduler:
    def __init__(self, allocator: BlockAllocator, block_size: int, max_num_seqs: int,
                 prefill_chunk_tokens: int, on_preempt: Callable[[Sequence], None] | None = None) -> None:
        if max_num_seqs < 1 or prefill_chunk_tokens < 1:
            raise ValueError("max_num_seqs and prefill_chunk_tokens must be >= 1")
        self.allocator = allocator
        self.block_size = block_size
        self.max_num_seqs = max_num_seqs
        self.prefill_chunk_tokens = prefill_chunk_tokens
        self.waiting: deque[Sequence] = deque()
        self.admitted: list[Sequence] = []  # prefilling or decoding, admission order
        self._free_rows = list(range(max_num_seqs - 1, -1, -1))
        self._admissions = 0
        self.on_preempt = on_preempt  # called before a preempted sequence's row is freed
        self._too_large: list[Sequence] = []

    # ---------------------------------------------------------------------------------------------
    def add(self, seq: Sequence) -> None:
        self.waiting.append(seq)

    @property
    def has_work(self) -> bool:
        return bool(self.waiting or self.admitted or self._too_large)

    @property
    def decoding(self) -> list[Sequence]:
        return [s for s in self.admitted if s.status == DECODE]

    # ---------------------------------------------------------------------------------------------
    def prefill_work(self) -> list[PrefillChunk]:
        budget = self.prefill_chunk_tokens
        chunks: list[PrefillChunk] = []
        for seq in self.admitted:
            if seq.status == PREFILL and budget > 0:
                chunk = self._chunk(seq, budget)
                chunks.append(chunk)
                budget -= chunk.length
        while budget > 0 and self.waiting and self._free_rows:
            seq = self.waiting[0]
            need = blocks_needed(seq.prefill_target + 1, self.block_size)
            watermark = len(self.decoding)  # leave a block per decoding row for its next tokens
            if need + watermark > self.allocator.num_free:
                if not self.admitted and need > self.allocator.num_blocks - 1:
                    self.waiting.popleft()  # larger than the whole cache: it can never run
                    seq.status, seq.stop_reason = FINISHED, "length"
                    self._too_large.append(seq)
                    continue
                break
            self.waiting.popleft()
            seq.blocks = self.allocator.allocate(need)
            seq.row = self._free_rows.pop()
            seq.status, seq.prefilled = PREFILL, 0
            seq.admitted_at = self._admissions
            self._admissions += 1
            self.admitted.append(seq)
            chunk = self._chunk(seq, budget)
            chunks.append(chunk)
            budget -= chunk.length
        return chunks

    def take_too_large(self) -> list[Sequence]:
        """Sequences dropped because even alone they do not fit in the cache (stop reason "length")."""
        out, self._too_large = self._too_large, []
        return out

    def _chunk(self, seq: Sequence, budget: int) -> PrefillChunk:
        length = min(budget, seq.prefill_target - seq.prefilled)
        return PrefillChunk(seq, seq.prefilled, length)

    def prefilled(self, chunk: PrefillChunk) -> None:
        chunk.seq.prefilled += chunk.length
        if chunk.last:
            chunk.seq.status = DECODE

    # ---------------------------------------------------------------------------------------------
    def reserve_decode(self, steps: int) -> tuple[list[Sequence], list[Sequence], list[Sequence]]:
        """Blocks for ``steps`` more tokens of every decoding sequence.

        Returns (ready, preempted, starved). A sequence alone in a cache too small for its next
        tokens is not preempted (it would come back to the same place): it is ``starved``, and the
        engine stops it at "length".
        """
        preempted: list[Sequence] = []
        for seq in sorted(self.decoding, key=lambda s: s.admitted_at):
            if seq.status != DECODE:
                continue  # preempted while serving an older one
            need = blocks_needed(seq.cache_len + steps, self.block_size) - len(seq.blocks)
            while need > self.allocator.num_free:
                victim = max(self.admitted, key=lambda s: s.admitted_at)
                if victim is seq and len(self.admitted) == 1:
                    break
                self.preempt(victim)
                preempted.append(victim)
                if victim is seq:
                    break
            if seq.status == DECODE and 0 < need <= self.allocator.num_free:
                seq.blocks += self.allocator.allocate(need)
        ready, starved = [], []
        for s in self.decoding:
            fits = blocks_needed(s.cache_len + steps, self.block_size) <= len(s.blocks)
            (ready if fits else starved).append(s)
        return ready, preempted, starved

    def preempt(self, seq: Sequence) -> None:
        """Free the sequence's blocks and row; it goes back to the front of the queue."""
        if self.on_preempt is not None:
            self.on_preempt(seq)
        self._release(seq)
        seq.status, seq.prefilled, seq.inputs = WAITING, 0, None
        seq.preemptions += 1
        self.waiting.appendleft(seq)

    def finish(self, seq: Sequence, reason: str) -> None:
        self._release(seq)
        seq.status, seq.stop_reason = FINISHED, reason

    def _release(self, seq: Sequence) -> None:
        self.allocator.release(seq.blocks)
        seq.blocks = []
        if seq.row is not None:
            self._free_rows.append(seq.row)
            seq.row = None
        if seq in self.admitted:
            self.admitted.remove(seq)
