"""Checking a checkpoint from its headers alone, before the model is built or a tensor is read.

* ``scan``: every file's safetensors header (``safetensors_header.read_header``), keyed by legacy name.
* ``check_agreement``: config.json against the weights: layer and block counts and the main widths
  must match the tensors' shapes, so a config cannot make us build something the weights do not
  describe (the refusal names the config field).
* ``problems``: missing, unexpected, mis-shaped, duplicated and non-float tensors against a model.
* ``check_memory``: the bytes a load will allocate against what the device has free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Qwen2_5_VLConfig
from .errors import CheckpointError, ConfigError
from .safetensors_header import DTYPE_BYTES, FLOAT_DTYPES, read_header

_DECODER_LAYER = re.compile(r"^model\.layers\.(\d+)\.")
_VISION_BLOCK = re.compile(r"^visual\.blocks\.(\d+)\.")


def to_legacy_key(key: str) -> str:
    """transformers >= 4.52 in-memory names -> the checkpoint's legacy names (others unchanged)."""
    if key.startswith("model.visual."):
        return key[len("model."):]
    if key.startswith("model.language_model."):
        return "model." + key[len("model.language_model."):]
    return key


@dataclass
class Entry:
    file: Path
    key: str  # name inside the file
    shape: tuple[int, ...]
    dtype: str  # safetensors dtype string, e.g. "BF16"

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


@dataclass
class Scan:
    entries: dict[str, Entry] = field(default_factory=dict)  # legacy name -> entry
    duplicates: list[str] = field(default_factory=list)


def scan(files: list[Path]) -> Scan:
    """All tensors of all files from their headers (each file checked end to end, nothing mmapped)."""
    result = Scan()
    for file in files:
        tensors, _ = read_header(file)
        for key, t in tensors.items():
            name = to_legacy_key(key)
            if name in result.entries:
                result.duplicates.append(f"{key} ({file.name} and {result.entries[name].file.name})")
                continue
            result.entries[name] = Entry(file, key, t.shape, t.dtype)
    return result


def _count(entries: dict[str, Entry], pattern: re.Pattern[str]) -> int:
    """Number of distinct numbered layers/blocks the weights hold."""
    return len({m.group(1) for m in map(pattern.match, entries) if m})


def check_agreement(config: Qwen2_5_VLConfig, found: Scan) -> None:
    """ConfigError naming the config field when config.json and the weights' shapes disagree.

    Runs before the model is built: the layer and block counts bound what gets built, the widths
    give a message that names the field instead of a list of mis-shaped tensors.
    """
    tc, vc = config.text_config, config.vision_config
    e = found.entries
    issues: list[str] = []

    def count(field_name: str, value: int, pattern: re.Pattern[str], what: str) -> None:
        # More layers in the config than in the weights: refused before building them. Fewer: the
        # extra tensors are listed as unexpected by problems().
        held = _count(e, pattern)
        if value > held:
            issues.append(f"{field_name} is {value:,} but the weights hold only {held} {what}")

    def dim(field_name: str, value: int, key: str, axis: int, expect: Any = None) -> None:
        entry = e.get(key)
        if entry is None or len(entry.shape) <= axis:
            return  # a missing tensor is reported by problems()
        want = value if expect is None else expect
        if entry.shape[axis] != want:
            issues.append(f"{field_name} is {value:,} but {key} has shape {list(entry.shape)}")

    count("text_config.num_hidden_layers", tc.num_hidden_layers, _DECODER_LAYER, "decoder layers")
    count("vision_config.depth", vc.depth, _VISION_BLOCK, "vision blocks")
    dim("text_config.vocab_size", tc.vocab_size, "model.embed_tokens.weight", 0)
    dim("text_config.hidden_size", tc.hidden_size, "model.embed_tokens.weight", 1)
    dim("text_config.intermediate_size", tc.intermediate_size, "model.layers.0.mlp.gate_proj.weight", 0)
    dim("text_config.num_key_value_heads", tc.num_key_value_heads, "model.layers.0.self_attn.k_proj.weight", 0,
        tc.num_key_value_heads * tc.head_dim)
    dim("vision_config.hidden_size", vc.hidden_size, "visual.patch_embed.proj.weight", 0)
    dim("vision_config.in_channels", vc.in_channels, "visual.patch_embed.proj.weight", 1)
    dim("vision_config.temporal_patch_size", vc.temporal_patch_size, "visual.patch_embed.proj.weight", 2)
    dim("vision_config.patch_size", vc.patch_size, "visual.patch_embed.proj.weight", 3)
    dim("vision_config.intermediate_size", vc.intermediate_size, "visual.blocks.0.mlp.gate_proj.weight", 0)
    dim("vision_config.spatial_merge_size", vc.spatial_merge_size, "visual.merger.mlp.0.weight", 0,
        vc.hidden_size * vc.merge_unit)
    dim("vision_config.out_hidden_size", vc.out_hidden_size, "visual.merger.mlp.2.weight", 0)
    if issues:
        more = f" (and {len(issues) - 3} more)" if len(issues) > 3 else ""
        raise ConfigError("config.json does not match the weights: " + "; ".join(issues[:3]) + more)


def expected_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_word_embeddings", False):
        shapes.pop("lm_head.weight", None)  # shared with model.embed_tokens.weight
    return shapes


def problems(found: Scan, expected: dict[str, tuple[int, ...]], tied: bool) -> dict[str, list[str]]:
    present = set(found.entries)
    ignorable = {"lm_head.weight"} if tied else set()  # a tied checkpoint may still carry the copy
    common = sorted(present & set(expected))
    mismatched = [f"{n}: checkpoint {list(found.entries[n].shape)} != model {list(expected[n])}"
                  for n in common if found.entries[n].shape != expected[n]]
    return {
        "missing_keys": sorted(set(expected) - present),
        "unexpected_keys": sorted(found.entries[n].key for n in present - set(expected) - ignorable),
        "mismatched_shapes": mismatched,
        "duplicate_keys": found.duplicates,
        # integer or bool weights cannot be cast into the model's floating-point parameters
        "non_float_tensors": [f"{n} ({found.entries[n].dtype})" for n in common
                              if found.entries[n].dtype not in FLOAT_DTYPES],
    }


def raise_if_problems(root: Path, found: dict[str, list[str]]) -> None:
    parts = []
    for label, items in found.items():
        if items:
            shown = items[:20] + ([f"... and {len(items) - 20} more"] if len(items) > 20 else [])
            parts.append(f"{label.replace('_', ' ')} ({len(items)}): " + ", ".join(shown))
    if parts:  # one line: it ends up in a terminal and in the run report
        raise CheckpointError(f"checkpoint {root} does not match the model: " + "; ".join(parts))


def load_bytes(found: Scan, names: list[str], itemsize: int | None) -> int:
    """Bytes the loaded tensors take (floating-point ones at ``itemsize`` when a dtype is forced)."""
    total = 0
    for name in names:
        entry = found.entries[name]
        size = itemsize if itemsize is not None and entry.dtype in FLOAT_DTYPES else DTYPE_BYTES[entry.dtype]
        total += entry.numel * size
    return total


def available_bytes(device: Any) -> int | None:
    """Free memory on ``device`` (host: MemAvailable; CUDA: free device memory); None when unknown."""
    if device.type == "cuda":
        import torch

        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(root: Path, needed: int, device: Any) -> None:
    """Refuse a load that cannot fit, before the first tensor is read (not an OOM kill halfway)."""
    free = available_bytes(device)
    if free is not None and needed > free:
        raise CheckpointError(f"checkpoint {root} needs {needed / 1e9:.1f} GB on {device} to load, "
                              f"only {free / 1e9:.1f} GB is free")
