"""Reading a checkpoint's JSON files (config.json, the shard index) as untrusted input.

Size is checked before reading (a multi-GB "config.json" is refused, not loaded), nesting that
exhausts Python's recursion is a clean error, and every failure is one ``CheckpointError`` line
naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import CheckpointError

# Released config.json files are ~1-5 KB and shard indexes ~30-100 KB (7B: 57 KB, 72B: 110 KB).
MAX_CONFIG_BYTES = 1 * 2**20  # 1 MiB: 200x the largest real config.json
MAX_INDEX_BYTES = 64 * 2**20  # 64 MiB: 600x the largest real shard index


def load_json(path: Path, max_bytes: int, error: type[CheckpointError] = CheckpointError) -> Any:
    """The parsed JSON of ``path``; ``error`` (one line naming the file) for anything unusable."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path} is {size:,} bytes, more than the {max_bytes:,} such a file can sensibly be")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a JSON file") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise error(f"{path} is nested too deeply to be a real {path.name}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise error(f"{path} is not usable JSON ({str(exc).splitlines()[0][:120]})") from None
