"""docling-eval CVAT 1.1 XML -> GTDocument: human boxes and reading order, text from the PDF.

Each ``<image>`` is one PDF rendered with its pages side by side (2 px per point in the corpus);
``<box>`` elements are layout regions, ``<polyline label="reading_order">`` points fall inside
boxes in reading order, ``<polyline label="merge">`` joins boxes of one split element. The XML
holds no text, so each box's text is read from the PDF text layer inside the box: these pages
score segmentation, order, headings and layout, never OCR.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from docparse.evaluation.types import BBox, GTDocument, Item, PageItems

# CVAT label -> (item kind, layout label, ignored by the text score); others are sub-structures
CVAT = {
    "title": ("heading", "heading", False),
    "section_header": ("heading", "heading", False),
    "text": ("text", "text", False),
    "list_item": ("text", "text", False),
    "code": ("text", "code", False),
    "caption": ("text", "caption", True),
    "footnote": ("text", "footnote", True),
    "page_header": ("text", "header", True),
    "page_footer": ("text", "footer", True),
    "formula": ("formula", "formula", True),
    "table": ("table", "table", False),
    "picture": ("figure", "picture", True),
    "chart": ("figure", "picture", True),
}


def _points(s: str) -> list[tuple[float, float]]:
    out = []
    for pair in s.split(";"):
        x, y = pair.split(",")
        out.append((float(x), float(y)))
    return out


def read_cvat(xml_path: Path, pdf_dir: Path) -> list[GTDocument]:
    """Documents of one CVAT file whose PDF (``<sha>.pdf`` for ``doc_<sha>_page_000001.png``)
    is in ``pdf_dir``."""
    import pymupdf

    docs = []
    root = ET.parse(xml_path).getroot()
    for image in root.iter("image"):
        name = image.get("name", "")
        sha = name.removeprefix("doc_").split("_page_")[0]
        pdf = Path(pdf_dir) / f"{sha}.pdf"
        if not pdf.exists():
            continue
        with pymupdf.open(pdf) as doc:
            docs.append(_read_image(image, doc, str(pdf), sha))
    return docs


def _read_image(image: ET.Element, doc: object, pdf: str, name: str) -> GTDocument:
    pdf_pages = list(doc)  # type: ignore[call-overload]
    scale = float(image.get("height", "1")) / max(p.rect.height for p in pdf_pages)
    offsets = []  # left edge of each page in image pixels
    x = 0.0
    for p in pdf_pages:
        offsets.append(x)
        x += p.rect.width * scale

    boxes: list[tuple[int, BBox, ET.Element]] = []  # (page, bbox in points, element)
    for el in image.iter("box"):
        x0, y0 = float(el.get("xtl", 0)), float(el.get("ytl", 0))
        x1, y1 = float(el.get("xbr", 0)), float(el.get("ybr", 0))
        cx = (x0 + x1) / 2
        k = max(i for i, off in enumerate(offsets) if cx >= off) if cx >= 0 else 0
        off = offsets[k]
        boxes.append((k, ((x0 - off) / scale, y0 / scale, (x1 - off) / scale, y1 / scale), el))

    def hit(px: float, py: float) -> int | None:
        """The smallest box holding an image point."""
        best, area = None, float("inf")
        for n, (k, b, el) in enumerate(boxes):
            if el.get("label") not in CVAT:
                continue
            off = offsets[k]
            x, y = (px - off) / scale, py / scale
            if b[0] <= x <= b[2] and b[1] <= y <= b[3]:
                a = (b[2] - b[0]) * (b[3] - b[1])
                if a < area:
                    best, area = n, a
        return best

    rank: dict[int, int] = {}
    merged_into: dict[int, int] = {}
    for line in image.iter("polyline"):
        hits = [hit(px, py) for px, py in _points(line.get("points", ""))]
        hits = [h for h in hits if h is not None]
        if line.get("label") == "reading_order":
            for h in hits:
                rank.setdefault(h, len(rank))
        elif line.get("label") == "merge" and hits:
            for h in hits[1:]:
                if h != hits[0]:
                    merged_into[h] = hits[0]

    pages = [
        PageItems(page=k, width=p.rect.width, height=p.rect.height, has_boxes=True,
                  layout_boxes=[])
        for k, p in enumerate(pdf_pages)
    ]
    items: dict[int, Item] = {}
    for n, (k, bbox, el) in enumerate(boxes):
        spec = CVAT.get(el.get("label", ""))
        if spec is None:
            continue
        kind, label, ignore = spec
        pages[k].layout_boxes.append((label, bbox))  # type: ignore[union-attr]
        text = " ".join(pdf_pages[k].get_text("text", clip=_grow(bbox)).split())
        if n in merged_into and merged_into[n] in items:
            first = items[merged_into[n]]
            first.text = f"{first.text} {text}".strip()
            continue
        level = None
        if kind == "heading":
            level = 1 if el.get("label") == "title" else _level(el) + 1
        order = rank.get(n) if not ignore and kind in ("text", "heading") else None
        item = Item(kind, text=text if kind != "figure" else "", level=level, bbox=bbox,
                    label=label, order=order, ignore=ignore)
        items[n] = item
        pages[k].items.append(item)
    for page in pages:
        page.items.sort(key=lambda it: (it.order is None, it.order or 0))
    return GTDocument("cvat", name[:12], pdf, pages)


def _level(el: ET.Element) -> int:
    for attr in el.iter("attribute"):
        if attr.get("name") == "level" and (attr.text or "").strip().isdigit():
            return int(attr.text.strip())  # type: ignore[union-attr]
    return 1


def _grow(b: BBox, d: float = 1.0) -> tuple[float, float, float, float]:
    return (b[0] - d, b[1] - d, b[2] + d, b[3] + d)
