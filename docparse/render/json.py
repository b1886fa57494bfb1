"""JSON output: the document model (``Document.to_dict()``), described by ``docparse.schema``."""

from __future__ import annotations

import enum
import json
import math
from pathlib import PurePath
from typing import Any

from docparse.document import Document


def render_json(doc: Document, indent: int | None = 2) -> str:
    """The document as JSON text (UTF-8 characters kept, not \\u-escaped).

    Engine extras in ``meta`` / ``settings`` / ``metadata`` may hold values JSON lacks (sets,
    paths, enums, bytes, NaN); they are turned into the nearest JSON value instead of failing the
    whole output.
    """
    return json.dumps(_clean(doc.to_dict()), ensure_ascii=False, indent=indent, allow_nan=False)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_clean(v) for v in items]
    if isinstance(value, enum.Enum):
        return _clean(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)
