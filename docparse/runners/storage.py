"""Where a Ray run's outputs go: a folder every node sees, or an fsspec URL (``s3://``, ``gs://``,
``abfs://`` ... wherever fsspec and its driver handle it).

For a URL, each document is converted into a local staging folder on the worker and then uploaded,
file by file, its stamp last, so a rerun never takes a half-uploaded document for done. On a file
system with renames (``local://``) a file is uploaded under a temporary name and renamed; on an
object store a put is atomic by itself (an object appears whole or not at all).
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from docparse.errors import OptionsError
from docparse.output.stamp import STAMP

_LOCAL_PROTOCOLS = ("file", "local")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")  # two letters or more: not a Windows drive


def split_out(out: str | Path) -> tuple[Path | None, str | None]:
    """(a local path, None) or (None, an fsspec URL). ``file://`` is a local path. (A ``Path``
    has already folded ``scheme://`` into ``scheme:/``; both spellings are read.)"""
    text = str(out)
    match = _SCHEME.match(text)
    if not match:
        return Path(out), None
    scheme, rest = match.group(1).lower(), text[len(match.group(0)):].lstrip("/")
    if scheme == "file":
        return Path("/" + rest), None
    if scheme == "local":
        return None, f"local:///{rest}"
    return None, f"{scheme}://{rest}"


class RemoteOut:
    """An fsspec URL as the run's OUT."""

    def __init__(self, url: str) -> None:
        try:
            from fsspec.core import url_to_fs

            self.fs, self.root = url_to_fs(url)
        except (ImportError, ValueError, OSError) as exc:  # no fsspec, an unknown protocol, its driver missing (s3fs ...)
            raise OptionsError(f"cannot write to {url}: {exc} (fsspec and its driver for this protocol)") from None
        self.url = url
        self.renames = any(p in _LOCAL_PROTOCOLS for p in _protocols(self.fs))

    def path(self, *parts: str) -> str:
        """``root/parts...``; a part that would leave the root (``..``) is refused."""
        pieces = [piece for part in parts for piece in part.split("/") if piece not in ("", ".")]
        if ".." in pieces:
            raise ValueError(f"output path escapes the output folder: {'/'.join(parts)}")
        return "/".join([self.root.rstrip("/"), *pieces])

    def read_stamp(self, out_rel: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.fs.cat_file(self.path(*out_rel.split("/"), STAMP)))
        except (OSError, ValueError, KeyError):  # missing (FileNotFoundError is an OSError) or unreadable
            return None

    def put(self, local: Path, *remote_parts: str) -> None:
        remote = self.path(*remote_parts)
        parent = remote.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        if not self.renames:
            self.fs.put_file(str(local), remote)
            return
        temp = f"{parent}/.{remote.rsplit('/', 1)[1]}.{secrets.token_hex(4)}.tmp"
        self.fs.put_file(str(local), temp)
        self.fs.mv(temp, remote)

    def upload_document(self, staged: Path, out_rel: str) -> None:
        """Every file of a staged document folder, the stamp last."""
        files = sorted(p for p in staged.rglob("*") if p.is_file() and p.name != STAMP and not p.name.endswith(".tmp"))
        for path in files:
            self.put(path, *out_rel.split("/"), *path.relative_to(staged).parts)
        if (staged / STAMP).is_file():
            self.put(staged / STAMP, *out_rel.split("/"), STAMP)


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = getattr(fs, "protocol", ())
    return (proto,) if isinstance(proto, str) else tuple(proto)


def staging_dir(prefix: str) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix))


