"""PageEngine: continuous batching of pages over a paged KV cache (nano-vllm style, written here).

    engine = PageEngine(model, GenerationConfig(max_new_tokens=4096, repetition_penalty=1.05),
                        EngineConfig(max_num_seqs=16, kv_cache_gb=4))
    engine.submit(Request(key, prompt_ids, pixel_values, image_grid_thw))   # any time, any number
    for done in engine.run():                                               # as each page finishes
        done.key, done.token_ids, done.stop_reason

One round (``step``): prefill chunks (``scheduler``), all of them packed into one forward; the
vision tower runs once over the pages admitted in the round and the next waiting ones (up to
``vision_batch_pages``), so a page admitted alone into a freed row does not pay a vision pass of its
own; then ``sync_every`` decode steps for every decoding row, then one look by the host. A decode step is pure device work (``decode_state``): the host does not wait on it, so
on CUDA the steps queue back to back, and are replayed as CUDA graphs per batch-size bucket
(1, 2, 4, ... max_num_seqs) and block-table width bucket (powers of two). On CPU, without graphs,
a step runs exactly the decoding rows (a padding row costs as much as a real one there: the output
projection is compute-bound) and the width is the blocks the longest row needs.

Greedy tokens equal ``generate``'s for each page alone (the reference path, static cache), and
transformers' ``generate``: tests/model/test_engine.py.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable, Iterator

import torch
from torch import Tensor

from .decode_graphs import DecodeGraphs
from .decode_state import REASONS, DeviceState
from .engine_types import Completion, EngineConfig, Request, kv_cache_bytes
from .generate import GenerationConfig, _banned_ids, _eos_ids
from .kv_cache import NULL_BLOCK, BlockAllocator, PagedKVCache, blocks_needed, bytes_per_block
from .paged_attention import MixedAttention, PackedPrefill, PagedDecode, PagedPrefill, slots_for
from .rope import get_rope_index
from .scheduler import DECODE, PREFILL, PrefillChunk, Scheduler, Sequence

__all__ = ["EngineConfig", "Request", "Completion", "PageEngine", "kv_cache_bytes"]

def _cat(xs: list[Tensor], dim: int) -> Tensor:
    return xs[0] if len(xs) == 1 else torch.cat(xs, dim)


def _bucket(n: int, cap: int) -> int:
    """Smallest power of two >= n, at most cap (cap itself is a bucket)."""
    b = 1
    while b < n:
        b *= 2
    return min(b, cap)


TokenCallback = Callable[[Any, int, str], None]  # (request key, token id, newly completed text)


class PageEngine:
    def __init__(self, model, generation: GenerationConfig | None = None, config: EngineConfig | None = None,
                 tokenizer=None, on_token: TokenCallback | None = None) -> None:
        self.model = model
        self.generation = generation or GenerationConfig()
        config = config or EngineConfig()
        self.tokenizer = tokenizer
        self.on_token = on_token
        param = next(model.parameters())
        self.device, self.dtype = param.device, param.dtype
        if config.sync_every is None:
            config = replace(config, sync_every=8 if self.device.type == "cuda" else 1)
        if config.mixed_rounds is None:
            config = replace(config, mixed_rounds=self.device.type != "cuda" and config.compile is None)
        self.config = config
        tc = model.config.text_config
        eos = _eos_ids(model, self.generation, tokenizer)
        pad = self.generation.pad_token_id if self.generation.pad_token_id is not None else (eos[0] if eos else 0)
        bs = self.config.block_size
        per_block = bytes_per_block(tc.num_hidden_layers, bs, tc.num_key_value_heads, tc.head_dim, self.dtype)
        num_blocks = max(2, kv_cache_bytes(self.config, self.device) // per_block)
        self.cache = PagedKVCache(tc.num_hidden_layers, num_blocks, bs, tc.num_key_value_heads, tc.head_dim,
                                  device=self.device, dtype=self.dtype, lazy=self.device.type != "cuda")
        self.allocator = BlockAllocator(num_blocks)
        self.scheduler = Scheduler(self.allocator, bs, self.config.max_num_seqs, self.config.prefill_chunk_tokens,
                                   on_preempt=self._save_for_recompute)
        self.state = DeviceState(self.config.max_num_seqs, int(tc.vocab_size), self.generation.max_new_tokens,
                                 self.generation, eos, pad, _banned_ids(model), self.device)
        self._streams: dict[Any, Any] = {}
        self._submitted: dict[int, float] = {}
        self._first_token: dict[int, float] = {}
        self._step_fn = self._decode_step
        if self.config.compile:
            self._step_fn = torch.compile(self._decode_step, backend=self.config.compile, fullgraph=True,
                                          dynamic=False)
        self._graphs = DecodeGraphs(self._step_fn, self.device)
        self._bucketed = self.device.type == "cuda" or self.config.compile is not None  # few shapes: graphs, compiled
        self.stats = dict(rounds=0, forwards=0, decode_steps=0, decode_rows=0, prefill_tokens=0, preemptions=0,
                          peak_blocks=0, num_blocks=num_blocks, block_bytes=per_block)

    # ---------------------------------------------------------------------------------------------
    # Public API
    # ---------------------------------------------------------------------------------------------
    def submit(self, request: Request) -> None:
        if not request.prompt:
            raise ValueError("every prompt needs at least one token")
        limit = request.max_new_tokens or self.generation.max_new_tokens
        if not 1 <= limit <= self.generation.max_new_tokens:
            raise ValueError(f"max_new_tokens must be in 1..{self.generation.max_new_tokens}, got {limit}")
        seq = Sequence(request.key, [int(t) for t in request.prompt], limit, request.pixel_values,
                       request.image_grid_thw)
        self._submitted[id(seq)] = time.perf_counter()
        if self.tokenizer is not None and self.on_token is not None:
            self._streams[id(seq)] = self.tokenizer.stream_decoder()
        self.scheduler.add(seq)

    @property
    def has_work(self) -> bool:
        return self.scheduler.has_work

    @torch.inference_mode()
    def step(self) -> list[Completion]:
        """One round: prefill chunks, ``sync_every`` decode steps, one host look; returns what finished."""
        sched, k = self.scheduler, self.config.sync_every
        done = [self._complete(s) for s in sched.take_too_large()]
        chunks = sched.prefill_work()
        mixed = self.config.mixed_rounds and bool(chunks) and bool(sched.decoding)
        if mixed:  # the rows decoding now take their blocks first (a page admitted just now may be preempted)
            done += self._reserve(k)
            chunks = [c for c in chunks if c.seq.status == PREFILL]
        self.cache.grow_to(self.allocator.high_water + 1)
        fresh = [c.seq for c in chunks if c.seq.inputs is None]
        if fresh:
            self._prepare(fresh)
        ready = sched.decoding if mixed else []  # reserved above; this round's prefills decode next round
        if mixed and chunks and ready:
            self._mixed_step(chunks, ready)  # the first of the rows' k decode steps
            self._decode_window(ready, k - 1, taken=1)
        else:
            if chunks:
                self._prefill(chunks)
            if not mixed:
                done += self._reserve(k)
                self.cache.grow_to(self.allocator.high_water + 1)
            self._decode_window(sched.decoding if not mixed else ready, k)
        self.stats["peak_blocks"] = max(self.stats["peak_blocks"], self.allocator.num_used)
        done += self._look(sched.decoding)
        self.stats["rounds"] += 1
        return done

    def _reserve(self, steps: int) -> list[Completion]:
        """Blocks for ``steps`` tokens of every decoding row (preempting if short); the starved stop."""
        _, preempted, starved = self.scheduler.reserve_decode(steps)
        self.stats["preemptions"] += len(preempted)
        done = []
        for seq in starved:  # alone and the cache is full: as if the token limit were reached
            self.state.release(seq.row)
            self.scheduler.finish(seq, "length")
            done.append(self._complete(seq))
        return done

    def cancel_all(self) -> None:
        """Drop every waiting and admitted request (their blocks and rows are freed at once)."""
        sched = self.scheduler
        for seq in list(sched.admitted):
            self.state.release(seq.row)
            sched.finish(seq, "cancelled")
        for seq in list(sched.waiting) + sched.take_too_large():
            seq.status = "finished"
        sched.waiting.clear()
        self._submitted.clear()
        self._first_token.clear()
        self._streams.clear()

    def run(self) -> Iterator[Completion]:
        """Step until every submitted request is done, yielding each as it completes."""
        while self.has_work:
            yield from self.step()

    # ---------------------------------------------------------------------------------------------
    # Prefill
    # ---------------------------------------------------------------------------------------------
    def _encode_images(self, seqs: list[Sequence]) -> None:
        """One vision pass over the images of ``seqs``; each keeps its features until its prefill."""
        model, device = self.model, self.device
        pixels = torch.cat([s.pixel_values for s in seqs]).to(device, self.dtype)
        grids = torch.cat([s.image_grid_thw for s in seqs]).to(torch.long)
        feats = model.get_image_features(pixels, grids.to(device))  # (sum N/4, hidden)
        unit = model.config.vision_config.merge_unit
        counts = [int(s.image_grid_thw.to(torch.long).prod(-1).sum()) // unit for s in seqs]
        for seq, f in zip(seqs, feats.split(counts)):
            seq.features = f

    def _prepare(self, seqs: list[Sequence]) -> None:
        """Prompt embeddings (image features in place) and MRoPE positions of the round's new pages."""
        model, device = self.model, self.device
        need = [s for s in seqs if s.pixel_values is not None and s.features is None]
        if need:  # the next waiting pages share the pass (the vision tower's cost is mostly per call on CPU)
            room = (self.config.vision_batch_pages or self.config.max_num_seqs) - len(need)
            ahead = [s for s in self.scheduler.waiting if s.pixel_values is not None and s.features is None]
            self._encode_images(need + ahead[:max(room, 0)])
        for seq in seqs:
            ids = torch.tensor([seq.prompt], dtype=torch.long)
            grid = seq.image_grid_thw.to(torch.long) if seq.image_grid_thw is not None else None
            positions, delta = get_rope_index(ids, grid, None, model.config)  # (3, 1, T), (1, 1)
            ids = ids.to(device)
            embeds = model.model.embed_tokens(ids)  # (1, T, hidden)
            if seq.features is not None:
                embeds = model._scatter_images(ids, embeds, seq.features)
                seq.features = None
            positions, delta = positions.to(device), int(delta)
            replay = seq.generated[:-1]  # recompute after a preemption: the tokens it had, but the last
            if replay:
                extra = torch.tensor([replay], dtype=torch.long, device=device)
                embeds = torch.cat([embeds, model.model.embed_tokens(extra)], dim=1)
                at = torch.arange(len(seq.prompt), len(seq.prompt) + len(replay), device=device) + delta
                positions = torch.cat([positions, at.view(1, 1, -1).expand(3, 1, -1)], dim=2)
            seq.inputs = (embeds, positions, delta)

    def _prefill(self, chunks: list[PrefillChunk]) -> None:
        """The round's chunks in one forward, packed along T (varlen causal prefill, PackedPrefill)."""
        attend, embeds, positions, firsts = self._pack_prefill(chunks)
        at = torch.tensor([i for _, i in firsts], dtype=torch.long, device=self.device)  # (F,)
        logits = self.model.decode_embeds(_cat(embeds, 1), _cat(positions, 2), attend, logits_at=at)  # (1, F, V)
        self.stats["forwards"] += 1
        self._prefilled(chunks, firsts, logits[0])

    def _pack_prefill(self, chunks: list[PrefillChunk]):
        """Load fresh rows; the chunks' embeddings (1, T_i, hidden) and positions (3, 1, T_i) in packing
        order, their attention, and (sequence, packed index) of each fresh page's last prompt token."""
        parts, embeds, positions, firsts, end = [], [], [], [], 0
        for chunk in chunks:
            seq = chunk.seq
            seq_embeds, seq_positions, delta = seq.inputs
            if chunk.start == 0:
                self.state.load(seq.row, seq.prompt, seq.generated, seq.max_new_tokens, seq.prefill_target, delta,
                                seq.saved_run)
            part = slice(chunk.start, chunk.start + chunk.length)
            embeds.append(seq_embeds[:, part])  # (1, T_i, hidden)
            positions.append(seq_positions[:, :, part])  # (3, 1, T_i)
            parts.append(PagedPrefill(self.cache, torch.tensor(seq.blocks, dtype=torch.long), chunk.start,
                                      chunk.length))
            end += chunk.length
            if chunk.last and not seq.generated:  # a fresh page: its first token comes from these logits
                firsts.append((seq, end - 1))
        return PackedPrefill(self.cache, parts), embeds, positions, firsts

    def _prefilled(self, chunks: list[PrefillChunk], firsts: list, logits: Tensor) -> None:
        """Bookkeeping after the chunks' forward; logits (F, V) give each fresh page its first token."""
        for chunk in chunks:
            self.stats["prefill_tokens"] += chunk.length
            self.scheduler.prefilled(chunk)
            if chunk.last:
                chunk.seq.inputs, chunk.seq.saved_run = None, None
        if firsts:
            self.state.record(torch.tensor([s.row for s, _ in firsts], device=self.device), logits)
            for seq, _ in firsts:
                seq.first_pending = True

    def _save_for_recompute(self, seq: Sequence) -> None:
        """Before a preemption frees the row: keep what recomputing needs (tokens are on the host)."""
        if seq.first_pending:  # its only token is unread: it starts over (greedy gives it again)
            seq.first_pending, seq.saved_run = False, None
        elif seq.status == DECODE and seq.generated:
            seq.saved_run = self.state.save_run(seq.row)
        # a sequence preempted while recomputing keeps the saved_run it has not used yet
        self.state.release(seq.row)

    # ---------------------------------------------------------------------------------------------
    # Decode
    # ---------------------------------------------------------------------------------------------
    def _rows_and_tables(self, seqs: list[Sequence], steps: int) -> tuple[Tensor, Tensor]:
        """State rows (B,) and block tables (B, W) of a batch bucket covering ``steps`` more tokens."""
        cfg = self.config
        batch = _bucket(len(seqs), cfg.max_num_seqs) if self._bucketed else len(seqs)
        width = max(blocks_needed(s.cache_len + steps, cfg.block_size) for s in seqs)
        if self.device.type == "cuda":  # few distinct widths: each is a captured graph
            width = _bucket(width, 1 << 30)
        rows = [s.row for s in seqs] + [self.state.scratch] * (batch - len(seqs))
        tables = torch.full((batch, width), NULL_BLOCK, dtype=torch.long)
        for i, s in enumerate(seqs):
            tables[i, : len(s.blocks)] = torch.tensor(s.blocks[:width])
        return (torch.tensor(rows, dtype=torch.long).to(self.device, non_blocking=True),
                tables.to(self.device, non_blocking=True))

    def _mixed_step(self, chunks: list[PrefillChunk], seqs: list[Sequence]) -> None:
        """The round's prefill chunks and one decode step of ``seqs`` in one forward (MixedAttention)."""
        st, model = self.state, self.model
        prefill, embeds, positions, firsts = self._pack_prefill(chunks)
        rows, tables = self._rows_and_tables(seqs, 1)
        live = ~st.finished[rows]
        pos = st.position[rows]  # (B,) the slot of the input token
        decode = PagedDecode(self.cache, tables, pos + 1, slots_for(tables, pos, self.cache.block_size))
        embeds.append(model.model.embed_tokens(st.last_token[rows]).unsqueeze(0))  # (1, B, hidden)
        positions.append((pos + st.delta[rows]).view(1, 1, -1).expand(3, 1, -1))  # (3, 1, B)
        n, b = prefill.offsets[-1], rows.shape[0]
        at = torch.tensor([i for _, i in firsts] + list(range(n, n + b)), dtype=torch.long, device=self.device)
        logits = model.decode_embeds(torch.cat(embeds, 1), torch.cat(positions, 2), MixedAttention(prefill, decode),
                                     logits_at=at)[0]  # (F + B, V)
        self._prefilled(chunks, firsts, logits[: len(firsts)])
        st.record(rows, logits[len(firsts):], max(s.cache_len for s in seqs) + 1)
        st.position[rows] = pos + live.long()
        self.stats["forwards"] += 1
        self.stats["decode_steps"] += 1
        self.stats["decode_rows"] += len(seqs)

    def _decode_window(self, seqs: list[Sequence], steps: int, taken: int = 0) -> None:
        """``steps`` decode steps of ``seqs``, after ``taken`` steps this round the host has not seen yet."""
        if not seqs or steps < 1:
            return
        cfg = self.config
        rows_t, tables_t = self._rows_and_tables(seqs, taken + steps)
        use_graph = (cfg.cuda_graphs and self.device.type == "cuda" and not self.generation.do_sample)
        if self.state.grown:  # a longer prompt widened the token history: captured steps read the old one
            self._graphs.clear()
            self.state.grown = False
        # eager CPU steps read only the history filled by the end of the window; fixed shapes read it all
        width = None if self._bucketed else max(s.cache_len for s in seqs) + taken + steps
        for _ in range(steps):
            if use_graph:
                self._graphs.replay(rows_t, tables_t)
            else:
                self._step_fn(rows_t, tables_t, width)
        self.stats["forwards"] += steps
        self.stats["decode_steps"] += steps
        self.stats["decode_rows"] += steps * len(seqs)

    def _decode_step(self, rows: Tensor, tables: Tensor, width: int | None = None) -> None:
        """One token for every row of the bucket: rows (B,) state rows, tables (B, W) block ids; ``width``
        the token-history slots the repetition penalty reads (None: all, the fixed shape graphs need)."""
        st, model = self.state, self.model
        live = ~st.finished[rows]
        pos = st.position[rows]  # (B,) the slot of the input token
        slots = slots_for(tables, pos, self.cache.block_size)
        attend = PagedDecode(self.cache, tables, pos + 1, slots)
        rope = (pos + st.delta[rows]).view(1, -1, 1).expand(3, -1, 1)  # (3, B, 1): slot + delta on all axes
        embeds = model.model.embed_tokens(st.last_token[rows].view(-1, 1))  # (B, 1, hidden)
        logits = model.decode_embeds(embeds, rope, attend)[:, -1]  # (B, V)
        st.record(rows, logits, width)
        st.position[rows] = pos + live.long()

    # ---------------------------------------------------------------------------------------------
    # The host's look
    # ---------------------------------------------------------------------------------------------
    def _look(self, seqs: list[Sequence]) -> list[Completion]:
        """One device->host copy: count, finished, reason, loop info and the new tokens of ``seqs``."""
        if not seqs:
            return []
        st = self.state
        rows = torch.tensor([s.row for s in seqs], dtype=torch.long, device=self.device)
        old = torch.tensor([len(s.generated) for s in seqs], dtype=torch.long, device=self.device)
        width = self.config.sync_every + 1  # a prefill's first token + one per decode step
        index = (old[:, None] + torch.arange(width, device=self.device)).clamp(max=st.cap - 1)
        window = st.out[rows[:, None], index]  # (S, width)
        info = torch.stack([st.count[rows], st.finished[rows].long(), st.reason[rows],
                            st.loop_period[rows], st.loop_span[rows]], dim=1)  # (S, 5)
        host = torch.cat([info, window], dim=1).cpu().tolist()
        done = []
        for seq, (count, finished, reason, period, span, *tokens) in zip(seqs, host):
            new = tokens[: count - len(seq.generated)]
            seq.first_pending = False
            if new and id(seq) not in self._first_token:
                self._first_token[id(seq)] = time.perf_counter()
            self._stream(seq, new)
            seq.generated += new
            if finished:
                seq.loop_trim = span - period if REASONS[reason] == "loop" else 0
                self.state.release(seq.row)
                self.scheduler.finish(seq, REASONS[reason])
                done.append(self._complete(seq))
        return done

    def _stream(self, seq: Sequence, tokens: list[int]) -> None:
        if self.on_token is None:
            return
        decoder = self._streams.get(id(seq))
        for t in tokens:
            self.on_token(seq.key, t, decoder.push(t) if decoder is not None else "")

    def _complete(self, seq: Sequence) -> Completion:
        ids = seq.generated[: len(seq.generated) - seq.loop_trim]
        now = time.perf_counter()
        started = self._submitted.pop(id(seq), now)
        first = self._first_token.pop(id(seq), now)
        self._streams.pop(id(seq), None)
        return Completion(
            key=seq.key, token_ids=ids, stop_reason=seq.stop_reason or "length",
            text=self.tokenizer.decode(ids) if self.tokenizer is not None else None,
            prompt_tokens=len(seq.prompt), loop_trimmed_tokens=seq.loop_trim, preemptions=seq.preemptions,
            seconds=now - started, first_token_seconds=first - started,
        )
