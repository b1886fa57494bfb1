"""Real file-system conditions for the bad-input tests: a small tmpfs (to fill up, or mounted
read-only) and running a command as an unprivileged user (root ignores permission bits).
Each helper skips the test with the reason when this machine cannot provide the condition."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]
NOBODY = 65534


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "4m", read_only: bool = False) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at ``path`` for the test (needs root: skips otherwise)."""
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size},mode=0777" + (",ro" if read_only else "")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {res.stderr.strip() or res.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system of ``folder`` until writing fails (ENOSPC); then free ``leave_bytes``."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as fh:  # unbuffered: nothing left to flush at close
        chunk = b"\0" * 65536
        try:
            while True:
                fh.write(chunk)
        except OSError:
            pass
        small = b"\0" * 4096
        try:
            while True:
                fh.write(small)
        except OSError:
            pass
    if leave_bytes:
        os.truncate(filler, max(0, filler.stat().st_size - leave_bytes))
    return filler


def docparse_command() -> list[str]:
    exe = Path(sys.executable).parent / "docparse"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "docparse.cli"]


def as_nobody(cmd: list[str]) -> list[str]:
    """``cmd`` run as the unprivileged user nobody (skips when that is impossible here)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the CLI as an unprivileged user (root ignores permission bits)")
    wrapped = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    probe = subprocess.run([*wrapped[:-len(cmd)], sys.executable, "-c", "import docparse"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot run this checkout's Python (a folder above it is private)")
    return wrapped


def world_dir() -> Path:
    """A fresh folder every user can enter (pytest's tmp_path sits under a root-only folder);
    the caller removes it."""
    import tempfile

    made = Path(tempfile.mkdtemp(prefix="docparse-test-", dir="/tmp"))
    made.chmod(0o777)
    return made
