"""QwenVL HTML (Qwen2.5-VL dialect): prompts, the tag table, a tolerant reader and a writer.

The submodules are imported lazily by their users (``from docparse.qwenvl.reader import
read_qwenvl``); this package re-exports the two entry points for convenience.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ReadResult", "read_qwenvl", "write_qwenvl"]

if TYPE_CHECKING:  # pragma: no cover
    from docparse.qwenvl.reader import ReadResult, read_qwenvl
    from docparse.qwenvl.writer import write_qwenvl


def __getattr__(name: str) -> Any:  # lazy: importing the package does not load bs4
    if name in ("ReadResult", "read_qwenvl"):
        from docparse.qwenvl import reader

        return getattr(reader, name)
    if name == "write_qwenvl":
        from docparse.qwenvl.writer import write_qwenvl

        return write_qwenvl
    raise AttributeError(name)
