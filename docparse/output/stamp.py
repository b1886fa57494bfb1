"""The stamp: ``.docparse-done.json``, written last into a document's output folder. It says what
was converted, from what and how; a rerun reads it to skip a document that is up to date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docparse.output.files import atomic_write

STAMP = ".docparse-done.json"


def read_stamp(out_dir: Path) -> dict[str, Any] | None:
    """The stamp of ``out_dir``, or None when it is missing or unreadable (then: convert again)."""
    try:
        return json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_stamp(out_dir: Path, stamp: dict[str, Any]) -> None:
    atomic_write(out_dir / STAMP, json.dumps(stamp, indent=2, sort_keys=True))
