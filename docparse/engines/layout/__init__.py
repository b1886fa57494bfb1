"""The embedded layout engine, a package whose modules are its stages (see ``engine``).

``LayoutEngine`` is what callers use; the stages live in ``text``, ``scan``, ``regions``,
``tables``, ``order``, ``labels`` and ``blocks``, sharing a page through ``context``.
"""

from docparse.engines.layout.engine import MAX_LINE_CHARS, MODEL_MAX_PAGE_AREA, OCR_MODES, LayoutEngine

__all__ = ["LayoutEngine", "OCR_MODES", "MAX_LINE_CHARS", "MODEL_MAX_PAGE_AREA"]
