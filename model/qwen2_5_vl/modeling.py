"""Qwen2.5-VL for generation: vision tower -> scatter into token embeddings -> decoder -> logits.

State-dict keys are the checkpoint's legacy names: ``visual.*``, ``model.embed_tokens.weight``,
``model.layers.N.*``, ``model.norm.weight``, ``lm_head.weight`` (shared with the embeddings when
``tie_word_embeddings``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .attention import Attend, DenseAttention, StaticCacheAttention, padding_causal_mask
from .config import Qwen2_5_VLConfig
from .kv_cache import KVCache
from .rope import mrope_cos_sin
from .text import TextModel
from .vision import VisionTransformer

__all__ = ["Qwen2_5_VLForConditionalGeneration", "build_attention_mask", "reference_attention"]


def build_attention_mask(attention_mask: Tensor | None, query_positions: Tensor, key_len: int,
                         batch_size: int) -> Tensor:
    """Causal + padding mask (B, 1, T, S) bool, True = may attend.

    Args:
        attention_mask: (B, L) 1 real / 0 pad over key slots 0..L-1 (L <= S), or None (all real).
        query_positions: (T,) absolute slot of each query (its cache position).
        key_len: S, the number of key slots attended over (the filled ones).
    """
    if attention_mask is None:
        attention_mask = torch.ones(batch_size, key_len, dtype=torch.bool, device=query_positions.device)
    if attention_mask.shape[1] > key_len:
        raise ValueError(f"attention_mask covers {attention_mask.shape[1]} slots, only {key_len} exist")
    return padding_causal_mask(attention_mask, query_positions, key_len)


def reference_attention(attention_mask: Tensor | None, cache_position: Tensor, seqlen: int,
                        kv_cache: KVCache | None) -> Attend:
    """The attention of a plain forward: over this step's own tokens, or the filled static-cache slots.

    Filled slots: ``attention_mask``'s length when given (it covers past + new tokens), else up to
    the last cache position. A mask is built only when some slot is padding.
    """
    if kv_cache is None:
        key_len = seqlen
    elif attention_mask is not None:
        key_len = attention_mask.shape[1]
        if key_len > kv_cache.max_seq_len:
            raise ValueError(f"attention_mask covers {key_len} slots, only {kv_cache.max_seq_len} exist")
    else:
        key_len = int(cache_position[-1]) + 1
    padded = attention_mask is not None and not bool(attention_mask.bool().all())
    mask = padding_causal_mask(attention_mask, cache_position, key_len) if padded else None
    if kv_cache is None:
        return DenseAttention(mask)
    return StaticCacheAttention(kv_cache, cache_position, key_len, mask)


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
        if position_ids.shape[-2:] != (bsz, seqlen):
            raise ValueError(f"position_ids {tuple(position_ids.shape)} do not match input_ids {(bsz, seqlen)}")
        if cache_position is None:
            if kv_cache is not None:
                raise ValueError("cache_position is required when a kv_cache is given")
            cache_position = torch.arange(seqlen, device=input_ids.device)
        embeds = self.embed(input_ids, pixel_values, image_grid_thw)  # (B, T, hidden)
        attend = reference_attention(attention_mask, cache_position.to(input_ids.device), seqlen, kv_cache)
        return self.decode_embeds(embeds, position_ids, attend, logits_to_keep)

    def embed(self, input_ids: Tensor, pixel_values: Tensor | None = None,
              image_grid_thw: Tensor | None = None) -> Tensor:
        """input_ids (B, T) -> (B, T, hidden), image features in place of the image tokens."""
        embeds = self.model.embed_tokens(input_ids)  # (B, T, hidden)
        if pixel_values is not None:
            if image_grid_thw is None:
                raise ValueError("pixel_values given without image_grid_thw")
            embeds = self._scatter_images(input_ids, embeds, self.get_image_features(pixel_values, image_grid_thw))
        # without pixel_values an image token is embedded like any token (as the reference does, and a
        # decode step may sample one); checking here would also cost a device sync per step
        return embeds

    def decode_embeds(self, embeds: Tensor, position_ids: Tensor, attend: Attend, logits_to_keep: int = 0,
                      logits_at: Tensor | None = None) -> Tensor:
        """embeds (B, T, hidden), position_ids (3, B, T) -> float32 logits (B, T or logits_to_keep, vocab).

        ``logits_at`` (K,) long: project only these positions instead -> (B, K, vocab) (a packed
        prefill needs the last position of each sequence that ends in it).
        """
        tc = self.config.text_config
        cos, sin = mrope_cos_sin(position_ids, tc.head_dim, tc.rope_theta, tc.mrope_section)  # (B, T, D) fp32
        hidden = self.model(embeds, cos, sin, attend)  # (B, T, hidden)
        if logits_at is not None:
            hidden = hidden.index_select(1, logits_at)
        elif logits_to_keep > 0:
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
