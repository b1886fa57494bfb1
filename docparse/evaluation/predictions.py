"""Adapters: a docparse Document, or Markdown from pymupdf4llm, -> one PageItems per page.

Text items follow the reading order. Layout boxes (label, bbox in PDF points) come with the
page when the producer knows them: every block of a docparse page (furniture too), or the
``page_boxes`` pymupdf4llm's layout mode returns with ``page_chunks=True``.
"""

from __future__ import annotations

from typing import Any

from docparse.evaluation.markdown import markdown_to_items, table_text
from docparse.evaluation.types import BBox, Item, PageItems

# docparse Label value -> layout class (types.LAYOUT_LABELS)
DOCPARSE_LAYOUT = {
    "title": "heading", "heading": "heading", "paragraph": "text", "list": "text",
    "table": "table", "chart": "picture", "image": "picture", "formula": "formula",
    "caption": "caption", "footnote": "footnote", "header": "header", "footer": "footer",
    "page_number": "page_number", "code": "code", "music": "picture", "chemistry": "picture",
}

# pymupdf4llm (pymupdf.layout) box class -> layout class
PYMUPDF4LLM_LAYOUT = {
    "title": "heading", "section-header": "heading", "text": "text", "list-item": "text",
    "table": "table", "picture": "picture", "formula": "formula", "caption": "caption",
    "footnote": "footnote", "page-header": "header", "page-footer": "footer", "code": "code",
}


def from_markdown(md: str, page: int | None = None) -> PageItems:
    """One page (or a whole document when ``page`` is None) of Markdown -> items, no boxes."""
    return PageItems(page=page, items=markdown_to_items(md))


def from_pymupdf4llm_chunks(chunks: list[dict[str, Any]]) -> list[PageItems]:
    """``pymupdf4llm.to_markdown(path, page_chunks=True)`` -> pages; layout mode adds boxes."""
    pages = []
    for k, chunk in enumerate(chunks):
        meta = chunk.get("metadata") or {}
        index = int(meta.get("page_number", k + 1)) - 1  # pymupdf4llm counts pages from 1
        page = from_markdown(chunk.get("text") or "", page=index)
        boxes = chunk.get("page_boxes")
        if boxes is not None:
            page.layout_boxes = [
                (PYMUPDF4LLM_LAYOUT.get(str(b.get("class")), "text"), tuple(map(float, b["bbox"])))
                for b in boxes
            ]
            page.has_boxes = True
        pages.append(page)
    return pages


def _block_items(block: Any, own: bool = False) -> list[Item]:
    """Items of one block; ``own``: the block's content on its own page only (the head of a
    merge across pages keeps it in ``continuation.own_text`` / ``own_html``)."""
    label = str(block.label)
    layout = DOCPARSE_LAYOUT.get(label, "text")
    bbox: BBox = tuple(float(v) for v in block.bbox)  # type: ignore[assignment]
    record = block.continuation
    if own and record is not None and not record.is_part:
        text = block.text if record.own_text is None else record.own_text
        if label == "table":
            html = block.html if record.own_html is None else record.own_html
            return [Item("table", text=text, html=html, bbox=bbox, label=layout)]
        if label == "list":
            return [Item("text", text=t, bbox=bbox, label=layout) for t in text.split("\n") if t]
        return [Item("text", text=text, bbox=bbox, label=layout)]
    if label in ("title", "heading"):
        # a title sits above level-1 headings (docparse and samples/ number sections from 1)
        level = 0 if label == "title" else (block.level or 1)
        return [Item("heading", text=block.text, level=level, bbox=bbox, label=layout)]
    if label == "table":
        text = block.text or (table_text(block.html) if block.html else "")
        return [Item("table", text=text, html=block.html, bbox=bbox, label=layout)]
    if label == "formula":
        return [Item("formula", text=block.latex or block.text, bbox=bbox, label=layout)]
    if label == "list" and block.items:
        return [Item("text", text=it.text, bbox=it.bbox or bbox, label=layout) for it in block.items]
    if label in ("image", "chart") and not block.text:
        return []
    return [Item("text", text=block.text, bbox=bbox, label=layout)]


def _crosses_pages(block: Any) -> bool:
    return block.continuation is not None and len(block.continuation.pages) > 1


def _page_body(page: Any, heads: dict[str, Any]) -> list[tuple[Any, bool]]:
    """(block, own content only) in reading order. Ground truth is per page, so a merge across
    pages is scored as its parts: the head's own part where it is, each continuation stub on its
    page (a stub continuing the previous page first, one from the same page after its head)."""
    stubs = [b for b in page.blocks if b.is_continuation]
    body: list[tuple[Any, bool]] = []
    for b in stubs:
        head = heads.get(b.continuation.head_id)
        if head is not None and _crosses_pages(head) and head.page != page.index:
            body.append((b, False))
    for block in page.reading_order:
        cross = _crosses_pages(block)
        body.append((block, cross))
        if cross:
            body.extend((b, False) for b in stubs if b.continuation.head_id == block.id)
    return body


def from_document(doc: Any) -> list[PageItems]:
    """A ``docparse.document.Document`` -> pages. Text items: the reading order (furniture left
    out, as ``Document.blocks``); layout boxes: every block, list items one box each."""
    heads = {b.id: b for p in doc.pages for b in p.blocks if b.continuation is not None and b.continuation.part_ids}
    pages = []
    for p in doc.pages:
        items = [it for block, own in _page_body(p, heads) for it in _block_items(block, own)]
        pages.append(
            PageItems(
                page=p.index, items=items, width=p.width, height=p.height,
                has_boxes=True, layout_boxes=layout_boxes(p),
            )
        )
    return pages


def layout_boxes(page: Any) -> list[tuple[str, BBox]]:
    """(layout class, box) of every block of a docparse page, list items one box each."""
    boxes: list[tuple[str, BBox]] = []
    for block in page.blocks:
        layout = DOCPARSE_LAYOUT.get(str(block.label), "text")
        if str(block.label) == "list" and block.items and all(i.bbox for i in block.items):
            boxes.extend((layout, tuple(i.bbox)) for i in block.items)  # type: ignore[misc]
        else:
            boxes.append((layout, tuple(float(v) for v in block.bbox)))  # type: ignore[arg-type]
    return boxes


def whole_document(pages: list[PageItems]) -> PageItems:
    """All pages as one (for ground truth written per document, such as MinerU's Markdown)."""
    items = [it for p in pages for it in p.items]
    return PageItems(page=None, items=items, has_boxes=False)
