"""Document-level passes: run over a whole Document after the engine, in a fixed order.

Each pass is ``def name(doc: Document) -> Document``: it **mutates the document in place and
returns the same object**, is pure Python and fast, reads engine extras from ``Block.meta`` only
when present, and appends to ``doc.warnings`` only when something looks wrong.

Order matters: furniture first (headers and page numbers must not be joined into paragraphs),
footnotes before paragraphs and lists (a footnote "1 See ..." is neither), captions before
tables (a captioned table on the next page is a new table), paragraphs before lists (a list
item split across columns is joined first), ``order`` last (renumbers after the merges).

Merges that cross a page keep the later part on its page as a *continuation stub*:
``continuation.head_id`` = id of the first part, ``order = None``, its own box and content.
The first part carries the merged content and ``continuation`` (pages, part ids, own content);
see ``docparse.document.Continuation``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from docparse.document import Document
from docparse.errors import OptionsError

from .captions import captions
from .footnotes import footnotes
from .furniture import furniture
from .lists import lists
from .order import order
from .paragraphs import paragraphs
from .tables import tables

Pass = Callable[[Document], Document]

#: The default passes, in the order they run.
DEFAULT_PASSES: list[tuple[str, Pass]] = [
    ("furniture", furniture),
    ("footnotes", footnotes),
    ("captions", captions),
    ("tables", tables),
    ("paragraphs", paragraphs),
    ("lists", lists),
    ("order", order),
]

PASS_NAMES = [name for name, _ in DEFAULT_PASSES]


def run_passes(doc: Document, enabled: Iterable[str] | None = None) -> Document:
    """Run the default passes (or only those named in ``enabled``) over ``doc``, in order.

    ``order`` always runs last when any other pass ran, since merges leave gaps in the
    numbering. A pass that raises does not fail the document: its error becomes a warning and
    the next pass runs. Returns ``doc`` (mutated in place).
    """
    if enabled is None:
        wanted = set(PASS_NAMES)
    else:
        wanted = set(enabled)
        unknown = sorted(wanted - set(PASS_NAMES))
        if unknown:
            raise OptionsError(f"unknown pass {', '.join(unknown)}; choose from {', '.join(PASS_NAMES)}")
        if wanted:
            wanted.add("order")
    for name, fn in DEFAULT_PASSES:
        if name not in wanted:
            continue
        try:
            doc = fn(doc)
        except Exception as exc:  # noqa: BLE001 - a pass failing must not fail the document
            doc.warnings.append(f"pass {name} failed: {type(exc).__name__}: {exc}")
    return doc


__all__ = [
    "DEFAULT_PASSES",
    "PASS_NAMES",
    "captions",
    "footnotes",
    "furniture",
    "lists",
    "order",
    "paragraphs",
    "run_passes",
    "tables",
]
