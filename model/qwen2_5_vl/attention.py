"""Attention over what is filled, in shapes SDPA's fast kernels take.

Two rules keep CUDA's SDPA on its flash / memory-efficient kernels (it falls back to the fp32 math
kernel, with K/V copied to every head, when ``enable_gqa`` meets a mask):

* no mask: causal self-attention over a prompt's own tokens (``is_causal``), GQA via ``enable_gqa``;
* a mask: never with ``enable_gqa``. One query per sequence (decode) folds the query heads of a KV
  head into that head's query rows, so K/V are read once and not copied; several queries (a chunk
  after cached tokens, left padding) expand the KV heads.

A backend is a callable ``attend(layer, q, k, v) -> out`` handed down the decoder: it stores the new
keys/values where it keeps them (nowhere, a static cache, a paged cache) and attends over the slots
each sequence has filled. ``DenseAttention`` and ``StaticCacheAttention`` live here; the paged ones
in ``paged_attention``.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from .kv_cache import KVCache

__all__ = ["Attend", "causal_attention", "masked_attention", "DenseAttention", "StaticCacheAttention"]

_HAS_GQA = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 5)


class Attend(Protocol):
    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q (B, H, T, D), new k/v (B, Hkv, T, D) of this step -> (B, H, T, D)."""
        ...


def expand_kv(x: Tensor, num_heads: int) -> Tensor:
    """(B, Hkv, S, D) -> (B, H, S, D): each KV head repeated for its group of query heads."""
    b, hkv, s, d = x.shape
    if hkv == num_heads:
        return x
    return x[:, :, None].expand(b, hkv, num_heads // hkv, s, d).reshape(b, num_heads, s, d)


def causal_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Causal attention of T queries over the same T keys, no mask: q (B, H, T, D), k/v (B, Hkv, T, D)."""
    causal = q.shape[2] > 1
    if k.shape[1] != q.shape[1]:
        if _HAS_GQA:
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
        k, v = expand_kv(k, q.shape[1]), expand_kv(v, q.shape[1])
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def masked_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> Tensor:
    """q (B, H, T, D), k/v (B, Hkv, S, D), mask bool (B, 1, T, S) True = may attend, or None (all keys)."""
    bsz, heads, t, d = q.shape
    kv_heads = k.shape[1]
    if kv_heads == heads:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    if mask is None and _HAS_GQA:
        return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    if t == 1:  # the group's query heads become query rows of their KV head: (B, Hkv, rep, D)
        grouped = q.reshape(bsz, kv_heads, heads // kv_heads, d)  # a view unless q is a strided slice
        out = F.scaled_dot_product_attention(grouped, k, v, attn_mask=mask)  # mask (B, 1, 1, S) broadcasts
        return out.reshape(bsz, heads, 1, d)
    return F.scaled_dot_product_attention(q, expand_kv(k, heads), expand_kv(v, heads), attn_mask=mask)


def padding_causal_mask(attention_mask: Tensor, query_positions: Tensor, key_len: int) -> Tensor:
    """Causal + padding mask (B, 1, T, S) bool, True = may attend.

    attention_mask (B, L) 1 real / 0 pad over key slots 0..L-1 (L <= S); query_positions (T,) the
    absolute slot of each query. A query always sees itself, so a padding query's row stays finite.
    """
    device = query_positions.device
    bsz = attention_mask.shape[0]
    keys = torch.arange(key_len, device=device)
    causal = keys[None, :] <= query_positions[:, None]  # (T, S)
    real = torch.zeros(bsz, key_len, dtype=torch.bool, device=device)
    real[:, : attention_mask.shape[1]] = attention_mask.to(device).bool()
    mask = causal[None] & real[:, None, :]  # (B, T, S)
    mask |= keys[None, None, :] == query_positions[None, :, None]
    return mask.unsqueeze(1)


class DenseAttention:
    """No cache: T queries over their own T keys; a mask only when some key is padding."""

    def __init__(self, mask: Tensor | None) -> None:
        self.mask = mask  # (B, 1, T, T) or None (plain causal)

    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        if self.mask is None:
            return causal_attention(q, k, v)
        return masked_attention(q, k, v, self.mask)


class StaticCacheAttention:
    """The reference static cache: write at ``cache_position``, attend over slots ``[0, key_len)`` only.

    key_len is the number of filled slots after this step (the prompt length at prefill, slot + 1 at a
    decode step), never the cache's preallocated length.
    """

    def __init__(self, cache: KVCache, cache_position: Tensor, key_len: int, mask: Tensor | None) -> None:
        self.cache = cache
        self.cache_position = cache_position  # (T,)
        self.key_len = key_len
        self.mask = mask  # (B, 1, T, key_len) or None (causal over filled slots, nothing padded)
        self.own_keys = key_len == cache_position.shape[0]  # a prefill from slot 0: keys are this step's

    def __call__(self, layer: int, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        k_buf, v_buf = self.cache.update(layer, self.cache_position, k, v)  # (B, Hkv, S_max, D)
        if self.own_keys:
            return DenseAttention(self.mask)(layer, q, k, v)
        k_all = k_buf[:, :, : self.key_len].to(q.dtype)  # (B, Hkv, key_len, D)
        v_all = v_buf[:, :, : self.key_len].to(q.dtype)
        if self.mask is None and q.shape[2] > 1:  # queries after cached slots: causal with an offset
            mask = padding_causal_mask(torch.ones(q.shape[0], self.key_len, dtype=torch.bool, device=q.device),
                                       self.cache_position.to(q.device), self.key_len)
            return masked_attention(q, k_all, v_all, mask)
        return masked_attention(q, k_all, v_all, self.mask)
