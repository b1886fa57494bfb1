"""The run report ``OUT/docparse-report.json``: one entry per input, merged across runs.

- Several runs may write into one output folder at the same time. The report is read, merged and
  written under an exclusive lock (``OUT/.docparse-report.lock``, ``fcntl.flock``), so no run's
  entries are lost: an entry is keyed by its input path, a run replaces its own inputs' entries
  and keeps everyone else's.
- A name that is not valid UTF-8 reaches Python with surrogate escapes (``\\udcff``). Those are
  written as JSON ``\\udcXX`` escapes, so the report stays valid UTF-8 JSON and
  ``os.fsencode(json.load(f)["files"][i]["input"])`` gives the original bytes back.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from docparse.output.files import atomic_write

REPORT_NAME = "docparse-report.json"
LOCK_NAME = ".docparse-report.lock"

_SURROGATE = re.compile("[\ud800-\udfff]")


def write_report(out_dir: Path, header: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Merge this run's ``entries`` into the report in ``out_dir`` and write it atomically.
    Raises ``OSError`` when it cannot be written (disk full): the caller decides what to say."""
    with report_lock(out_dir):
        _remove_stale_temporaries(out_dir)
        previous = read_report(out_dir).get("files", [])
        files = merge_entries(previous, entries)
        report = {**header, "counts": count_statuses(files), "files": files}
        atomic_write(out_dir / REPORT_NAME, to_json(report))


def _remove_stale_temporaries(out_dir: Path) -> None:
    """A run killed outright (SIGKILL, power loss) while writing the report leaves its temporary
    file behind. Every report write happens under the lock, so one found while holding it is such
    a leftover."""
    for tmp in out_dir.glob(f".{REPORT_NAME}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def read_report(out_dir: Path) -> dict[str, Any]:
    """The report as it is on disk; empty when there is none or it cannot be read."""
    try:
        report = json.loads((out_dir / REPORT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) and isinstance(report.get("files", []), list) else {}


def merge_entries(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``previous`` with each input's entry replaced by its entry in ``current`` (in place, so the
    order stays put), then the inputs new to the report."""
    latest = {entry["input"]: entry for entry in current}
    merged = [latest.pop(e.get("input"), e) for e in previous if isinstance(e, dict)]
    return merged + [e for e in current if e["input"] in latest]


def count_statuses(files: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in files:
        status = str(entry.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return counts


def to_json(report: dict[str, Any]) -> str:
    """Readable JSON (UTF-8 kept as is) in which surrogate escapes become ``\\uXXXX`` escapes."""
    text = json.dumps(report, indent=2, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@contextlib.contextmanager
def report_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder's report lock (blocking). O_NOFOLLOW: a lock file planted as a
    symlink must not create or touch anything outside the folder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; runs into one folder are not merged safely
        yield
        return
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
