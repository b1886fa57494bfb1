"""Helpers shared by the document passes: reading-order views and box arithmetic.

Every pass mutates the Document it is given and returns that same object.
"""

from __future__ import annotations

from dataclasses import replace

from docparse.document import BBox, Block, Continuation, Document, Label, Page
from docparse.geometry import union_box

#: Blocks that float (figures, tables, their captions, footnotes): a paragraph or list may
#: continue across them.
FLOAT_LABELS = frozenset({Label.IMAGE, Label.CHART, Label.TABLE, Label.CAPTION, Label.FOOTNOTE})


def is_stub(block: Block) -> bool:
    """A continuation left on its page after its content was merged into an earlier block."""
    return block.is_continuation


def join_continuation(head: Block, part: Block, part_page: int | None = None) -> Continuation:
    """Record that ``part`` (on page ``part_page``, default ``part.page``) continues ``head``.
    Call it before changing the head's content: its first merge keeps the head's own text and
    table markup. The part leaves the reading order. Returns the head's continuation record."""
    record = head.continuation
    if record is None:
        record = head.continuation = Continuation(pages=[head.page], own_text=head.text, own_html=head.html)
    record.pages = sorted({*record.pages, part.page if part_page is None else part_page})
    record.part_ids.append(part.id)
    part.continuation = replace(part.continuation or Continuation(), head_id=head.id)
    part.order = None
    return record


def body(page: Page) -> list[Block]:
    """The page's body blocks in reading order: no furniture, no continuation stubs.

    Blocks without an ``order`` (an engine that does not set one) keep their list position,
    after the ordered ones.
    """
    indexed = [
        (i, b) for i, b in enumerate(page.blocks) if not b.is_furniture and not is_stub(b)
    ]
    indexed.sort(key=lambda ib: (ib[1].order is None, ib[1].order or 0, ib[0]))
    return [b for _, b in indexed]


def doc_body(doc: Document) -> list[Block]:
    """Body blocks of the whole document, page by page, in reading order."""
    return [b for page in doc.pages for b in body(page)]


def page_of(doc: Document, block: Block) -> Page | None:
    for page in doc.pages:
        if page.index == block.page:
            return page
    return None


def width(b: BBox) -> float:
    return max(0.0, b[2] - b[0])


def height(b: BBox) -> float:
    return max(0.0, b[3] - b[1])


def x_overlap(a: BBox, b: BBox) -> float:
    """Horizontal overlap as a fraction of the narrower box (0..1)."""
    inter = min(a[2], b[2]) - max(a[0], b[0])
    narrow = min(width(a), width(b))
    if narrow <= 0:
        return 0.0
    return max(0.0, inter) / narrow


def v_gap(a: BBox, b: BBox) -> float:
    """Vertical distance between two boxes; 0 when they overlap vertically."""
    return max(0.0, max(a[1], b[1]) - min(a[3], b[3]))


union = union_box  # the passes' short name for the one box union (docparse.geometry)


def font_size(block: Block) -> float | None:
    """The block's font size from the engine's meta, when it gave one."""
    v = block.meta.get("font_size")
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
