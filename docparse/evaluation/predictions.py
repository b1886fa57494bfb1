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


def _block_items(block: Any) -> list[Item]:
    label = str(block.label)
    layout = DOCPARSE_LAYOUT.get(label, "text")
    bbox: BBox = tuple(float(v) for v in block.bbox)  # type: ignore[assignment]
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


def from_document(doc: Any) -> list[PageItems]:
    """A ``docparse.document.Document`` -> pages. Text items: the reading order (furniture left
    out, as ``Document.blocks``); layout boxes: every block, list items one box each."""
    pages = []
    for p in doc.pages:
        items = [it for block in p.reading_order for it in _block_items(block)]
        boxes: list[tuple[str, BBox]] = []
        for block in p.blocks:
            layout = DOCPARSE_LAYOUT.get(str(block.label), "text")
            if str(block.label) == "list" and block.items and all(i.bbox for i in block.items):
                boxes.extend((layout, tuple(i.bbox)) for i in block.items)  # type: ignore[misc]
            else:
                boxes.append((layout, tuple(float(v) for v in block.bbox)))  # type: ignore[arg-type]
        pages.append(
            PageItems(
                page=p.index, items=items, width=p.width, height=p.height,
                has_boxes=True, layout_boxes=boxes,
            )
        )
    return pages


def whole_document(pages: list[PageItems]) -> PageItems:
    """All pages as one (for ground truth written per document, such as MinerU's Markdown)."""
    items = [it for p in pages for it in p.items]
    return PageItems(page=None, items=items, has_boxes=False)
