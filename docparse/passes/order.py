"""Reading order renumbered after the other passes merged, moved or relabelled blocks.

Per page: body blocks get ``order`` 0..n-1 in their current reading order (blocks without an
order keep their list position, after the ordered ones), with footnotes moved to the end of the
page. Furniture and continuation stubs (``meta["continued_from"]``) get ``order = None``.
"""

from __future__ import annotations

from collections import Counter

from docparse.document import Document, Label

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
            doc.warnings.append(f"order: page {page.index} had duplicate reading-order values {sorted(dupes)[:5]}")
        indexed.sort(
            key=lambda ib: (ib[1].label == Label.FOOTNOTE, ib[1].order is None, ib[1].order or 0, ib[0])
        )
        for n, (_, b) in enumerate(indexed):
            b.order = n
    return doc
