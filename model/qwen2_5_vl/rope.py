"""Rotary position embeddings of Qwen2.5-VL.

* Vision: 2D rotary. Each patch gets (row, col) on its image's patch grid; the first half of the
  rotary frequencies rotate by row, the second half by column (reference §3.2).
* Text: multimodal RoPE (MRoPE). Positions are (3, B, T) = (temporal, height, width); the rotary
  channels are split by ``mrope_section`` and channel chunk j takes its angle from axis j % 3.
* ``get_rope_index`` builds those (3, B, T) positions for a prompt holding images (reference §3.4).

All angle maths is in float32; the result is cast to the activation dtype by the caller.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .config import Qwen2_5_VLConfig

__all__ = [
    "rotate_half", "apply_rotary", "inv_freq", "vision_rotary_positions", "vision_rotary_cos_sin",
    "mrope_cos_sin", "get_rope_index",
]


def rotate_half(x: Tensor) -> Tensor:
    """(..., D) -> (..., D): [-x2, x1] with x1, x2 the two halves of the last dim."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate ``x`` (..., D) by angles whose cos/sin broadcast to it. Computed in float32, returned in x.dtype."""
    xf = x.float()
    return (xf * cos + rotate_half(xf) * sin).to(x.dtype)


def inv_freq(dim: int, theta: float, device: torch.device | str | None = None) -> Tensor:
    """(dim/2,) float32 inverse frequencies 1 / theta^(2i/dim)."""
    return 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32, device=device) / dim))


# ---------------------------------------------------------------------------------------------------
# Vision 2D rotary
# ---------------------------------------------------------------------------------------------------
def vision_rotary_positions(grid_thw: Tensor, spatial_merge_size: int) -> Tensor:
    """(N, 2) long (row, col) of each patch, in the processor's merge-block order.

    Patches arrive grouped by 2x2 merge blocks (block raster order, then raster inside the block),
    repeated for every temporal slice of an item.
    """
    m = spatial_merge_size
    out = []
    for t, h, w in grid_thw.tolist():
        rows = torch.arange(h, device=grid_thw.device).view(h // m, m, 1, 1).expand(h // m, m, w // m, m)
        cols = torch.arange(w, device=grid_thw.device).view(1, 1, w // m, m).expand(h // m, m, w // m, m)
        # (bh, mh, bw, mw) -> (bh, bw, mh, mw): merge-block order
        rows = rows.permute(0, 2, 1, 3).reshape(-1)
        cols = cols.permute(0, 2, 1, 3).reshape(-1)
        out.append(torch.stack([rows, cols], dim=-1).repeat(t, 1))
    return torch.cat(out, dim=0)


def vision_rotary_cos_sin(positions: Tensor, head_dim: int, theta: float) -> tuple[Tensor, Tensor]:
    """positions (N, 2) -> cos, sin (N, head_dim) float32.

    Angles: [row * f (head_dim/4), col * f (head_dim/4)] duplicated to head_dim, f = inv_freq(head_dim/2).
    """
    freqs = inv_freq(head_dim // 2, theta, positions.device)  # (head_dim/4,)
    angles = positions.float()[..., None] * freqs  # (N, 2, head_dim/4)
    angles = angles.flatten(1)  # (N, head_dim/2): rows then cols
    emb = torch.cat((angles, angles), dim=-1)  # (N, head_dim)
    return emb.cos(), emb.sin()


# ---------------------------------------------------------------------------------------------------
# Text MRoPE
# ---------------------------------------------------------------------------------------------------
def mrope_cos_sin(position_ids: Tensor, head_dim: int, theta: float, mrope_section: tuple[int, ...],
                  dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """position_ids (3, B, T) -> cos, sin (B, T, head_dim) in ``dtype`` (angles computed in float32)."""
    if position_ids.dim() == 2:  # plain text positions (B, T): the same on all three axes
        position_ids = position_ids.unsqueeze(0).expand(3, -1, -1)
    if position_ids.shape[0] != 3:
        raise ValueError(f"position_ids must be (3, B, T), got {tuple(position_ids.shape)}")
    freqs = inv_freq(head_dim, theta, position_ids.device)  # (head_dim/2,)
    angles = position_ids.float()[..., None] * freqs  # (3, B, T, head_dim/2)
    # channel chunk j of the half takes its angle from axis j (t, h, w): static slices, no index
    # tensor, so the decode step traces without a graph break (torch.compile fullgraph)
    chunks = angles.split(list(mrope_section), dim=-1)  # 3 x (3, B, T, section_j)
    angles = torch.cat([chunk[axis] for axis, chunk in enumerate(chunks)], dim=-1)  # (B, T, head_dim/2)
    emb = torch.cat((angles, angles), dim=-1)  # (B, T, head_dim)
    return emb.cos().to(dtype), emb.sin().to(dtype)


# ---------------------------------------------------------------------------------------------------
# get_rope_index
# ---------------------------------------------------------------------------------------------------
def _row_positions(ids: list[int], grids: list[list[int]], config: Qwen2_5_VLConfig) -> Tensor:
    """(3, L) positions of one unpadded row; consumes its images' grids in order."""
    m = config.vision_config.spatial_merge_size
    image_id = config.image_token_id
    if config.video_token_id in ids:
        raise ValueError("video tokens are not supported by get_rope_index (images only)")
    chunks: list[Tensor] = []
    pos = 0  # next free position
    i = 0
    n = len(ids)
    while i < n:
        if ids[i] != image_id:
            j = i
            while j < n and ids[j] != image_id:
                j += 1
            chunks.append(torch.arange(pos, pos + j - i).view(1, -1).expand(3, -1))
            pos += j - i
            i = j
            continue
        if not grids:
            raise ValueError("more image tokens in input_ids than images in image_grid_thw")
        t, h, w = grids.pop(0)
        gh, gw = h // m, w // m
        count = t * gh * gw
        if ids[i:i + count] != [image_id] * count:
            raise ValueError(f"an image of grid {(t, h, w)} needs {count} consecutive image tokens")
        tt = torch.arange(t).view(t, 1, 1).expand(t, gh, gw)  # images: temporal step 1 (t == 1 in practice)
        hh = torch.arange(gh).view(1, gh, 1).expand(t, gh, gw)
        ww = torch.arange(gw).view(1, 1, gw).expand(t, gh, gw)
        chunks.append(torch.stack([tt, hh, ww]).reshape(3, -1) + pos)
        pos += max(t, gh, gw)  # next text starts after the largest extent (= max(gh, gw) for images)
        i += count
    if not chunks:
        return torch.zeros(3, 0, dtype=torch.long)
    return torch.cat(chunks, dim=1)


def get_rope_index(input_ids: Tensor, image_grid_thw: Tensor | None, attention_mask: Tensor | None,
                   config: Qwen2_5_VLConfig) -> tuple[Tensor, Tensor]:
    """3D positions for a (possibly left-padded) batch of prompts holding any number of images.

    Args:
        input_ids: (B, T). Each image is a run of ``t*h*w/merge**2`` image tokens; images are taken
            from ``image_grid_thw`` in order, row after row.
        image_grid_thw: (num_images, 3) or None for text only.
        attention_mask: (B, T), 1 real / 0 padding, or None.

    Returns:
        position_ids: (3, B, T) long; padding positions are 1 (as the reference 4.x code).
        rope_deltas: (B, 1) long, ``max_position + 1 - T``: the position of the token in cache slot s
            (s >= T) is ``s + rope_delta`` on all three axes, so decoding uses ``cache_position + delta``.
            T is the padded length: for a left-padded row this already accounts for its padding.
    """
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must be (B, T), got {tuple(input_ids.shape)}")
    bsz, seqlen = input_ids.shape
    grids = image_grid_thw.tolist() if image_grid_thw is not None else []
    mask = attention_mask.bool() if attention_mask is not None else torch.ones_like(input_ids, dtype=torch.bool)
    position_ids = torch.ones(3, bsz, seqlen, dtype=torch.long)
    deltas = []
    for b in range(bsz):
        row_mask = mask[b].cpu()
        ids = input_ids[b].cpu()[row_mask].tolist()
        pos = _row_positions(ids, grids, config)
        position_ids[:, b, row_mask] = pos
        max_pos = int(pos.max()) if pos.numel() else -1
        deltas.append(max_pos + 1 - seqlen)
    if grids:
        raise ValueError(f"image_grid_thw holds {len(grids)} more image(s) than input_ids")
    rope_deltas = torch.tensor(deltas, dtype=torch.long).view(bsz, 1)
    return position_ids.to(input_ids.device), rope_deltas.to(input_ids.device)
