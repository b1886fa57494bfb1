"""KV caches.

* ``KVCache`` (the reference, used by ``generate``): one preallocated (B, n_kv_heads, max_seq_len,
  head_dim) buffer pair per layer, slots addressed by absolute ``cache_position``.
* ``PagedKVCache`` + ``BlockAllocator`` (used by ``engine``): fixed-size blocks shared by all
  sequences, a block table per sequence, blocks handed out as tokens arrive and returned when a
  sequence finishes or is preempted, so memory held follows tokens held.
"""

from __future__ import annotations

import heapq

import torch
from torch import Tensor

__all__ = ["KVCache", "PagedKVCache", "BlockAllocator", "OutOfBlocks", "blocks_needed", "bytes_per_block", "NULL_BLOCK"]


class KVCache:
    """Per-layer key/value buffers. ``update`` writes new entries and returns the whole buffers."""

    def __init__(self, num_layers: int, batch_size: int, num_kv_heads: int, max_seq_len: int, head_dim: int,
                 device: torch.device | str | None = None, dtype: torch.dtype = torch.bfloat16) -> None:
        shape = (batch_size, num_kv_heads, max_seq_len, head_dim)
        self.k: list[Tensor] = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(num_layers)]
        self.v: list[Tensor] = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(num_layers)]
        self.batch_size = batch_size
        self.max_seq_len = max_seq_len
        self.dtype = dtype

    @property
    def device(self) -> torch.device:
        return self.k[0].device

    def update(self, layer: int, cache_position: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Write k, v (B, n_kv, T, head_dim) at slots ``cache_position`` (T,); return the (B, n_kv, S, hd) buffers."""
        k_buf, v_buf = self.k[layer], self.v[layer]
        if k.shape[0] != k_buf.shape[0]:
            raise ValueError(f"batch size {k.shape[0]} does not match the cache's {k_buf.shape[0]}")
        k_buf.index_copy_(2, cache_position, k.to(k_buf.dtype))
        v_buf.index_copy_(2, cache_position, v.to(v_buf.dtype))
        return k_buf, v_buf

    def reset(self) -> None:
        """Zero every buffer (stale entries are masked anyway; this keeps them finite and tidy)."""
        for buf in (*self.k, *self.v):
            buf.zero_()


# ---------------------------------------------------------------------------------------------------
# Paged cache: fixed-size blocks shared by every sequence, a block table per sequence
# ---------------------------------------------------------------------------------------------------
NULL_BLOCK = 0  # never handed out: the padding rows of a decode bucket write and read here


class OutOfBlocks(RuntimeError):
    """Not enough free blocks: the scheduler preempts (or waits) instead of failing."""


class BlockAllocator:
    """Free blocks 1..num_blocks-1, lowest id first so the touched part of the cache stays small."""

    def __init__(self, num_blocks: int) -> None:
        if num_blocks < 2:
            raise ValueError(f"a paged cache needs at least 2 blocks (one is the null block), got {num_blocks}")
        self.num_blocks = num_blocks
        self._free = list(range(1, num_blocks))  # a min-heap (sorted is a heap)
        self._used: set[int] = set()
        self.high_water = 0  # the largest block id ever handed out

    @property
    def num_free(self) -> int:
        return len(self._free)

    @property
    def num_used(self) -> int:
        return len(self._used)

    def allocate(self, n: int) -> list[int]:
        if n > len(self._free):
            raise OutOfBlocks(f"{n} blocks asked for, {len(self._free)} free")
        blocks = [heapq.heappop(self._free) for _ in range(n)]
        self._used.update(blocks)
        self.high_water = max([self.high_water, *blocks])
        return blocks

    def release(self, blocks: list[int]) -> None:
        for b in blocks:
            if b not in self._used:
                raise ValueError(f"block {b} released but not in use (double free?)")
            self._used.remove(b)
            heapq.heappush(self._free, b)


def blocks_needed(tokens: int, block_size: int) -> int:
    return -(-tokens // block_size)


def bytes_per_block(num_layers: int, block_size: int, num_kv_heads: int, head_dim: int, dtype: torch.dtype) -> int:
    """Keys + values of one block over all layers."""
    return 2 * num_layers * block_size * num_kv_heads * head_dim * torch.empty((), dtype=dtype).element_size()


class PagedKVCache:
    """Per-layer (num_blocks, block_size, n_kv_heads, head_dim) key/value pools.

    A sequence's token at cache position p lives in slot ``table[p // block_size] * block_size +
    p % block_size``. Zero-initialised: masked slots must hold finite values, since softmax weight 0
    times NaN is NaN.

    ``lazy`` (the CPU default): the pools start small and ``grow_to`` the highest block id handed
    out (the allocator gives the lowest free ids first), so host memory follows the tokens held
    rather than the budget. On CUDA the whole budget is allocated up front: captured CUDA graphs
    hold the pools' addresses.
    """

    def __init__(self, num_layers: int, num_blocks: int, block_size: int, num_kv_heads: int, head_dim: int,
                 device: torch.device | str | None = None, dtype: torch.dtype = torch.bfloat16,
                 lazy: bool = False) -> None:
        rows = min(num_blocks, 16) if lazy else num_blocks
        shape = (rows, block_size, num_kv_heads, head_dim)
        self.k: list[Tensor] = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(num_layers)]
        self.v: list[Tensor] = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(num_layers)]
        self.num_blocks = num_blocks
        self.block_size = block_size
        self.dtype = dtype

    @property
    def device(self) -> torch.device:
        return self.k[0].device

    @property
    def allocated_blocks(self) -> int:
        return self.k[0].shape[0]

    def grow_to(self, blocks: int) -> None:
        """Make room for block ids < ``blocks`` (doubling, at most num_blocks); contents are kept."""
        have = self.allocated_blocks
        if blocks <= have:
            return
        rows = min(self.num_blocks, max(blocks, 2 * have))

        def grown(pool: Tensor) -> Tensor:
            extra = pool.new_zeros((rows - have, *pool.shape[1:]))
            return torch.cat([pool, extra])

        self.k = [grown(t) for t in self.k]
        self.v = [grown(t) for t in self.v]

    def write(self, layer: int, slots: Tensor, k: Tensor, v: Tensor) -> None:
        """k, v (N, n_kv, head_dim) into flat slots (N,) long."""
        flat = (-1, *self.k[layer].shape[2:])
        self.k[layer].view(flat).index_copy_(0, slots, k.to(self.dtype))
        self.v[layer].view(flat).index_copy_(0, slots, v.to(self.dtype))

    def gather(self, layer: int, block_tables: Tensor) -> tuple[Tensor, Tensor]:
        """block_tables (B, n_blocks) -> keys, values (B, n_kv, n_blocks * block_size, head_dim)."""
        b, n = block_tables.shape
        flat = block_tables.reshape(-1)

        def one(pool: Tensor) -> Tensor:
            x = pool.index_select(0, flat)  # (B * n_blocks, block_size, n_kv, hd): one contiguous copy
            return x.view(b, n * self.block_size, *pool.shape[2:]).transpose(1, 2)

        return one(self.k[layer]), one(self.v[layer])
