"""File-system primitives of every output: atomic writes, paths that stay inside the output
folder, and the probe that proves an output folder can be written.

A file is written to a temporary name in the same folder and renamed, so no half-written output
ever exists.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from docparse.errors import OutputError, os_error_message

# Temporary files being written now: a worker told to stop (SIGTERM) removes them before it exits,
# so no half-written file is ever left behind (see process_guard.py).
_IN_PROGRESS: set[str] = set()


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _IN_PROGRESS.add(tmp)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    finally:
        _IN_PROGRESS.discard(tmp)


def remove_files_in_progress() -> None:
    """Delete every temporary file a write has not finished (called when a process must stop)."""
    for tmp in list(_IN_PROGRESS):
        _remove(tmp)


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_child(root: Path, *parts: str) -> Path:
    """``root / parts`` that is guaranteed to stay inside ``root`` (names never come from PDF text,
    but a crafted file name must not escape either)."""
    root = root.resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        planted = root.joinpath(*parts)
        raise OutputError(f"refused: {planted} leads outside the output folder (a symlink?) to {path}")
    return path


def write_in_folder(out_dir: Path, name: str, data: bytes) -> Path:
    """Write ``out_dir/name`` atomically; ``name`` must be a plain file name inside ``out_dir``."""
    path = safe_child(Path(out_dir), name)
    if path.parent != Path(out_dir).resolve():
        raise ValueError(f"asset path escapes the output folder: {name!r}")
    atomic_write(path, data)
    return path


def prepare_output_folder(out_dir: Path) -> None:
    """Create the output folder and prove it can be written (a real probe file: permission bits
    say nothing for root or a read-only mount). Raises ``OutputError`` with one line."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"the output folder is an existing file: {out_dir}") from None
    except OSError as exc:
        kind = "a file stands in its path" if exc.errno == errno.ENOTDIR else os_error_message(exc, path="")
        raise OutputError(f"cannot create the output folder {out_dir}: {kind}") from None
    if not out_dir.is_dir():
        raise OutputError(f"the output folder is not a folder: {out_dir}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".docparse-probe.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"the output folder is not writable: {out_dir} ({os_error_message(exc, path='')})") from None
