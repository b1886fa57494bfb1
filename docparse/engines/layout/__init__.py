"""The embedded layout engine, a package whose modules are its stages (see ``engine``).

``LayoutEngine`` is what callers use; the stages live in ``text``, ``scan``, ``regions``,
``tables``, ``order``, ``labels`` and ``blocks``, sharing a page through ``context``.

The names below load ``engine`` (and every stage) on first use, not on import of the package,
so that a child process running one stage (``scan.ocr_ahead``) imports only that stage.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LayoutEngine", "OCR_MODES", "MAX_LINE_CHARS", "MODEL_MAX_PAGE_AREA"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from docparse.engines.layout import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
