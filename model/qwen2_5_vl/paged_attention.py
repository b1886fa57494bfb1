"""Attention backends over the paged cache (see attention.py for the kernel rules).

* ``PagedPrefill``: one sequence's chunk of T tokens at cache positions [start, start + T): its
  K/V go into the sequence's blocks; the first chunk attends causally over its own tokens (no mask,
  flash-friendly), a later chunk over the sequence's filled slots [0, start + T).
* ``PackedPrefill``: the chunks of several sequences in one forward, packed along T: one cache
  write per layer for all of them, then each chunk attends over its own sequence as ``PagedPrefill``
  (the linear layers, the MLPs and the output projection run once over all the round's tokens).
* ``PagedDecode``: one token per row of a batch bucket; row b attends over its first
  ``context_lens[b]`` slots, gathered through its block table (the table's width is a bucket,
  not the longest possible sequence, so a step reads about what is filled).
* ``MixedAttention``: a round's prefill chunks and a decode step of the decoding rows in one forward
  (the packed batch is the chunks' tokens, then one token per decoding row): the weights are read
  once for both, and the prefills' first tokens and the rows' next tokens share one output projection.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .attention import causal_attention, masked_attention
from .kv_cache import PagedKVCache

__all__ = ["PagedPrefill", "PackedPrefill", "PagedDecode", "MixedAttention", "slots_for"]


def slots_for(block_table: Tensor, positions: Tensor, block_size: int) -> Tensor:
    """Flat cache slots of ``positions`` (...,) through ``block_table`` (..., n_blocks) broadcastable."""
    blocks = block_table.gather(-1, (positions // block_size).unsqueeze(-1)).squeeze(-1)
    return blocks * block_size + positions % block_size


class PagedPrefill:
    def __init__(self, cache: PagedKVCache, block_table: Tensor, start: int, length: int) -> None:
        device = cache.device
        self.cache = cache
        self.start, self.length = start, length
        self.block_table = block_table.to(device).view(1, -1)  # (1, n_blocks), covers start + length
        positions = torch.arange(start, start + length, device=device)
        self.slots = slots_for(self.block_table.expand(length, -1), positions, cache.block_size)  # (T,)
        self.mask = None
        if start > 0:  # queries at start.. see keys 0..own position
            keys = torch.arange(start + length, device=device)
            self.mask = (keys[None, :] <= positions[:, None]).view(1, 1, length, start + length)

    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q (1, H, T, D), k/v (1, Hkv, T, D) -> (1, H, T, D)."""
        self.cache.write(layer, self.slots, k[0].transpose(0, 1), v[0].transpose(0, 1))
        return self.attend(layer, q, k, v)

    def attend(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """Attention of this chunk once its K/V are in the cache (shapes as ``__call__``)."""
        if self.mask is None:
            return causal_attention(q, k, v)
        k_all, v_all = self.cache.gather(layer, self.block_table)
        end = self.start + self.length
        return masked_attention(q, k_all[:, :, :end].to(q.dtype), v_all[:, :, :end].to(q.dtype), self.mask)


class PackedPrefill:
    def __init__(self, cache: PagedKVCache, parts: list[PagedPrefill]) -> None:
        """``parts``: the chunks in packing order; chunk i is rows [offsets[i], offsets[i + 1]) of the batch."""
        self.cache = cache
        self.parts = parts
        self.slots = torch.cat([p.slots for p in parts]) if len(parts) > 1 else parts[0].slots  # (N,)
        self.offsets = [0]
        for p in parts:
            self.offsets.append(self.offsets[-1] + p.length)

    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q (1, H, N, D), k/v (1, Hkv, N, D), N = the chunks' tokens -> (1, H, N, D)."""
        self.cache.write(layer, self.slots, k[0].transpose(0, 1), v[0].transpose(0, 1))
        return self.attend(layer, q, k, v)

    def attend(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """Attention of every chunk once their K/V are in the cache (shapes as ``__call__``)."""
        if len(self.parts) == 1:
            return self.parts[0].attend(layer, q, k, v)
        bounds = zip(self.parts, self.offsets[:-1], self.offsets[1:])
        return torch.cat([p.attend(layer, q[:, :, a:b], k[:, :, a:b], v[:, :, a:b]) for p, a, b in bounds], dim=2)


class PagedDecode:
    def __init__(self, cache: PagedKVCache, block_tables: Tensor, context_lens: Tensor, slots: Tensor) -> None:
        """block_tables (B, n_blocks), context_lens (B,) filled slots including this token, slots (B,)."""
        self.cache = cache
        self.block_tables = block_tables
        self.slots = slots
        width = block_tables.shape[1] * cache.block_size
        keys = torch.arange(width, device=block_tables.device)
        self.mask = (keys[None, :] < context_lens[:, None]).view(-1, 1, 1, width)  # (B, 1, 1, S)

    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q (B, H, 1, D), k/v (B, Hkv, 1, D) -> (B, H, 1, D)."""
        self.cache.write(layer, self.slots, k[:, :, 0], v[:, :, 0])
        return self.attend(layer, q)

    def attend(self, layer: int, q: Tensor) -> Tensor:
        """q (B, H, 1, D) over the rows' filled slots, this step's K/V already written -> (B, H, 1, D)."""
        k_all, v_all = self.cache.gather(layer, self.block_tables)  # (B, Hkv, S, D)
        return masked_attention(q, k_all.to(q.dtype), v_all.to(q.dtype), self.mask)


class MixedAttention:
    def __init__(self, prefill: PackedPrefill, decode: PagedDecode) -> None:
        self.cache = prefill.cache
        self.prefill, self.decode = prefill, decode
        self.n = prefill.offsets[-1]  # packed rows [0, n) are prefill tokens, [n, n + B) the decode rows'
        self.slots = torch.cat([prefill.slots, decode.slots])  # (n + B,)

    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q (1, H, n + B, D), k/v (1, Hkv, n + B, D) -> (1, H, n + B, D)."""
        self.cache.write(layer, self.slots, k[0].transpose(0, 1), v[0].transpose(0, 1))
        n = self.n
        prefill = self.prefill.attend(layer, q[:, :, :n], k[:, :, :n], v[:, :, :n])  # (1, H, n, D)
        rows = self.decode.attend(layer, q[0, :, n:].transpose(0, 1).unsqueeze(2))  # (B, H, 1, D)
        return torch.cat([prefill, rows.transpose(0, 2)], dim=2)  # (B, H, 1, D) -> (1, H, B, D)
