"""Discovery: which files a batch converts, where each one's outputs go, and the inputs that fail
before any conversion (missing, a symlink loop, an unreadable folder, a folder with nothing in it).

Folders are searched recursively (symlinked folders are not followed: no loops); hidden files and
folders and the output folder itself are left out. Output folders mirror the input tree; their
names are safe, short, unique within the run and stable across reruns (names.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from docparse.batch import BatchItem, ItemResult
from docparse.errors import os_error_message
from docparse.names import with_hash
from docparse.source import SUPPORTED_SUFFIXES, _safe_name


def discover(inputs: Iterable[str | os.PathLike], out_dir: Path) -> tuple[list[BatchItem], list[ItemResult]]:
    """Files to convert, and failures for inputs that do not exist, cannot be read or hold nothing
    convertible."""
    found = _Discovery(out_dir)
    for raw in inputs:
        found.add_input(Path(raw))
    return found.items, found.problems


class _Discovery:
    def __init__(self, out_dir: Path):
        self.out_resolved = out_dir.resolve()
        self.items: list[BatchItem] = []
        self.problems: list[ItemResult] = []
        self.taken: set[str] = set()
        self.seen: set[Path] = set()  # the same file named twice converts once

    def fail(self, path: Path, error: str) -> None:
        self.problems.append(ItemResult(input=str(path), output="", status="failed", error=error))

    def add_input(self, path: Path) -> None:
        try:
            os.stat(path)
        except OSError as exc:  # missing, a symlink loop, a folder above it not searchable
            self.fail(path, os_error_message(exc, path))
            return
        if path.is_dir():
            self.add_folder(path)
        else:  # an unreadable file is tried, and fails on its own (exit 1, the others convert)
            self.add_file(path, Path("."))

    def add_folder(self, top: Path) -> None:
        unreadable: list[str] = []

        def on_error(exc: OSError) -> None:  # os.walk would skip the folder silently
            unreadable.append(str(exc.filename))
            self.fail(Path(exc.filename or top), f"cannot read folder: {os_error_message(exc)}")

        count = len(self.items)
        for root, dirs, files in os.walk(top, onerror=on_error):  # followlinks=False: no loops
            root_path = Path(root)
            resolved = root_path.resolve()
            if resolved == self.out_resolved or self.out_resolved in resolved.parents:
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel_parent = Path(*[_safe_name(p) for p in root_path.relative_to(top).parts])
            for name in sorted(files):
                if Path(name).suffix.lower() in SUPPORTED_SUFFIXES and not name.startswith("."):
                    self.add_file(root_path / name, rel_parent)
        if len(self.items) == count and str(top) not in unreadable:
            self.fail(top, f"no PDF or image files in folder: {top}")

    def add_file(self, path: Path, rel_parent: Path) -> None:
        key = path.absolute()
        if key in self.seen:
            return
        self.seen.add(key)
        self.items.append(BatchItem(source=path, out_rel=self.claim(path, rel_parent)))

    def claim(self, path: Path, rel_parent: Path) -> str:
        """A unique output folder for ``path``: its stem; for ``a.png`` beside ``a.pdf`` the
        stem and suffix; failing those, the stem with a hash of the whole path."""
        stem = _safe_name(path.stem)
        for candidate in (
            stem,
            _safe_name(f"{path.stem}_{path.suffix.lstrip('.')}"),
            with_hash(stem, str(path.absolute())),
        ):
            rel = (rel_parent / candidate).as_posix()
            if rel not in self.taken:
                self.taken.add(rel)
                return rel
        rel = (rel_parent / with_hash(stem, f"{path.absolute()}#{len(self.taken)}")).as_posix()
        self.taken.add(rel)
        return rel
