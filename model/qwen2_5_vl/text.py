"""The Qwen2.5 decoder: RMSNorm, GQA attention (q/k/v bias, no o bias) with MRoPE, SwiGLU MLP.

Submodule names follow the checkpoint (``embed_tokens``, ``layers.N.self_attn.q_proj``, ...), so the
state dict of ``TextModel`` mounted at ``model`` has the checkpoint's legacy key names.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import Attend, masked_attention
from .config import TextConfig
from .rope import apply_rotary

__all__ = ["RMSNorm", "TextAttention", "TextMLP", "DecoderLayer", "TextModel", "sdpa"]

sdpa = masked_attention  # q (B, H, T, D), k/v (B, Hkv, S, D), mask (B, 1, T, S) or None


class RMSNorm(nn.Module):
    """x / rms(x) in float32, cast back to the input dtype, then times the weight (as the reference)."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)


class TextAttention(nn.Module):
    def __init__(self, config: TextConfig) -> None:
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.head_dim = config.head_dim
        hidden = config.hidden_size
        self.q_proj = nn.Linear(hidden, self.num_heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(hidden, self.num_kv_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(hidden, self.num_kv_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, hidden, bias=False)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, layer_idx: int, attend: Attend) -> Tensor:
        """x (B, T, hidden), cos/sin (B, T, D); ``attend`` stores this step's K/V and attends (attention.py)."""
        bsz, seqlen, _ = x.shape
        q = self.q_proj(x).view(bsz, seqlen, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, T, D)
        k = self.k_proj(x).view(bsz, seqlen, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (B, Hkv, T, D)
        v = self.v_proj(x).view(bsz, seqlen, self.num_kv_heads, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # (B, 1, T, D)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        out = attend(layer_idx, q, k, v)  # (B, H, T, D)
        return self.o_proj(out.transpose(1, 2).reshape(bsz, seqlen, -1))


class TextMLP(nn.Module):
    def __init__(self, config: TextConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, config: TextConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = TextAttention(config)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = TextMLP(config)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, layer_idx: int, attend: Attend) -> Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, layer_idx, attend)
        return x + self.mlp(self.post_attention_layernorm(x))


class TextModel(nn.Module):
    """Embeddings + decoder layers + final norm (mounted as ``model`` in the full model)."""

    def __init__(self, config: TextConfig) -> None:
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)

    def forward(self, inputs_embeds: Tensor, cos: Tensor, sin: Tensor, attend: Attend) -> Tensor:
        """inputs_embeds (B, T, hidden), cos/sin (B, T, head_dim) -> (B, T, hidden)."""
        h = inputs_embeds
        for i, layer in enumerate(self.layers):
            h = layer(h, cos, sin, i, attend)
        return self.norm(h)
