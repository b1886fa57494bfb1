"""Qwen2.5-VL in plain PyTorch (import name ``qwen2_5_vl``; never imports ``docparse``).

Public names are loaded lazily so that ``import qwen2_5_vl.tokenizer`` does not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "VisionConfig": "config",
    "TextConfig": "config",
    "Qwen2_5_VLConfig": "config",
    "PRESETS": "config",
    "Qwen2_5_VLForConditionalGeneration": "modeling",
    "KVCache": "kv_cache",
    "PagedKVCache": "kv_cache",
    "PageEngine": "engine",
    "EngineConfig": "engine",
    "Request": "engine",
    "Completion": "engine",
    "get_rope_index": "rope",
    "load_model": "weights",
    "load_state": "weights",
    "checkpoint_info": "weights",
    "random_model": "weights",
    "CheckpointError": "errors",
    "ConfigError": "errors",
    "QwenTokenizer": "tokenizer",
    "process_image": "processing",
    "process_images": "processing",
    "smart_resize": "processing",
    "GenerationConfig": "generate",
    "generate": "generate",
    "PageParser": "pipeline",
    "PageResult": "pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qwen2_5_vl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
