"""The Qwen2.5-VL vision tower (reference §3.2).

pixel_values (N, 1176) -> patch embed -> window permutation -> blocks (window attention, full
attention at ``fullatt_block_indexes``) with 2D rotary -> PatchMerger (2x2 -> 1) -> inverse
permutation -> (N/4, out_hidden).

Attention is block-diagonal over the segments of ``cu_seqlens`` (windows, or whole images for the
full-attention blocks). The tower uses ``varlen.VarlenSegments``: packed variable-length attention
over all images of a batch without a padding mask (flash-attn varlen when installed, else one SDPA
call per distinct segment length). ``Segments`` (one padded batch with a key-padding mask) and
``block_diagonal_mask`` (dense (N, N)) are the references it is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import VisionConfig
from .rope import apply_rotary, vision_rotary_cos_sin, vision_rotary_positions
from .text import RMSNorm
from .varlen import VarlenSegments

__all__ = [
    "PatchEmbed", "VisionAttention", "VisionMLP", "VisionBlock", "PatchMerger", "VisionTransformer",
    "get_window_index", "get_cu_seqlens", "block_diagonal_mask", "Segments",
]


# ---------------------------------------------------------------------------------------------------
# Index helpers
# ---------------------------------------------------------------------------------------------------
def get_window_index(grid_thw: Tensor, window_size: int, spatial_merge_size: int,
                     patch_size: int) -> tuple[Tensor, Tensor]:
    """Window permutation of merged tokens and window boundaries.

    Returns:
        window_index: (N/merge_unit,) long: merged-token order grouped by window (windows in raster
            order, tokens raster inside each window; edge windows are partial).
        cu_window_seqlens: (num_windows + 1,) int32 boundaries in *patch* units, empty windows removed.
    """
    ws = window_size // spatial_merge_size // patch_size  # window side in merged tokens
    unit = spatial_merge_size**2
    indices, lengths = [], []
    offset = 0
    for t, h, w in grid_thw.tolist():
        gh, gw = h // spatial_merge_size, w // spatial_merge_size
        idx = torch.arange(t * gh * gw, device=grid_thw.device).view(t, gh, gw)
        nh, nw = -(-gh // ws), -(-gw // ws)  # windows per column / row (ceil)
        idx = F.pad(idx, (0, nw * ws - gw, 0, nh * ws - gh), value=-1)  # (t, nh*ws, nw*ws)
        idx = idx.view(t, nh, ws, nw, ws).permute(0, 1, 3, 2, 4).reshape(t * nh * nw, ws * ws)
        valid = idx >= 0
        indices.append(idx[valid] + offset)
        lengths.append(valid.sum(-1) * unit)
        offset += t * gh * gw
    window_index = torch.cat(indices)
    lengths_all = torch.cat(lengths)
    cu = F.pad(lengths_all.cumsum(0), (1, 0)).to(torch.int32)
    return window_index, torch.unique_consecutive(cu)


def get_cu_seqlens(grid_thw: Tensor) -> Tensor:
    """(num_segments + 1,) int32 boundaries for full attention: one segment per image temporal slice."""
    per_slice = torch.repeat_interleave(grid_thw[:, 1] * grid_thw[:, 2], grid_thw[:, 0])
    return F.pad(per_slice.cumsum(0), (1, 0)).to(torch.int32)


def block_diagonal_mask(cu_seqlens: Tensor, n: int) -> Tensor:
    """(n, n) bool mask, True where query and key lie in the same [cu[i], cu[i+1]) segment."""
    lengths = (cu_seqlens[1:] - cu_seqlens[:-1]).long()
    seg = torch.repeat_interleave(torch.arange(len(lengths), device=cu_seqlens.device), lengths)  # (n,)
    if seg.numel() != n:
        raise ValueError(f"cu_seqlens cover {seg.numel()} patches, expected {n}")
    return seg[:, None] == seg[None, :]


@dataclass
class Segments:
    """Packing of N rows into (num_segments, max_len) slots, built from cu_seqlens."""

    seg: Tensor  # (N,) segment of each row
    off: Tensor  # (N,) offset of each row inside its segment
    num: int
    max_len: int
    key_mask: Tensor | None  # (S, 1, 1, max_len) bool, True = real key; None when nothing is padded

    @classmethod
    def from_cu_seqlens(cls, cu_seqlens: Tensor, device: torch.device | str | None = None) -> "Segments":
        cu = cu_seqlens.to("cpu", torch.long)
        lengths = cu[1:] - cu[:-1]
        lengths = lengths[lengths > 0]
        cu = F.pad(lengths.cumsum(0), (1, 0))
        n, num, max_len = int(cu[-1]), len(lengths), int(lengths.max()) if len(lengths) else 0
        seg = torch.repeat_interleave(torch.arange(num), lengths)
        off = torch.arange(n) - cu[:-1][seg]
        key_mask = None
        if bool((lengths != max_len).any()):
            key_mask = (torch.arange(max_len)[None, :] < lengths[:, None]).view(num, 1, 1, max_len).to(device)
        return cls(seg.to(device), off.to(device), num, max_len, key_mask)

    def pack(self, x: Tensor) -> Tensor:
        """(N, H, D) -> (S, H, max_len, D), zeros in the padding slots."""
        if self.num == 1:
            return x.transpose(0, 1).unsqueeze(0)
        buf = x.new_zeros(self.num, self.max_len, *x.shape[1:])
        buf[self.seg, self.off] = x
        return buf.transpose(1, 2)

    def unpack(self, y: Tensor) -> Tensor:
        """(S, H, max_len, D) -> (N, H, D)."""
        if self.num == 1:
            return y.squeeze(0).transpose(0, 1)
        return y.transpose(1, 2)[self.seg, self.off]


# ---------------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------------
class PatchEmbed(nn.Module):
    """A Conv3d with kernel == stride over one patch is a Linear over the flattened 1176 values.

    The weight keeps the checkpoint's Conv3d shape (C, 3, 2, 14, 14); the forward is a matmul.
    """

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        k = (config.temporal_patch_size, config.patch_size, config.patch_size)
        self.proj = nn.Conv3d(config.in_channels, config.hidden_size, kernel_size=k, stride=k, bias=False)
        self.patch_dim = config.patch_dim

    def forward(self, pixel_values: Tensor) -> Tensor:
        """(N, patch_dim) -> (N, hidden)."""
        if pixel_values.dim() != 2 or pixel_values.shape[1] != self.patch_dim:
            raise ValueError(f"pixel_values must be (N, {self.patch_dim}), got {tuple(pixel_values.shape)}")
        w = self.proj.weight
        return F.linear(pixel_values.to(w.dtype), w.reshape(w.shape[0], -1))


class VisionAttention(nn.Module):
    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.num_heads = config.num_heads
        self.head_dim = config.head_dim
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size, bias=True)
        self.proj = nn.Linear(config.hidden_size, config.hidden_size, bias=True)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, segments: VarlenSegments | Segments | Tensor) -> Tensor:
        """x (N, C), cos/sin (N, head_dim) float32 -> (N, C).

        ``segments``: the block-diagonal structure: packed varlen (``VarlenSegments``), padded
        (``Segments``) or a dense (N, N) bool mask.
        """
        n = x.shape[0]
        q, k, v = self.qkv(x).view(n, 3, self.num_heads, self.head_dim).unbind(1)  # each (N, H, D)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # (N, 1, D)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        if isinstance(segments, VarlenSegments):
            out = segments.attend(q, k, v)  # (N, H, D)
        elif isinstance(segments, Segments):
            q, k, v = segments.pack(q), segments.pack(k), segments.pack(v)  # (S, H, L, D)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=segments.key_mask)
            out = segments.unpack(out)  # (N, H, D)
        else:
            q, k, v = (t.transpose(0, 1).unsqueeze(0) for t in (q, k, v))  # (1, H, N, D)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=segments).squeeze(0).transpose(0, 1)
        return self.proj(out.reshape(n, -1))


class VisionMLP(nn.Module):
    """SwiGLU with biases."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=True)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=True)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class VisionBlock(nn.Module):
    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.norm1 = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.norm2 = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.attn = VisionAttention(config)
        self.mlp = VisionMLP(config)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, segments: VarlenSegments | Segments | Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x), cos, sin, segments)
        return x + self.mlp(self.norm2(x))


class PatchMerger(nn.Module):
    """RMSNorm per patch, concatenate each 2x2 block (4 consecutive rows), Linear-GELU-Linear."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.merged_dim = config.hidden_size * config.merge_unit
        self.ln_q = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = nn.Sequential(
            nn.Linear(self.merged_dim, self.merged_dim),
            nn.GELU(),  # exact (erf) GELU, as the reference
            nn.Linear(self.merged_dim, config.out_hidden_size),
        )

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) -> (N/merge_unit, out_hidden)."""
        return self.mlp(self.ln_q(x).reshape(-1, self.merged_dim))


class VisionTransformer(nn.Module):
    """Mounted as ``visual`` in the full model."""

    def __init__(self, config: VisionConfig) -> None:
        super().__init__()
        self.config = config
        self.patch_embed = PatchEmbed(config)
        self.blocks = nn.ModuleList(VisionBlock(config) for _ in range(config.depth))
        self.merger = PatchMerger(config)

    def forward(self, pixel_values: Tensor, grid_thw: Tensor) -> Tensor:
        """pixel_values (N, patch_dim), grid_thw (num_items, 3) -> (N/merge_unit, out_hidden).

        Output rows follow the merged-grid raster order of each item, items in order.
        """
        cfg = self.config
        unit = cfg.merge_unit
        grid_thw = grid_thw.to(torch.long)
        n = int((grid_thw[:, 0] * grid_thw[:, 1] * grid_thw[:, 2]).sum())
        if pixel_values.shape[0] != n:
            raise ValueError(f"pixel_values has {pixel_values.shape[0]} patches, image_grid_thw implies {n}")
        if bool(((grid_thw[:, 1:] % cfg.spatial_merge_size) != 0).any()):
            raise ValueError(f"grid h and w must be multiples of spatial_merge_size, got {grid_thw.tolist()}")
        device = pixel_values.device
        grid_cpu = grid_thw.cpu()
        window_index, cu_window = get_window_index(grid_cpu, cfg.window_size, cfg.spatial_merge_size,
                                                   cfg.patch_size)
        window_index = window_index.to(device)
        windows = VarlenSegments.from_cu_seqlens(cu_window, device)  # ~64-patch windows
        images = VarlenSegments.from_cu_seqlens(get_cu_seqlens(grid_cpu), device)  # whole images

        def to_windows(t: Tensor) -> Tensor:  # permute whole merge units (N, ...) into window order
            return t.reshape(n // unit, unit, -1)[window_index].reshape(n, -1)

        h = to_windows(self.patch_embed(pixel_values))  # (N, C)
        positions = vision_rotary_positions(grid_cpu, cfg.spatial_merge_size).to(device)  # (N, 2)
        cos, sin = vision_rotary_cos_sin(positions, cfg.head_dim, cfg.rope_theta)  # (N, head_dim)
        cos, sin = to_windows(cos), to_windows(sin)
        full = set(cfg.fullatt_block_indexes)
        for i, block in enumerate(self.blocks):
            h = block(h, cos, sin, images if i in full else windows)
        merged = self.merger(h)  # (N/unit, out) in window order
        return merged[torch.argsort(window_index)]
