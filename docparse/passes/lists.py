"""Lists: consecutive list items grouped into one LIST block, nested by indentation.

List items come as LIST blocks (with ``items``, or with one item per text line) or as
PARAGRAPH blocks that start with a marker ("•", "-", "1.", "a)", "(iv)"). Items consecutive in
the reading order of a page, in the same column and close together, become one LIST block:
the first block keeps its id and gets the union box, every ``ListItem`` (text without its
marker, ``marker`` as printed, ``bbox``, ``level``) and a plain ``text``; the other blocks leave
the page (``meta["merged"]`` lists their ids). A paragraph without a marker right under an item
and indented like its text is that item's wrapped continuation.

Levels come from the items' left edges: distinct indentations (within ``INDENT_TOLERANCE``)
are ranked, leftmost = 0. A single paragraph becomes a list only when its marker is a bullet
(a lone "1. ..." is as often a numbered heading or a sentence).

A list that ends its page and resumes at the top of the next one (and does not restart at
"1.") is joined like a paragraph: the head gets the items and a ``Block.continuation`` (pages,
part ids, its own text); the continuation stays on its page, out of the reading order, with
``continuation.head_id``.
"""

from __future__ import annotations

import re

from docparse.document import Block, Document, Label, ListItem, Page
from docparse.patterns import ITEM_BULLETS, LIST_ITEM_MARKER

from ._common import body, join_continuation, union, v_gap, x_overlap

_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
INDENT_TOLERANCE = 6.0  # points: left edges this close are the same level
MAX_GAP = 36.0  # points between two items of one list

def split_marker(text: str) -> tuple[str | None, str]:
    """("•", "rest") for a text that starts with a list marker, else (None, text)."""
    m = LIST_ITEM_MARKER.match(text)
    if not m:
        return None, text.strip()
    return m.group("marker"), text[m.end():].strip()


def _is_bullet(marker: str | None) -> bool:
    return marker is not None and marker in ITEM_BULLETS


def _items_of(block: Block) -> list[ListItem]:
    """The items a block contributes: its own ``items``, else one per marked text line."""
    if block.items:
        return [ListItem(it.text, it.bbox, it.level, it.marker) for it in block.items]
    items: list[ListItem] = []
    lines = [ln for ln in block.text.splitlines() if ln.strip()] or [block.text]
    for line in lines:
        marker, rest = split_marker(line)
        if items and marker is None:
            items[-1].text = f"{items[-1].text} {rest}".strip()
            continue
        items.append(ListItem(text=rest, bbox=None, level=0, marker=marker))
    if len(items) == 1:
        items[0].bbox = block.bbox
    return items


def _continues_item(item: Block, b: Block) -> bool:
    """A wrapped item's next lines: the item has not ended a sentence, or they start lowercase.

    An indented paragraph that starts a new sentence (or code under an item) stays separate.
    """
    text = b.text.lstrip()
    if not text:
        return False
    ma, mb = item.meta.get("mono"), b.meta.get("mono")
    if isinstance(ma, bool) and isinstance(mb, bool) and ma != mb:
        return False  # code under a list item
    return text[0].islower() or not _SENTENCE_END.search(item.text.rstrip())


def _list_like(block: Block) -> bool:
    return block.label == Label.LIST or (
        block.label == Label.PARAGRAPH and split_marker(block.text)[0] is not None
    )


def _assign_levels(items: list[ListItem]) -> None:
    if not items or any(it.bbox is None for it in items):
        return
    edges: list[float] = []
    for x in sorted(it.bbox[0] for it in items):  # type: ignore[index]
        if not edges or x - edges[-1] > INDENT_TOLERANCE:
            edges.append(x)
    for it in items:
        x = it.bbox[0]  # type: ignore[index]
        it.level = max(i for i, e in enumerate(edges) if x >= e - INDENT_TOLERANCE / 2)


def list_text(items: list[ListItem]) -> str:
    return "\n".join("  " * it.level + (f"{it.marker} " if it.marker else "") + it.text for it in items)


def lists(doc: Document) -> Document:
    """Group list items into LIST blocks with nesting levels; join lists split across pages."""
    for page in doc.pages:
        _page_lists(page)
    _join_across_pages(doc)
    return doc


def _page_lists(page: Page) -> None:
    groups: list[list[Block]] = []
    current: list[Block] = []
    for b in body(page):
        last = current[-1] if current else None
        close = last is not None and v_gap(last.bbox, b.bbox) <= MAX_GAP and x_overlap(last.bbox, b.bbox) >= 0.5
        if _list_like(b) and (last is None or close):
            current.append(b)
            continue
        if (
            last is not None
            and close
            and b.label == Label.PARAGRAPH
            and b.bbox[1] >= last.bbox[1]
            and b.bbox[0] > last.bbox[0] + INDENT_TOLERANCE / 2
            and _continues_item(last, b)
        ):
            current.append(b)  # a wrapped item continued in its own block
            continue
        if current:
            groups.append(current)
        current = [b] if _list_like(b) else []
    if current:
        groups.append(current)

    removed: set[str] = set()
    for group in groups:
        if len(group) == 1 and group[0].label == Label.LIST:
            continue  # a list the engine already built: left as it is
        items: list[ListItem] = []
        for b in group:
            if not _list_like(b) and items:
                items[-1].text = f"{items[-1].text} {b.text.strip()}".strip()
                if items[-1].bbox is not None:
                    items[-1].bbox = union([items[-1].bbox, b.bbox])
                continue
            items.extend(_items_of(b))
        head = group[0]
        if head.label != Label.LIST and not (len(items) > 1 or _is_bullet(items[0].marker)):
            continue
        _assign_levels(items)
        head.label = Label.LIST
        head.items = items
        head.text = list_text(items)
        head.bbox = union([b.bbox for b in group])
        if len(group) > 1:
            head.meta["merged"] = [b.id for b in group[1:]]
            removed.update(b.id for b in group[1:])
    if removed:
        page.blocks = [b for b in page.blocks if b.id not in removed]


def _restarts(items: list[ListItem]) -> bool:
    m = items[0].marker if items else None
    return m is not None and re.fullmatch(r"\(?(1|a|i)[.)]", m) is not None


def _join_across_pages(doc: Document) -> None:
    pages = sorted(doc.pages, key=lambda p: p.index)
    by_id = {b.id: b for p in pages for b in p.blocks}
    for prev, page in zip(pages, pages[1:]):
        prev_body = [b for b in body(prev) if b.label != Label.FOOTNOTE]
        nxt = body(page)
        if not nxt or page.index != prev.index + 1:
            continue
        if prev_body:
            last = prev_body[-1]
        else:  # the whole page was a continuation: the list goes on from its head
            stubs = [b for b in prev.blocks if b.label == Label.LIST and b.is_continuation]
            if not stubs:
                continue
            last = by_id.get(stubs[-1].continuation.head_id, stubs[-1])  # type: ignore[union-attr, arg-type]
        first = nxt[0]
        if last.label != Label.LIST or first.label != Label.LIST or _restarts(first.items):
            continue
        head = last
        join_continuation(head, first)
        head.items = head.items + [ListItem(it.text, it.bbox, it.level, it.marker) for it in first.items]
        head.text = list_text(head.items)
