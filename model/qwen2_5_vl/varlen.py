"""Packed variable-length attention: every segment (window or image) of a batch in a few calls, no mask.

The vision tower attends block-diagonally over the segments of ``cu_seqlens``: ~64-patch windows
(edge windows shorter) and whole images. Two paths, both without a padding mask:

* flash-attn's ``flash_attn_varlen_func`` on CUDA in fp16/bf16 when the package is installed: one
  call over the packed (N, H, D) rows;
* otherwise segments are grouped by length and each group is one dense (S_g, H, L_g, D) SDPA call.
  A page has few distinct lengths (full windows, its right / bottom edge, its corner, the image), so
  the loop runs over lengths, not windows, and each call can use SDPA's fast kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["VarlenSegments", "flash_varlen_available"]

try:  # optional: pip install flash-attn (CUDA only)
    from flash_attn import flash_attn_varlen_func as _flash_varlen
except Exception:  # noqa: BLE001 - absent or built for another torch: fall back to SDPA
    _flash_varlen = None


def flash_varlen_available() -> bool:
    return _flash_varlen is not None


@dataclass
class LengthGroup:
    rows: Tensor  # (S_g * L_g,) long: the packed rows of the group's segments, segment after segment
    count: int  # S_g segments
    length: int  # L_g rows each


@dataclass
class VarlenSegments:
    """Block-diagonal structure of N packed rows, from cu_seqlens (num_segments + 1,)."""

    n: int
    cu_seqlens: Tensor  # (S + 1,) int32 on the target device, empty segments removed
    max_len: int
    groups: list[LengthGroup]

    @classmethod
    def from_cu_seqlens(cls, cu_seqlens: Tensor, device: torch.device | str | None = None) -> "VarlenSegments":
        cu = cu_seqlens.to("cpu", torch.long)
        starts, lengths = cu[:-1], cu[1:] - cu[:-1]
        keep = lengths > 0
        starts, lengths = starts[keep], lengths[keep]
        groups = []
        for length in sorted(set(lengths.tolist())):
            first = starts[lengths == length]  # (S_g,)
            rows = (first[:, None] + torch.arange(length)[None, :]).reshape(-1)
            groups.append(LengthGroup(rows.to(device), len(first), int(length)))
        packed = F.pad(lengths.cumsum(0), (1, 0)).to(torch.int32)
        max_len = int(lengths.max()) if len(lengths) else 0
        return cls(int(cu[-1]), packed.to(device), max_len, groups)

    def attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q, k, v (N, H, D) -> (N, H, D), each row attending over its own segment."""
        if _flash_varlen is not None and q.is_cuda and q.dtype in (torch.float16, torch.bfloat16):
            return _flash_varlen(q, k, v, self.cu_seqlens, self.cu_seqlens, self.max_len, self.max_len)
        if len(self.groups) == 1 and self.groups[0].count == 1:  # one segment: no gather needed
            out = F.scaled_dot_product_attention(*(t.transpose(0, 1).unsqueeze(0) for t in (q, k, v)))
            return out.squeeze(0).transpose(0, 1)
        out = torch.empty_like(q)
        heads, dim = q.shape[1:]
        for g in self.groups:
            def dense(t: Tensor) -> Tensor:  # (S_g*L_g, H, D) -> (S_g, H, L_g, D)
                return t.index_select(0, g.rows).view(g.count, g.length, heads, dim).transpose(1, 2)

            o = F.scaled_dot_product_attention(dense(q), dense(k), dense(v))  # (S_g, H, L_g, D)
            out.index_copy_(0, g.rows, o.transpose(1, 2).reshape(-1, heads, dim))
        return out
