"""How blocks are arranged for output, shared by the HTML and Markdown renderers.

- which blocks a page shows, in which order (furniture on top / at the bottom, body between);
- which captions are drawn with their figure or table instead of at their own place;
- list items (flat, with levels) as a tree, and whether a list is ordered.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from docparse.document import Block, Document, Label, ListItem, Page

#: Labels a caption may belong to (drawn inside / next to that block).
CAPTIONED_LABELS = frozenset({Label.IMAGE, Label.CHART, Label.TABLE, Label.FORMULA, Label.CODE,
                              Label.MUSIC, Label.CHEMISTRY})  # fmt: skip

MAX_LIST_DEPTH = 16  # deeper items are drawn at this depth (bounded recursion in templates)
_NUMBER_MARKER = re.compile(r"^\(?(\d{1,9})[.)]?\)?$")


def format_bbox(bbox: tuple[float, float, float, float]) -> str:
    """"x0 y0 x1 y1" in points, rounded to 0.01, trailing zeros dropped ("12.5 0 100 7.25")."""
    return " ".join(_num(v) for v in bbox)


def _num(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):  # a broken engine box must not break the page
        value = 0.0
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class PagePlan:
    """The blocks of one page in output order."""

    page: Page
    top: list[Block]  # headers (and page numbers in the top half)
    body: list[Block]  # reading order, then body blocks that have no order
    bottom: list[Block]  # footers (and page numbers in the bottom half)


def plan_page(page: Page) -> PagePlan:
    ordered = page.reading_order
    seen = {id(b) for b in ordered}
    unordered = [b for b in page.blocks if id(b) not in seen]
    top: list[Block] = []
    bottom: list[Block] = []
    body = list(ordered)
    for block in unordered:
        if block.is_continuation:  # its content was merged into the head block
            continue
        if block.label == Label.HEADER or (block.label == Label.PAGE_NUMBER and _in_top_half(block, page)):
            top.append(block)
        elif block.is_furniture:
            bottom.append(block)
        else:  # a body block without an order: keep it rather than lose content
            body.append(block)
    return PagePlan(page, top, body, bottom)


def _in_top_half(block: Block, page: Page) -> bool:
    return (block.bbox[1] + block.bbox[3]) / 2 < page.height / 2 if page.height > 0 else False


@dataclass
class AttachedCaption:
    block: Block
    before: bool  # drawn above its target (it sits above it on the same page)


def attach_captions(doc: Document) -> dict[str, list[AttachedCaption]]:
    """target block id -> its captions, for captions whose ``caption_for`` names a block of
    ``doc`` that can hold one. Other captions stay where they are."""
    by_id: dict[str, Block] = {}
    for page in doc.pages:
        for block in page.blocks:
            by_id.setdefault(block.id, block)
    attached: dict[str, list[AttachedCaption]] = {}
    for page in doc.pages:
        for block in page.blocks:
            if block.label != Label.CAPTION or not block.caption_for:
                continue
            target = by_id.get(block.caption_for)
            if target is not None and target.continuation is not None and target.continuation.head_id is not None:
                # a table continued from an earlier page is drawn with its head: so is its caption
                target = by_id.get(target.continuation.head_id)
            if target is None or target is block or target.label not in CAPTIONED_LABELS:
                continue
            before = target.page == block.page and _center_y(block) < _center_y(target)
            attached.setdefault(target.id, []).append(AttachedCaption(block, before))
    return attached


def _center_y(block: Block) -> float:
    return (block.bbox[1] + block.bbox[3]) / 2


def caption_ids(attached: dict[str, list[AttachedCaption]]) -> set[str]:
    return {c.block.id for caps in attached.values() for c in caps}


# -- lists -------------------------------------------------------------------------------------


@dataclass
class ListNode:
    item: ListItem
    children: list["ListNode"] = field(default_factory=list)


def list_items(block: Block) -> list[ListItem]:
    """The block's items; a list block without items gets one item per line of its text."""
    if block.items:
        return block.items
    return [ListItem(text=line.strip()) for line in block.text.splitlines() if line.strip()]


def list_tree(items: list[ListItem]) -> list[ListNode]:
    """Flat items with levels -> a tree. A level that jumps by more than one nests one deeper
    only; a first item deeper than 0 is treated as top level."""
    roots: list[ListNode] = []
    stack: list[tuple[int, ListNode]] = []  # (level, node) along the current path
    for item in items:
        node = ListNode(item)
        level = min(max(0, int(item.level or 0)), MAX_LIST_DEPTH)
        while stack and stack[-1][0] >= level:
            stack.pop()
        if stack:
            stack[-1][1].children.append(node)
        else:
            roots.append(node)
        stack.append((level, node))
    return roots


def marker_number(marker: str | None) -> int | None:
    """1 for "1.", "1)", "(1)", "1"; None for bullets and letters."""
    if not marker:
        return None
    m = _NUMBER_MARKER.match(marker.strip())
    return int(m.group(1)) if m else None


def is_ordered(nodes: list[ListNode]) -> bool:
    """A sibling group is ordered when every item has a number marker."""
    return bool(nodes) and all(marker_number(n.item.marker) is not None for n in nodes)


def list_start(nodes: list[ListNode]) -> int:
    number = marker_number(nodes[0].item.marker) if nodes else None
    return 1 if number is None else number
