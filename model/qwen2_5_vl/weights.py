"""Load Qwen2.5-VL weights from safetensors checkpoints (never pickle).

* Where: a local checkpoint directory, or a model id ("Qwen/Qwen2.5-VL-3B-Instruct") already in the
  local Hugging Face cache, resolved offline through ``refs/main``.
* What: ``model.safetensors`` or shards listed by ``model.safetensors.index.json``.
* Key layouts: the checkpoint's legacy names (``visual.*``, ``model.layers.*``) and the in-memory
  names of transformers >= 4.52 (``model.visual.*``, ``model.language_model.*``).
* How: everything that can be checked without reading a tensor is checked first, in this order:
  the files (pickle refused, shards inside the folder: ``locate``), config.json (sanity bounds:
  ``config_checks``), every safetensors header end to end (``safetensors_header``), config against
  the header shapes, tensors against the model (missing / unexpected / mis-shaped / non-float), and
  the memory the load needs (``checkpoint_check``). Only then is the model built on the meta device
  and filled shard by shard with ``load_state_dict(..., assign=True)``, so the weights never exist
  twice in memory. Every refusal is a one-line ``CheckpointError`` (``ConfigError`` for config.json).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from .checkpoint_check import (Scan, check_agreement, check_memory, expected_shapes, load_bytes, problems,
                               raise_if_problems, scan, to_legacy_key)
from .config import Qwen2_5_VLConfig
from .errors import CheckpointError, ConfigError
from .locate import INDEX_FILE, PICKLE_SUFFIXES, SINGLE_FILE, checkpoint_files, resolve_checkpoint
from .modeling import Qwen2_5_VLForConditionalGeneration

__all__ = [
    "CheckpointError", "ConfigError", "resolve_checkpoint", "checkpoint_files", "to_legacy_key", "load_state",
    "load_model", "checkpoint_info", "random_model", "INDEX_FILE", "SINGLE_FILE", "PICKLE_SUFFIXES",
]

_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------
def load_state(model: Qwen2_5_VLForConditionalGeneration, path_or_id: str | os.PathLike[str],
               dtype: torch.dtype | None = torch.bfloat16, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Fill ``model`` (typically built on the meta device) from a checkpoint, shard by shard.

    Floating-point tensors are cast to ``dtype`` (None keeps the checkpoint's). Raises
    ``CheckpointError`` listing every missing, unexpected, mis-shaped or non-float tensor, and a
    load that would not fit in memory, before reading any. Returns a small report: files, number
    of tensors, key layout.
    """
    root = resolve_checkpoint(path_or_id)
    files = checkpoint_files(root)
    return _fill(model, root, files, scan(files), dtype, device)


def _device(device: torch.device | str) -> torch.device:
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return dev


def _fill(model: Qwen2_5_VLForConditionalGeneration, root: Path, files: list[Path], found: Scan,
          dtype: torch.dtype | None, device: torch.device | str) -> dict[str, Any]:
    expected = expected_shapes(model)
    raise_if_problems(root, problems(found, expected, model.config.tie_word_embeddings))
    dev = _device(device)
    itemsize = None if dtype is None else torch.empty((), dtype=dtype).element_size()
    check_memory(root, load_bytes(found, list(expected), itemsize), dev)

    by_file: dict[Path, list[str]] = {}
    for name in expected:
        by_file.setdefault(found.entries[name].file, []).append(name)
    for file in files:
        names = by_file.get(file, [])
        if not names:
            continue
        shard: dict[str, torch.Tensor] = {}
        try:
            with safe_open(str(file), framework="pt", device=str(dev)) as f:  # straight onto the device
                for name in names:
                    tensor = f.get_tensor(found.entries[name].key)
                    if dtype is not None and tensor.is_floating_point():
                        tensor = tensor.to(dtype)
                    shard[name] = tensor
        except (SafetensorError, OSError, RuntimeError) as exc:  # changed on disk, I/O error, out of memory
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"cannot read the tensors of {file}: {first}") from exc
        model.load_state_dict(shard, strict=False, assign=True)
        del shard  # the model now owns these tensors; nothing else keeps a copy
    model.tie_weights()
    still_meta = [n for n, p in model.named_parameters() if p.is_meta]
    if still_meta:
        raise CheckpointError(f"parameters left unloaded: {', '.join(still_meta)}")
    return {"path": str(root), "files": [f.name for f in files], "tensors": len(expected),
            "key_layout": _layout(found.entries.values())}


def load_model(path_or_id: str | os.PathLike[str], dtype: torch.dtype | None = torch.bfloat16,
               device: torch.device | str = "cpu") -> Qwen2_5_VLForConditionalGeneration:
    """Config + weights of a local checkpoint directory or cached model id, in eval mode.

    Order: files (pickle refused), config.json, headers, config against headers, then the model is
    built and filled; nothing is built for a config the weights do not describe.
    """
    root = resolve_checkpoint(path_or_id)
    files = checkpoint_files(root)
    config = Qwen2_5_VLConfig.from_json_file(root / "config.json")
    found = scan(files)
    check_agreement(config, found)
    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration(config)
    _fill(model, root, files, found, dtype, device)
    return model.eval()


def random_model(config: Qwen2_5_VLConfig, dtype: torch.dtype = torch.bfloat16, device: torch.device | str = "cpu",
                 seed: int = 0, std: float = 0.02) -> Qwen2_5_VLForConditionalGeneration:
    """A model with random weights of the right shapes (e.g. ``Qwen2_5_VLConfig.from_preset("7B")``).

    For speed benchmarks: allocated once directly in ``dtype`` on ``device`` (no fp32 detour, no
    slow default initialisers); matrices ~ N(0, std), biases 0, norm weights 1.
    """
    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration(config)
    model = model.to_empty(device=device).to(dtype)
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.normal_(0.0, std, generator=gen)
            elif "norm" in name or "ln_q" in name:
                p.fill_(1.0)
            else:
                p.zero_()
    model.tie_weights()
    return model.eval()


def _layout(entries: Any) -> str:
    keys = [e.key for e in entries]
    new = any(k.startswith(("model.visual.", "model.language_model.")) for k in keys)
    old = any(k.startswith("visual.") or (k.startswith("model.") and not k.startswith(
        ("model.visual.", "model.language_model."))) for k in keys)
    if new and old:
        return "mixed"
    return "transformers>=4.52" if new else "legacy"


def checkpoint_info(path_or_id: str | os.PathLike[str]) -> dict[str, Any]:
    """What a checkpoint holds, from its headers only (no tensor is read).

    Keys: path, files, size_bytes, num_tensors, parameter_count, dtype (the most common one),
    dtypes (count per dtype), key_layout, config (main shapes, or an ``error`` string), tokenizer
    (its size, or an ``error``), the lists missing_keys / unexpected_keys / mismatched_shapes /
    duplicate_keys / non_float_tensors against the model its config.json describes, and complete
    (config and tokenizer usable, all lists empty). A corrupt weight file raises ``CheckpointError``.
    """
    root = resolve_checkpoint(path_or_id)
    files = checkpoint_files(root)
    found = scan(files)
    dtypes: Counter[str] = Counter()
    for e in found.entries.values():
        dtypes[str(_SAFETENSORS_DTYPES.get(e.dtype, e.dtype)).removeprefix("torch.")] += 1
    info: dict[str, Any] = {
        "path": str(root),
        "files": [f.name for f in files],
        "size_bytes": sum(f.stat().st_size for f in files),
        "num_tensors": len(found.entries),
        "parameter_count": sum(e.numel for e in found.entries.values()),
        "dtype": dtypes.most_common(1)[0][0] if dtypes else None,
        "dtypes": dict(dtypes),
        "key_layout": _layout(found.entries.values()),
    }
    config: Qwen2_5_VLConfig | None = None
    try:
        config = Qwen2_5_VLConfig.from_json_file(root / "config.json")
        check_agreement(config, found)  # before building: the config's sizes must be the weights'
    except (FileNotFoundError, ValueError) as e:
        info["config"] = {"error": str(e)}
        config = None
    info["tokenizer"] = _tokenizer_info(root, config)
    if config is None:
        info.update(missing_keys=[], unexpected_keys=[], mismatched_shapes=[], duplicate_keys=found.duplicates,
                    non_float_tensors=[], complete=False)
        return info
    tc, vc = config.text_config, config.vision_config
    info["config"] = {
        "hidden_size": tc.hidden_size, "num_hidden_layers": tc.num_hidden_layers,
        "num_attention_heads": tc.num_attention_heads, "num_key_value_heads": tc.num_key_value_heads,
        "vocab_size": tc.vocab_size, "tie_word_embeddings": config.tie_word_embeddings,
        "vision_depth": vc.depth, "vision_hidden_size": vc.hidden_size,
    }
    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration(config)
    found_problems = problems(found, expected_shapes(model), config.tie_word_embeddings)
    info.update(found_problems)
    info["complete"] = not any(found_problems.values()) and "error" not in info["tokenizer"]
    return info


def _tokenizer_info(root: Path, config: Qwen2_5_VLConfig | None) -> dict[str, Any]:
    """tokenizer.json's size, or the reason it cannot be used (missing, corrupt, ids unlike the config's)."""
    from .tokenizer import QwenTokenizer

    try:
        tok = QwenTokenizer.from_dir(root)
    except (FileNotFoundError, ValueError) as e:
        return {"error": str(e)}
    if config is not None:
        for name, token_id in (("image_token_id", tok.image_pad_id), ("vision_start_token_id", tok.vision_start_id),
                               ("vision_end_token_id", tok.vision_end_id)):
            if getattr(config, name) != token_id:
                return {"error": f"config.json {name} is {getattr(config, name)} but tokenizer.json has that "
                                 f"token at id {token_id}"}
    return {"vocab_size": tok.vocab_size}
