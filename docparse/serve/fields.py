"""Which ``ConvertOptions`` fields a request may set, and form text -> typed values.

The engine is loaded once when the server starts and shared by every request, so everything that
shapes the engine (engine, model, device, remote server, profile ...) is a start-up option of
``docparse serve``. A request may set only the fields below, which change how a document's pages
are chosen and prepared, never which engine runs or where it connects. Every other field of
``ConvertOptions`` -- including ones added later -- becomes a ``docparse serve --flag`` with no
edit here, and is refused in a request with a message naming that flag.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from typing import Any

from docparse.errors import OptionsError
from docparse.options import ConvertOptions

# Per request: page selection, the password of this document, its render size, the passes.
REQUEST_FIELDS = ("pages", "password", "dpi", "min_pixels", "max_pixels", "passes")
# Only per request: a server-wide page selection or password makes no sense.
REQUEST_ONLY_FIELDS = ("pages", "password")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def option_types() -> dict[str, Any]:
    """Field name -> its evaluated type hint (``str | None`` becomes ``Optional[str]``)."""
    hints = typing.get_type_hints(ConvertOptions)
    return {f.name: hints.get(f.name, str) for f in fields(ConvertOptions)}


def option_help(name: str) -> str:
    return str(ConvertOptions.__dataclass_fields__[name].metadata.get("help", ""))


def base_type(hint: Any) -> tuple[Any, bool]:
    """(the non-None type, whether None is allowed) of a hint such as ``Optional[int]``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or (hasattr(types, "UnionType") and isinstance(hint, types.UnionType)):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return (args[0] if len(args) == 1 else str), len(args) < len(typing.get_args(hint))
    return hint, False


def coerce(name: str, text: str, hint: Any) -> Any:
    """A form value as the field's type; raises ``OptionsError`` with a one-line message."""
    kind, nullable = base_type(hint)
    text = text.strip()
    if nullable and text == "":
        return None
    try:
        if kind is bool:
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        origin = typing.get_origin(kind)
        if origin in (list, tuple):  # comma-separated, each item as the element type
            (item,) = typing.get_args(kind)[:1] or (str,)
            values = [coerce(name, part, item) for part in text.split(",") if part.strip()]
            return values if origin is list else tuple(values)
    except (ValueError, TypeError):
        raise OptionsError(f"option {name!r}: cannot read {text!r} as {getattr(kind, '__name__', kind)}") from None
    return text


def request_overrides(form: dict[str, str]) -> dict[str, Any]:
    """The option fields of a request's form (``formats`` and ``file`` excluded), typed.

    Raises ``OptionsError`` for an unknown field or one that only the server's start-up sets.
    """
    hints = option_types()
    out: dict[str, Any] = {}
    for key, text in form.items():
        if key not in hints:
            known = ", ".join(("formats",) + REQUEST_FIELDS)
            raise OptionsError(f"unknown form field {key!r}; a request may set: {known}")
        if key not in REQUEST_FIELDS:
            flag = "--" + key.replace("_", "-")
            raise OptionsError(
                f"option {key!r} is fixed when the server starts (docparse serve {flag} ...), not per request"
            )
        out[key] = coerce(key, text, hints[key])
    return out
