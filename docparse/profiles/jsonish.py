"""Tolerant JSON for model answers: fences, a lead-in sentence, trailing commas, cut-off arrays.

Base Qwen2.5-VL's text-spotting answers put a comma after the last key of every object and
after the last item (not JSON); dots.ocr's answers are cut off when they hit the token limit.
``loads_tolerant`` tries strict JSON first, then without trailing commas, then salvages every
complete ``{...}`` object it can find. Never raises.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)(?:```|$)", re.S)
_MAX_OBJECTS = 20_000


def _strict(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def loads_tolerant(raw: str) -> tuple[Any, bool]:
    """(value or None, salvaged): ``salvaged`` is True when only loose objects could be read."""
    text = (raw or "").strip()
    fenced = _FENCE.search(text)
    if fenced and fenced.group(1).strip():
        text = fenced.group(1).strip()
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        return None, False
    text = text[min(starts):]
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        value = _strict(candidate)
        if value is not None:
            return value, False
    objects = []
    for match in _objects(text):
        value = _strict(_TRAILING_COMMA.sub(r"\1", match))
        if isinstance(value, dict):
            objects.append(value)
    return (objects, True) if objects else (None, False)


def _objects(text: str) -> list[str]:
    """Top-level-ish ``{...}`` spans (string-aware brace matching, one nesting level deep)."""
    out: list[str] = []
    depth, start, in_string, escaped = 0, -1, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0 and start >= 0:
                out.append(text[start:i + 1])
                if len(out) >= _MAX_OBJECTS:
                    break
    return out


def as_box(value: Any) -> tuple[float, float, float, float] | None:
    """[x1, y1, x2, y2] of numbers -> a box; anything else -> None."""
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        return None
    try:
        box = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if any(v != v or abs(v) > 1e7 for v in box):  # NaN or absurd
        return None
    return box  # type: ignore[return-value]
