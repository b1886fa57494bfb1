"""Static KV cache: one preallocated (B, n_kv_heads, max_seq_len, head_dim) buffer pair per layer.

Slots are addressed by absolute ``cache_position``; nothing is ever reallocated, so decoding keeps
fixed shapes (friendly to CUDA graphs / torch.compile).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["KVCache"]


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
