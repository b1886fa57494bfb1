"""Shared fixtures for the qwen2_5_vl tests.

``reference_pair`` builds each tiny reference model (transformers, a test-only dependency) once per
session: fixed seed, weights re-drawn at a scale that makes the outputs sensitive to every weight,
``save_pretrained`` to a temporary directory, then loaded with our ``weights.load_model`` in fp32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from qwen2_5_vl.config import Qwen2_5_VLConfig

# Special ids remapped under the small vocab (reference/qwen2_5_vl.md §4).
IDS = dict(image_token_id=200, video_token_id=201, vision_start_token_id=202, vision_end_token_id=203)
BOS, EOS, PAD = 0, 1, 2

# Three tiny configurations (see tests/model/test_modeling_parity.py):
#  a: real 2x2 merge, 112-px windows, images that do not fill whole windows;
#  b: tied embeddings + grouped-query attention (4 query heads per KV head);
#  c: several full-attention vision blocks (first, middle, last) and a deeper decoder.
PARITY_CONFIGS: dict[str, dict[str, Any]] = {
    "a_windows": dict(
        vision=dict(depth=4, hidden_size=64, num_heads=4, intermediate_size=80, fullatt_block_indexes=[2]),
        text=dict(num_hidden_layers=2, hidden_size=64, intermediate_size=96, num_attention_heads=4,
                  num_key_value_heads=4, mrope_section=[2, 3, 3]),
        tie=False,
    ),
    "b_tied_gqa": dict(
        vision=dict(depth=3, hidden_size=32, num_heads=4, intermediate_size=48, fullatt_block_indexes=[1]),
        text=dict(num_hidden_layers=2, hidden_size=64, intermediate_size=96, num_attention_heads=4,
                  num_key_value_heads=1, mrope_section=[2, 3, 3]),
        tie=True,
    ),
    "c_full_attention": dict(
        vision=dict(depth=5, hidden_size=32, num_heads=2, intermediate_size=48, fullatt_block_indexes=[0, 2, 4]),
        text=dict(num_hidden_layers=3, hidden_size=96, intermediate_size=128, num_attention_heads=6,
                  num_key_value_heads=2, mrope_section=[2, 3, 3]),
        tie=False,
    ),
}


def reference_config(spec: dict[str, Any]):
    """The transformers (5.x) config for one of PARITY_CONFIGS."""
    transformers = pytest.importorskip("transformers")
    t = spec["text"]
    text = dict(vocab_size=256, hidden_size=t["hidden_size"], intermediate_size=t["intermediate_size"],
                num_hidden_layers=t["num_hidden_layers"], num_attention_heads=t["num_attention_heads"],
                num_key_value_heads=t["num_key_value_heads"], rms_norm_eps=1e-6, max_position_embeddings=1024,
                rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": t["mrope_section"]},
                bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD)
    v = spec["vision"]
    vision = dict(depth=v["depth"], hidden_size=v["hidden_size"], num_heads=v["num_heads"],
                  intermediate_size=v["intermediate_size"], out_hidden_size=t["hidden_size"], window_size=112,
                  fullatt_block_indexes=v["fullatt_block_indexes"], patch_size=14, spatial_merge_size=2,
                  temporal_patch_size=2, in_channels=3, tokens_per_second=2)
    return transformers.Qwen2_5_VLConfig(text_config=text, vision_config=vision,
                                         tie_word_embeddings=spec["tie"], **IDS)


def _redraw_weights(model: torch.nn.Module, seed: int) -> None:
    """Replace the tiny default init (std 0.02) by larger random weights so that every path matters."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith("norm.weight") or "norm1" in name or "norm2" in name or "ln_q" in name:
                p.copy_(1.0 + 0.1 * noise)
            elif p.dim() == 1:  # biases
                p.copy_(0.1 * noise)
            else:
                fan_in = p[0].numel()
                p.copy_(noise / fan_in**0.5)


@dataclass
class ReferencePair:
    name: str
    ref: Any  # transformers.Qwen2_5_VLForConditionalGeneration
    ours: Any  # qwen2_5_vl.Qwen2_5_VLForConditionalGeneration
    config: Qwen2_5_VLConfig
    path: Path


@pytest.fixture(scope="session")
def reference_pairs(tmp_path_factory) -> dict[str, ReferencePair]:
    """Lazily built reference/ours model pairs, one per PARITY_CONFIGS entry, cached for the session."""
    transformers = pytest.importorskip("transformers")
    from qwen2_5_vl.weights import load_model

    cache: dict[str, ReferencePair] = {}

    class _Lazy(dict):
        def __missing__(self, name: str) -> ReferencePair:
            torch.manual_seed(1234)
            ref = transformers.Qwen2_5_VLForConditionalGeneration(reference_config(PARITY_CONFIGS[name]))
            _redraw_weights(ref, seed=sorted(PARITY_CONFIGS).index(name) + 1)
            if ref.config.tie_word_embeddings:
                ref.tie_weights()
            ref.eval()
            path = tmp_path_factory.mktemp(f"ref_{name}")
            ref.save_pretrained(path)
            ours = load_model(path, dtype=torch.float32).eval()
            pair = ReferencePair(name, ref, ours, ours.config, path)
            self[name] = pair
            return pair

    return _Lazy(cache)


@pytest.fixture
def tiny_config() -> Qwen2_5_VLConfig:
    return Qwen2_5_VLConfig.tiny()
