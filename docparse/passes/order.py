"""Reading order renumbered after the other passes merged, moved or relabelled blocks.

Per page: body blocks get ``order`` 0..n-1 in their current reading order (blocks without an
order keep their list position, after the ordered ones), with footnotes moved to the end of the
page. Furniture and continuation stubs (``Block.is_continuation``) get ``order = None``.
"""

from __future__ import annotations

from collections import Counter

from docparse.document import Block, Document, Label

from ._common import is_stub


def order(doc: Document) -> Document:
    """Renumber ``order`` on every page; furniture and continuations get None."""
    for page in doc.pages:
        indexed = []
        for i, b in enumerate(page.blocks):
            if b.is_furniture or is_stub(b):
                b.order = None
            else:
                indexed.append((i, b))
        dupes = [o for o, n in Counter(b.order for _, b in indexed if b.order is not None).items() if n > 1]
        if dupes:
            doc.warnings.append(f"order: page {page.index + 1} had duplicate reading-order values {sorted(dupes)[:5]}")
        body = [b for _, b in indexed]
        last = {id(b) for b in body if b.label == Label.FOOTNOTE and not _text_below(b, body)}
        indexed.sort(key=lambda ib: (id(ib[1]) in last, ib[1].order is None, ib[1].order or 0, ib[0]))
        for n, (_, b) in enumerate(indexed):
            b.order = n
    return doc


_FLOW_LABELS = (Label.PARAGRAPH, Label.LIST, Label.HEADING, Label.TITLE, Label.CODE)


def _text_below(note: Block, body: list[Block]) -> bool:
    """True when a body text block starts below ``note`` in the same column (overlapping in x)."""
    x0, _, x1, y1 = note.bbox
    for b in body:
        if b is note or b.label not in _FLOW_LABELS or b.bbox[1] < y1:
            continue
        overlap = min(x1, b.bbox[2]) - max(x0, b.bbox[0])
        if overlap > 0.5 * min(x1 - x0, b.bbox[2] - b.bbox[0]):
            return True
    return False
