"""Ground-truth readers: each source's format -> GTDocument (pages of Items, boxes in PDF points).

- OmniDocBench page JSON (human; image pixels, mapped onto the derived image-only PDFs),
- docling JSON (DoclingDocument; the maintainers' regression output, silver),
- Markdown per document (MinerU PDF-bench, docling .md): no boxes, one page for the document,
- docparse ``samples/*.truth.json`` (a docparse Document of the generated samples),
- docling-eval CVAT XML lives in ``groundtruth_cvat.py`` (it needs the PDF text layer).

Blocks the text score sets aside (OmniDocBench's ignore list: captions, footnotes, headers,
footers, page numbers, equation captions; display formulas are scored apart) get
``ignore=True``: they still take part in matching, so emitting them costs nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docparse.evaluation.markdown import markdown_to_items
from docparse.evaluation.types import BBox, GTDocument, Item, PageItems

# OmniDocBench category -> (item kind, layout label, ignored by the text score)
OMNIDOCBENCH = {
    "title": ("heading", "heading", False),
    "text_block": ("text", "text", False),
    "reference": ("text", "text", False),
    "code_txt": ("text", "code", False),
    "figure": ("figure", "picture", True),
    "table": ("table", "table", False),
    "equation_isolated": ("formula", "formula", True),
    "figure_caption": ("text", "caption", True),
    "table_caption": ("text", "caption", True),
    "code_txt_caption": ("text", "caption", True),
    "equation_caption": ("text", "caption", True),
    "figure_footnote": ("text", "footnote", True),
    "table_footnote": ("text", "footnote", True),
    "page_footnote": ("text", "footnote", True),
    "header": ("text", "header", True),
    "footer": ("text", "footer", True),
    "page_number": ("text", "page_number", True),
    "abandon": ("text", None, True),
}

# DoclingDocument label -> (item kind, layout label, ignored by the text score)
DOCLING = {
    "title": ("heading", "heading", False),
    "section_header": ("heading", "heading", False),
    "text": ("text", "text", False),
    "paragraph": ("text", "text", False),
    "list_item": ("text", "text", False),
    "reference": ("text", "text", False),
    "code": ("text", "code", False),
    "checkbox_selected": ("text", "text", False),
    "checkbox_unselected": ("text", "text", False),
    "caption": ("text", "caption", True),
    "footnote": ("text", "footnote", True),
    "page_header": ("text", "header", True),
    "page_footer": ("text", "footer", True),
    "formula": ("formula", "formula", True),
    "table": ("table", "table", False),
    "document_index": ("table", "table", False),
    "picture": ("figure", "picture", True),
    "chart": ("figure", "picture", True),
}


def _int_or_none(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    import pymupdf

    with pymupdf.open(pdf) as doc:
        return [(p.rect.width, p.rect.height) for p in doc]


def _union(a: BBox | None, b: BBox | None) -> BBox | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


# -- OmniDocBench --------------------------------------------------------------------------------
def read_omnidocbench(json_path: Path, pdf_dir: Path, image_dir: Path) -> list[GTDocument]:
    """One GTDocument per page entry whose derived PDF exists (``<image stem>.pdf``)."""
    docs = []
    for entry in json.loads(Path(json_path).read_text(encoding="utf-8")):
        image_name = entry["page_info"]["image_path"]
        pdf = Path(pdf_dir) / (Path(image_name).stem + ".pdf")
        if not pdf.exists():
            continue
        page = omnidocbench_page(entry, pdf, Path(image_dir) / image_name)
        docs.append(GTDocument("omnidocbench", Path(image_name).stem, str(pdf), [page]))
    return docs


def omnidocbench_page(entry: dict[str, Any], document: Path, image: Path | None = None) -> PageItems:
    """One OmniDocBench page entry, its boxes scaled to ``document`` (the annotated image itself,
    or a PDF whose page 1 shows it). The boxes are in the image's pixels: ``image`` gives its size
    when ``document`` is a PDF; without it, page_info's size is used.
    """
    from PIL import Image

    document = Path(document)
    if document.suffix.lower() == ".pdf":
        width, height = _pdf_page_sizes(document)[0]
    else:  # an image converts to a page of its pixel size
        with Image.open(document) as im:
            width, height = float(im.size[0]), float(im.size[1])
    # the polys are in true image pixels (page_info's width/height are swapped on some pages)
    if image is not None:
        with Image.open(image) as im:
            image_w, image_h = float(im.size[0]), float(im.size[1])
    else:  # page_info's size, turned when it disagrees with the page's shape (swapped in v1.0)
        info = entry.get("page_info") or {}
        image_w, image_h = float(info.get("width") or width), float(info.get("height") or height)
        if (image_w > image_h) != (width > height):
            image_w, image_h = image_h, image_w
    sx, sy = width / image_w, height / image_h
    page = PageItems(page=0, width=width, height=height, has_boxes=True, has_levels=False)
    page.items, page.layout_boxes = _omnidocbench_items(entry, sx, sy)
    return page


def _omnidocbench_items(
    entry: dict[str, Any], sx: float, sy: float
) -> tuple[list[Item], list[tuple[str, BBox]]]:
    by_id: dict[Any, Item] = {}
    for det in entry["layout_dets"]:
        kind, label, ignore = OMNIDOCBENCH.get(det["category_type"], ("text", None, True))
        poly = [float(v) for v in det["poly"]]
        bbox = (poly[0] * sx, poly[1] * sy, poly[4] * sx, poly[5] * sy)
        text = det.get("text") or ""
        if kind == "formula":
            text = det.get("latex") or text
        html = det.get("html") if kind == "table" else None
        if kind == "table" and not text and html:
            from docparse.evaluation.markdown import table_text

            text = table_text(html)
        ignore = ignore or str(det.get("ignore")).lower() == "true"
        order = None if ignore or kind not in ("text", "heading") else _int_or_none(det.get("order"))
        by_id[det["anno_id"]] = Item(kind, text=text, html=html, bbox=bbox, label=label,
                                     order=order, ignore=ignore)
    items = list(by_id.values())
    # "truncated": one paragraph split by the layout; OmniDocBench joins them before scoring
    layout_boxes = [(it.label, it.bbox) for it in items if it.label and it.bbox is not None]
    for rel in (entry.get("extra") or {}).get("relation", []):
        if rel.get("relation_type", rel.get("relation")) != "truncated":
            continue
        a, b = by_id.get(rel["source_anno_id"]), by_id.get(rel["target_anno_id"])
        alive = {id(it) for it in items}  # by identity: two blocks may hold equal fields
        if a is None or b is None or a is b or id(a) not in alive or id(b) not in alive:
            continue
        first, second = sorted((a, b), key=lambda it: (it.order is None, it.order or 0))
        first.text = f"{first.text} {second.text}".strip()
        first.bbox = _union(first.bbox, second.bbox)
        items = [it for it in items if it is not second]
    items.sort(key=lambda it: (it.order is None, it.order or 0))
    return items, layout_boxes  # layout P/R keeps the annotated boxes, not the joined ones


# -- docling JSON --------------------------------------------------------------------------------
def read_docling_json(json_path: Path, pdf: Path) -> GTDocument:
    """A DoclingDocument -> pages; reading order = the body tree's order."""
    d = json.loads(Path(json_path).read_text(encoding="utf-8"))
    sizes = _pdf_page_sizes(pdf)
    pages = [
        PageItems(page=k, width=w, height=h, has_boxes=True) for k, (w, h) in enumerate(sizes)
    ]
    counter = [0]

    def resolve(ref: str) -> dict[str, Any]:
        _, coll, idx = ref.split("/")
        return d[coll][int(idx)]

    def visit(node: dict[str, Any]) -> None:
        label = node.get("label", "")
        spec = DOCLING.get(label)
        if spec is not None:
            _docling_items(d, node, spec, pages, counter)
        if label in ("picture", "chart", "table", "document_index"):
            children = [c for c in node.get("captions", []) + node.get("footnotes", [])]
        else:
            children = node.get("children", [])
        for child in children:
            visit(resolve(child["$ref"]))

    for child in d["body"]["children"]:
        visit(resolve(child["$ref"]))
    return GTDocument("docling", Path(json_path).stem, str(pdf), pages)


def _docling_items(
    d: dict[str, Any],
    node: dict[str, Any],
    spec: tuple[str, str, bool],
    pages: list[PageItems],
    counter: list[int],
) -> None:
    kind, label, ignore = spec
    furniture = node.get("content_layer") == "furniture"
    ignore = ignore or furniture
    level = None
    if kind == "heading":
        level = 1 if node["label"] == "title" else int(node.get("level") or 1) + 1
    html = _docling_table_html(node["data"]) if kind == "table" and node.get("data") else None
    text = node.get("text") or ""
    if kind == "table" and html:
        from docparse.evaluation.markdown import table_text

        text = table_text(html)
    for prov in node.get("prov", []):
        k = int(prov["page_no"]) - 1
        if not 0 <= k < len(pages):
            continue
        size = d["pages"][str(prov["page_no"])]["size"]
        page = pages[k]
        sx, sy = page.width / size["width"], page.height / size["height"]
        b = prov["bbox"]
        if b.get("coord_origin", "TOPLEFT") == "BOTTOMLEFT":
            top, bottom = size["height"] - b["t"], size["height"] - b["b"]
        else:
            top, bottom = b["t"], b["b"]
        bbox = (b["l"] * sx, min(top, bottom) * sy, b["r"] * sx, max(top, bottom) * sy)
        piece = text
        span = prov.get("charspan")
        if len(node["prov"]) > 1 and span and kind in ("text", "heading"):
            piece = text[span[0] : span[1]]
        order = None
        if not ignore and kind in ("text", "heading"):
            order = counter[0]
            counter[0] += 1
        page.items.append(Item(kind, text=piece, level=level, html=html, bbox=bbox,
                               label=label, order=order, ignore=ignore))


def _docling_table_html(data: dict[str, Any]) -> str:
    """docling table cells (offsets and spans) -> HTML with rowspan/colspan."""
    import html as _html

    rows: dict[int, list[dict[str, Any]]] = {}
    for cell in data.get("table_cells", []):
        rows.setdefault(int(cell["start_row_offset_idx"]), []).append(cell)
    out = ["<table>"]
    for r in range(int(data.get("num_rows", 0))):
        cells = sorted(rows.get(r, []), key=lambda c: c["start_col_offset_idx"])
        tds = []
        for c in cells:
            tag = "th" if c.get("column_header") else "td"
            attrs = ""
            if int(c.get("row_span", 1)) > 1:
                attrs += f' rowspan="{int(c["row_span"])}"'
            if int(c.get("col_span", 1)) > 1:
                attrs += f' colspan="{int(c["col_span"])}"'
            tds.append(f"<{tag}{attrs}>{_html.escape(c.get('text', ''))}</{tag}>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out)


# -- Markdown per document -----------------------------------------------------------------------
def read_markdown(md_path: Path, pdf: Path, source: str, name: str | None = None) -> GTDocument:
    """Markdown ground truth for a whole document (no boxes): one page with ``page=None``."""
    items = markdown_to_items(Path(md_path).read_text(encoding="utf-8"))
    rank = 0
    for it in items:
        if it.kind in ("text", "heading"):
            it.order = rank
            rank += 1
        elif it.kind == "formula":
            it.ignore = True
    page = PageItems(page=None, items=items, has_boxes=False)
    return GTDocument(source, name or Path(pdf).stem, str(pdf), [page])


# -- docparse samples ----------------------------------------------------------------------------
#: docparse labels the text score sets aside (as OmniDocBench's ignore list)
SET_ASIDE = {"header", "footer", "page_number", "caption", "footnote", "formula", "image", "chart"}


def read_samples_truth(truth_path: Path, pdf: Path | None = None, source: str = "samples") -> GTDocument:
    """``samples/NAME.truth.json``: a docparse Document (engine "truth") -> GTDocument.

    ``pdf``: the document it describes (default: ``NAME.pdf`` beside the truth file).

    Blocks come in reading order; list items become one text item each (as predictions do);
    a paragraph continued in the next column (``meta.continues``) is joined to its first part.
    """
    from docparse.document import Document
    from docparse.evaluation.predictions import _block_items, layout_boxes

    truth_path = Path(truth_path)
    doc = Document.from_dict(json.loads(truth_path.read_text(encoding="utf-8")))
    if pdf is None:
        pdf = truth_path.with_name(truth_path.name.replace(".truth.json", ".pdf"))
    pdf = Path(pdf)
    pages = []
    for p in doc.pages:
        # boxes as predictions count them (pictures without text included)
        page = PageItems(page=p.index, width=p.width, height=p.height, has_boxes=True,
                         layout_boxes=layout_boxes(p))
        by_id: dict[str, Item] = {}
        rank = 0
        for block in p.reading_order + [b for b in p.blocks if b.order is None]:
            label = str(block.label)
            ignore = label in SET_ASIDE or block.order is None
            block_items = _block_items(block)
            if label in ("image", "chart"):
                block_items = [Item("figure", bbox=tuple(block.bbox), label="picture")]
            first = by_id.get(str(block.meta.get("continues", "")))
            if first is not None and label == "paragraph" and len(block_items) == 1:
                first.text = f"{first.text} {block_items[0].text}".strip()
                continue
            for it in block_items:
                it.ignore = ignore
                if not ignore and it.kind in ("text", "heading"):
                    it.order = rank
                    rank += 1
                page.items.append(it)
            if block_items:
                by_id[block.id] = block_items[0]
        pages.append(page)
    return GTDocument(source, pdf.stem, str(pdf), pages)


# -- generated pages (tests/data/multicol) ---------------------------------------------------------
#: heading levels of a generated page's kinds (its title is the top; numbered sections one below)
_GENERATED_LEVELS = {"title": 1, "heading": 2}


def read_reading_order_truth(json_path: Path, pdf: Path | None = None, source: str = "generated") -> GTDocument:
    """A generated page's truth (``tests/data/multicol/NAME.json``, written from its LaTeX
    source): one page, blocks in reading order as ``{"kind", "text" | "latex" | "cells"}``,
    no boxes. Tables become HTML with their row spans; formulas are set aside, as elsewhere."""
    import html as _html

    json_path = Path(json_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    pdf = Path(pdf) if pdf is not None else json_path.with_suffix(".pdf")
    page = PageItems(page=0, has_boxes=False)
    rank = 0
    for block in data["reading_order"]:
        kind = block["kind"]
        if kind == "formula":
            page.items.append(Item("formula", text=block.get("latex", ""), ignore=True))
            continue
        if kind == "table":
            rows: dict[int, list[dict]] = {}
            for cell in block["cells"]:
                rows.setdefault(int(cell["row"]), []).append(cell)
            body = "".join(
                "<tr>" + "".join(
                    (f'<td rowspan="{c["rowspan"]}">' if int(c.get("rowspan", 1)) > 1 else "<td>")
                    + _html.escape(c["text"]) + "</td>"
                    for c in sorted(rows[r], key=lambda c: int(c["col"]))
                ) + "</tr>"
                for r in sorted(rows)
            )
            text = " ".join(c["text"] for r in sorted(rows) for c in sorted(rows[r], key=lambda c: int(c["col"])))
            page.items.append(Item("table", text=text, html=f"<table>{body}</table>"))
            continue
        level = _GENERATED_LEVELS.get(kind)
        page.items.append(Item("heading" if level else "text", text=block["text"], level=level, order=rank))
        rank += 1
    return GTDocument(source, json_path.stem, str(pdf), [page])


# -- the truth as the page shows it -----------------------------------------------------------------
#: docling's ground truth writes the private-use bullet glyph of redp5110_sampled.pdf by its glyph
#: name ("SM590000 Security fundamentals"); the page shows a bullet (its text layer: "\x02"), which
#: scoring drops like any punctuation. No reader of the page can say "SM590000", so the name is
#: taken out of the truth every system is scored against (quality.py, hybrid.py).
GLYPH_NAMES = re.compile(r"\bSM590000\s*")


def shown_as_printed(gt: GTDocument) -> GTDocument:
    """``gt`` with its texts as the page shows them (see GLYPH_NAMES), in place."""
    for page in gt.pages:
        for item in page.items:
            item.text = GLYPH_NAMES.sub("", item.text)
            if item.html:
                item.html = GLYPH_NAMES.sub("", item.html)
    return gt
