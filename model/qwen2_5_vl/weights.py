"""Load Qwen2.5-VL weights from safetensors checkpoints (never pickle).

* Where: a local checkpoint directory, or a model id ("Qwen/Qwen2.5-VL-3B-Instruct") already in the
  local Hugging Face cache, resolved offline through ``refs/main``.
* What: ``model.safetensors`` or shards listed by ``model.safetensors.index.json``.
* Key layouts: the checkpoint's legacy names (``visual.*``, ``model.layers.*``) and the in-memory
  names of transformers >= 4.52 (``model.visual.*``, ``model.language_model.*``).
* How: headers are checked first (missing, unexpected and mis-shaped tensors are an error listing
  them), then the model, built on the meta device, is filled shard by shard with
  ``load_state_dict(..., assign=True)``, so the weights never exist twice in memory.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from .config import Qwen2_5_VLConfig
from .modeling import Qwen2_5_VLForConditionalGeneration

__all__ = [
    "CheckpointError", "resolve_checkpoint", "checkpoint_files", "to_legacy_key", "load_state", "load_model",
    "checkpoint_info", "random_model",
]

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
_PICKLE_REFUSAL = ("pickle-based checkpoints ({names}) are refused: unpickling can run arbitrary code. "
                   "Use a safetensors checkpoint (model.safetensors or model.safetensors.index.json + shards).")

_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


class CheckpointError(ValueError):
    """The checkpoint cannot be used as it is (wrong format, missing / unexpected / mis-shaped tensors)."""


# ---------------------------------------------------------------------------------------------------
# Finding the files
# ---------------------------------------------------------------------------------------------------
def _hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def resolve_checkpoint(path_or_id: str | os.PathLike[str]) -> Path:
    """The local checkpoint directory for a path or a model id in the local Hugging Face cache (offline)."""
    path = Path(path_or_id).expanduser()
    if path.exists():
        if path.is_file():
            if path.suffix in PICKLE_SUFFIXES:
                raise CheckpointError(_PICKLE_REFUSAL.format(names=path.name))
            return path.parent
        return path
    text = str(path_or_id)
    parts = text.split("/")
    if len(parts) != 2 or not all(parts) or text.startswith((".", "~")):
        raise FileNotFoundError(f"checkpoint not found: {text} is neither a directory nor an Org/Name model id")
    repo = _hub_cache() / f"models--{parts[0]}--{parts[1]}"
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        raise FileNotFoundError(f"model {text} is not in the local Hugging Face cache (looked in {repo}); "
                                f"download it first (e.g. `huggingface-cli download {text}`) or pass a directory")
    ref = repo / "refs" / "main"
    if ref.is_file():
        snap = snapshots / ref.read_text(encoding="utf-8").strip()
        if not snap.is_dir():
            raise FileNotFoundError(f"refs/main of {text} points to a missing snapshot: {snap}")
        return snap
    candidates = sorted(p for p in snapshots.iterdir() if p.is_dir())
    if len(candidates) != 1:
        raise FileNotFoundError(f"model {text}: no refs/main and {len(candidates)} snapshots in {snapshots}; "
                                f"pass the snapshot directory instead")
    return candidates[0]


def checkpoint_files(root: Path) -> list[Path]:
    """The safetensors files of a checkpoint directory, shards in index order."""
    index = root / INDEX_FILE
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise CheckpointError(f"{index} has no weight_map")
        names = list(dict.fromkeys(weight_map.values()))
        missing = [n for n in names if not (root / n).is_file()]
        if missing:
            raise CheckpointError(f"{index} lists shard(s) that are not on disk: {', '.join(missing)}")
        return [root / n for n in names]
    if (root / SINGLE_FILE).is_file():
        return [root / SINGLE_FILE]
    found = sorted(root.glob("*.safetensors"))
    if found:
        return found
    pickles = sorted(p.name for p in root.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise CheckpointError(_PICKLE_REFUSAL.format(names=", ".join(pickles)))
    raise FileNotFoundError(f"no safetensors weights in {root}")


def to_legacy_key(key: str) -> str:
    """transformers >= 4.52 in-memory names -> the checkpoint's legacy names (others unchanged)."""
    if key.startswith("model.visual."):
        return key[len("model."):]
    if key.startswith("model.language_model."):
        return "model." + key[len("model.language_model."):]
    return key


# ---------------------------------------------------------------------------------------------------
# Header scan and validation
# ---------------------------------------------------------------------------------------------------
@dataclass
class _Entry:
    file: Path
    key: str  # name inside the file
    shape: tuple[int, ...]
    dtype: str  # safetensors dtype string, e.g. "BF16"


@dataclass
class _Scan:
    entries: dict[str, _Entry] = field(default_factory=dict)  # legacy name -> entry
    duplicates: list[str] = field(default_factory=list)


def _scan(files: list[Path]) -> _Scan:
    scan = _Scan()
    for file in files:
        with safe_open(str(file), framework="pt") as f:
            for key in f.keys():
                sl = f.get_slice(key)
                name = to_legacy_key(key)
                if name in scan.entries:
                    scan.duplicates.append(f"{key} ({file.name} and {scan.entries[name].file.name})")
                    continue
                scan.entries[name] = _Entry(file, key, tuple(sl.get_shape()), sl.get_dtype())
    return scan


def _expected_shapes(model: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if getattr(model.config, "tie_word_embeddings", False):
        shapes.pop("lm_head.weight", None)  # shared with model.embed_tokens.weight
    return shapes


def _problems(scan: _Scan, expected: dict[str, tuple[int, ...]], tied: bool) -> dict[str, list[str]]:
    present = set(scan.entries)
    ignorable = {"lm_head.weight"} if tied else set()  # a tied checkpoint may still carry the copy
    mismatched = [f"{n}: checkpoint {list(scan.entries[n].shape)} != model {list(expected[n])}"
                  for n in sorted(present & set(expected)) if scan.entries[n].shape != expected[n]]
    return {
        "missing_keys": sorted(set(expected) - present),
        "unexpected_keys": sorted(scan.entries[n].key for n in present - set(expected) - ignorable),
        "mismatched_shapes": mismatched,
        "duplicate_keys": scan.duplicates,
    }


def _raise_if_problems(root: Path, problems: dict[str, list[str]]) -> None:
    lines = []
    for label, items in problems.items():
        if items:
            shown = items[:50] + ([f"... and {len(items) - 50} more"] if len(items) > 50 else [])
            lines.append(f"{label.replace('_', ' ')} ({len(items)}): " + ", ".join(shown))
    if lines:
        raise CheckpointError(f"checkpoint {root} does not match the model:\n  " + "\n  ".join(lines))


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------
def load_state(model: Qwen2_5_VLForConditionalGeneration, path_or_id: str | os.PathLike[str],
               dtype: torch.dtype | None = torch.bfloat16, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Fill ``model`` (typically built on the meta device) from a checkpoint, shard by shard.

    Floating-point tensors are cast to ``dtype`` (None keeps the checkpoint's). Raises
    ``CheckpointError`` listing every missing, unexpected or mis-shaped tensor before loading any.
    Returns a small report: files, number of tensors, key layout.
    """
    root = resolve_checkpoint(path_or_id)
    files = checkpoint_files(root)
    scan = _scan(files)
    expected = _expected_shapes(model)
    _raise_if_problems(root, _problems(scan, expected, model.config.tie_word_embeddings))

    by_file: dict[Path, list[str]] = {}
    for name in expected:
        by_file.setdefault(scan.entries[name].file, []).append(name)
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    device_str = str(dev)  # safetensors reads straight onto this device
    for file in files:
        names = by_file.get(file, [])
        if not names:
            continue
        shard: dict[str, torch.Tensor] = {}
        with safe_open(str(file), framework="pt", device=device_str) as f:
            for name in names:
                tensor = f.get_tensor(scan.entries[name].key)
                if dtype is not None and tensor.is_floating_point():
                    tensor = tensor.to(dtype)
                shard[name] = tensor
        model.load_state_dict(shard, strict=False, assign=True)
        del shard  # the model now owns these tensors; nothing else keeps a copy
    model.tie_weights()
    still_meta = [n for n, p in model.named_parameters() if p.is_meta]
    if still_meta:
        raise CheckpointError(f"parameters left unloaded: {', '.join(still_meta)}")
    return {"path": str(root), "files": [f.name for f in files], "tensors": len(expected),
            "key_layout": _layout(scan.entries.values())}


def load_model(path_or_id: str | os.PathLike[str], dtype: torch.dtype | None = torch.bfloat16,
               device: torch.device | str = "cpu") -> Qwen2_5_VLForConditionalGeneration:
    """Config + weights of a local checkpoint directory or cached model id, in eval mode."""
    root = resolve_checkpoint(path_or_id)
    checkpoint_files(root)  # refuse pickle / empty directories before reading anything else
    config = Qwen2_5_VLConfig.from_json_file(root / "config.json")
    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration(config)
    load_state(model, root, dtype=dtype, device=device)
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
    dtypes (count per dtype), key_layout, config (main shapes, or an ``error`` string), and the
    lists missing_keys / unexpected_keys / mismatched_shapes / duplicate_keys against the model
    its config.json describes, and complete (all four empty).
    """
    root = resolve_checkpoint(path_or_id)
    files = checkpoint_files(root)
    scan = _scan(files)
    dtypes = Counter()
    params = 0
    for e in scan.entries.values():
        numel = 1
        for s in e.shape:
            numel *= s
        params += numel
        dtypes[str(_SAFETENSORS_DTYPES.get(e.dtype, e.dtype)).removeprefix("torch.")] += 1
    info: dict[str, Any] = {
        "path": str(root),
        "files": [f.name for f in files],
        "size_bytes": sum(f.stat().st_size for f in files),
        "num_tensors": len(scan.entries),
        "parameter_count": params,
        "dtype": dtypes.most_common(1)[0][0] if dtypes else None,
        "dtypes": dict(dtypes),
        "key_layout": _layout(scan.entries.values()),
    }
    try:
        config = Qwen2_5_VLConfig.from_json_file(root / "config.json")
    except (FileNotFoundError, ValueError) as e:
        info["config"] = {"error": str(e)}
        info.update(missing_keys=[], unexpected_keys=[], mismatched_shapes=[], duplicate_keys=scan.duplicates,
                    complete=False)
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
    problems = _problems(scan, _expected_shapes(model), config.tie_word_embeddings)
    info.update(problems)
    info["complete"] = not any(problems.values())
    return info
