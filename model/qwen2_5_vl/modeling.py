"""Qwen2.5-VL for generation: vision tower -> scatter into token embeddings -> decoder -> logits.

State-dict keys are the checkpoint's legacy names: ``visual.*``, ``model.embed_tokens.weight``,
``model.layers.N.*``, ``model.norm.weight``, ``lm_head.weight`` (shared with the embeddings when
``tie_word_embeddings``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .config import Qwen2_5_VLConfig
from .kv_cache import KVCache
from .rope import mrope_cos_sin
from .text import TextModel
from .vision import VisionTransformer

__all__ = ["Qwen2_5_VLForConditionalGeneration", "build_attention_mask"]


def build_attention_mask(attention_mask: Tensor | None, query_positions: Tensor, key_len: int,
                         batch_size: int) -> Tensor:
    """Causal + padding mask (B, 1, T, S) bool, True = may attend.

    Args:
        attention_mask: (B, L) 1 real / 0 pad over key slots 0..L-1 (L <= S), or None (all real).
        query_positions: (T,) absolute slot of each query (its cache position).
        key_len: S, the number of key slots (T without a cache, the cache length with one).

    A query always sees itself, so padding queries (whose row would otherwise be empty) stay finite.
    """
    device = query_positions.device
    keys = torch.arange(key_len, device=device)
    causal = keys[None, :] <= query_positions[:, None]  # (T, S)
    if attention_mask is None:
        return causal.view(1, 1, *causal.shape).expand(batch_size, 1, -1, -1)
    if attention_mask.shape[1] > key_len:
        raise ValueError(f"attention_mask covers {attention_mask.shape[1]} slots, only {key_len} exist")
    real = torch.zeros(batch_size, key_len, dtype=torch.bool, device=device)
    real[:, : attention_mask.shape[1]] = attention_mask.to(device).bool()
    mask = causal[None] & real[:, None, :]  # (B, T, S)
    mask |= keys[None, None, :] == query_positions[None, :, None]
    return mask.unsqueeze(1)


class Qwen2_5_VLForConditionalGeneration(nn.Module):
    config: Qwen2_5_VLConfig

    def __init__(self, config: Qwen2_5_VLConfig) -> None:
        super().__init__()
        self.config = config
        self.visual = VisionTransformer(config.vision_config)
        self.model = TextModel(config.text_config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.tie_weights()

    def tie_weights(self) -> None:
        """Share lm_head with the embeddings when the config says so (call again after assigning weights)."""
        if self.config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    # -----------------------------------------------------------------------------------------------
    def get_image_features(self, pixel_values: Tensor, image_grid_thw: Tensor) -> Tensor:
        """pixel_values (N, 1176) of all images, image_grid_thw (num_images, 3) -> (N/4, hidden)."""
        return self.visual(pixel_values, image_grid_thw)

    def setup_cache(self, batch_size: int, max_seq_len: int, device: torch.device | str | None = None,
                    dtype: torch.dtype | None = None) -> KVCache:
        """A zeroed static cache for ``batch_size`` rows of up to ``max_seq_len`` tokens."""
        ref = self.model.embed_tokens.weight
        tc = self.config.text_config
        return KVCache(tc.num_hidden_layers, batch_size, tc.num_key_value_heads, max_seq_len, tc.head_dim,
                       device=device if device is not None else ref.device,
                       dtype=dtype if dtype is not None else ref.dtype)

    def forward(self, input_ids: Tensor, position_ids: Tensor, attention_mask: Tensor | None = None,
                pixel_values: Tensor | None = None, image_grid_thw: Tensor | None = None,
                kv_cache: KVCache | None = None, cache_position: Tensor | None = None,
                logits_to_keep: int = 0) -> Tensor:
        """Logits (B, T, vocab) float32 (or (B, logits_to_keep, vocab)).

        Args:
            input_ids: (B, T).
            position_ids: (3, B, T) from ``rope.get_rope_index`` (prefill) or ``cache_position + delta``.
            attention_mask: (B, T_past + T), 1 real / 0 padding (left padding), or None.
            pixel_values: (N, 1176) for all images of the batch, in order of appearance.
            image_grid_thw: (num_images, 3).
            kv_cache: a cache from ``setup_cache``; new keys/values are written at ``cache_position``.
            cache_position: (T,) absolute cache slots of these tokens (required with a cache;
                defaults to 0..T-1 without one).
            logits_to_keep: when > 0, project only the last ``logits_to_keep`` positions: a prefill
                needs one, and full-vocabulary float32 logits of a long prompt are gigabytes.
        """
        bsz, seqlen = input_ids.shape
        tc = self.config.text_config
        if position_ids.shape[-2:] != (bsz, seqlen):
            raise ValueError(f"position_ids {tuple(position_ids.shape)} do not match input_ids {(bsz, seqlen)}")
        if cache_position is None:
            if kv_cache is not None:
                raise ValueError("cache_position is required when a kv_cache is given")
            cache_position = torch.arange(seqlen, device=input_ids.device)
        embeds = self.model.embed_tokens(input_ids)  # (B, T, hidden)
        if pixel_values is not None:
            if image_grid_thw is None:
                raise ValueError("pixel_values given without image_grid_thw")
            embeds = self._scatter_images(input_ids, embeds, self.get_image_features(pixel_values, image_grid_thw))
        # without pixel_values an image token is embedded like any token (as the reference does, and a
        # decode step may sample one); checking here would also cost a device sync per step

        cos, sin = mrope_cos_sin(position_ids, tc.head_dim, tc.rope_theta, tc.mrope_section)  # (B, T, D) fp32
        key_len = kv_cache.max_seq_len if kv_cache is not None else seqlen
        mask = build_attention_mask(attention_mask, cache_position.to(input_ids.device), key_len, bsz)
        hidden = self.model(embeds, cos, sin, mask, kv_cache, cache_position)  # (B, T, hidden)
        if logits_to_keep > 0:
            hidden = hidden[:, -logits_to_keep:]
        return self.lm_head(hidden).float()

    def _scatter_images(self, input_ids: Tensor, embeds: Tensor, features: Tensor) -> Tensor:
        """Put image features (n, hidden) in order at the positions where input_ids == image_token_id."""
        is_image = input_ids == self.config.image_token_id  # (B, T)
        n_tokens = int(is_image.sum())
        if n_tokens != features.shape[0]:
            raise ValueError(f"image features and image tokens do not match: {n_tokens} image tokens in "
                             f"input_ids, {features.shape[0]} features from pixel_values")
        return embeds.masked_scatter(is_image.unsqueeze(-1), features.to(embeds.dtype))
