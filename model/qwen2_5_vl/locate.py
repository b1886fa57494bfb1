"""Finding a checkpoint's files: a local folder, or a model id in the local Hugging Face cache (offline).

Every weight file must lie inside the checkpoint folder: a shard index is untrusted input, so a
shard named ``../outside.safetensors`` or ``/etc/x``, or a symlink leading out of the folder, is
refused. The one exception is the Hugging Face cache's own layout, where ``snapshots/<rev>/*`` are
symlinks into the same repository's ``blobs/``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import CheckpointError
from .jsonfile import MAX_INDEX_BYTES, load_json

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
PICKLE_REFUSAL = ("pickle-based checkpoints ({names}) are refused: unpickling can run arbitrary code. "
                  "Use a safetensors checkpoint (model.safetensors or model.safetensors.index.json + shards).")


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
                raise CheckpointError(PICKLE_REFUSAL.format(names=path.name))
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
        if not snap.is_dir() or not _within(snap, [snapshots]):
            raise FileNotFoundError(f"refs/main of {text} points to a missing snapshot: {snap}")
        return snap
    candidates = sorted(p for p in snapshots.iterdir() if p.is_dir())
    if len(candidates) != 1:
        raise FileNotFoundError(f"model {text}: no refs/main and {len(candidates)} snapshots in {snapshots}; "
                                f"pass the snapshot directory instead")
    return candidates[0]


def _within(path: Path, folders: list[Path]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(folder.resolve()) for folder in folders)


def _allowed_folders(root: Path) -> list[Path]:
    """The checkpoint folder, plus ``blobs/`` when it is a snapshot of the Hugging Face cache."""
    folders = [root]
    if root.resolve().parent.name == "snapshots":
        folders.append(root.resolve().parent.parent / "blobs")
    return folders


def _inside_checkpoint(root: Path, file: Path, what: str) -> Path:
    if not _within(file, _allowed_folders(root)):
        raise CheckpointError(f"{what} {file.name} leads outside the checkpoint folder {root} "
                              f"(to {file.resolve()}): refused")
    return file


def _shard_path(root: Path, index: Path, name: object) -> Path:
    """The shard a weight_map entry names, refused when it is not a relative path inside ``root``."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise CheckpointError(f"{index} names a shard that is not a file name: {str(name)[:80]!r}")
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts or ".." in windows.parts:
        raise CheckpointError(f"{index} names a shard outside the checkpoint folder: {name[:120]!r}: refused")
    return _inside_checkpoint(root, root / name, "shard")


def checkpoint_files(root: Path) -> list[Path]:
    """The safetensors files of a checkpoint directory, shards in index order, all inside ``root``."""
    index = root / INDEX_FILE
    if index.is_file():
        data = load_json(index, MAX_INDEX_BYTES)
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            raise CheckpointError(f"{index} has no weight_map")
        for name in weight_map.values():
            if not isinstance(name, str):
                raise CheckpointError(f"{index} names a shard that is not a file name: {str(name)[:80]!r}")
        names = list(dict.fromkeys(weight_map.values()))
        files = [_shard_path(root, index, n) for n in names]
        missing = [n for n, f in zip(names, files) if not f.is_file()]
        if missing:
            raise CheckpointError(f"{index} lists shard(s) that are not on disk: {', '.join(missing[:20])}")
        return files
    if (root / SINGLE_FILE).is_file():
        return [_inside_checkpoint(root, root / SINGLE_FILE, "weight file")]
    found = sorted(root.glob("*.safetensors"))
    if found:
        return [_inside_checkpoint(root, f, "weight file") for f in found]
    if not root.is_dir():
        raise FileNotFoundError(f"checkpoint not found: {root} is not a directory")
    pickles = sorted(p.name for p in root.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise CheckpointError(PICKLE_REFUSAL.format(names=", ".join(pickles)))
    raise FileNotFoundError(f"no safetensors weights in {root}")
