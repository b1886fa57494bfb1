"""HTML output: one standalone page (inline CSS, no script, no CDN) from ``render/templates/``.

Python turns each block into a small *view* (plain dicts of strings); the Jinja2 templates, with
autoescaping on, turn views into markup. Untrusted content reaches the page only two ways: as
text (escaped by Jinja2) or as table markup rebuilt by the allowlist sanitizer
(``render.sanitize``), marked safe only after that. Figures' ``<img src>`` come from the caller's
``images`` map only (links to crops, or data URIs of docparse's own crops), never from the page.

Pure: a ``Document`` in, a string out; no file is read or written (``docparse.output`` does that).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Mapping

import jinja2
from markupsafe import Markup

from docparse.document import Block, Document, Label, Page
from docparse.writing import direction, document_direction, language, ltr_letters
from docparse.render.colors import LABEL_COLORS
from docparse.render.mathml import latex_to_mathml
from docparse.render.sanitize import safe_url, sanitize_table
from docparse.render.structure import (
    AttachedCaption,
    ListNode,
    attach_captions,
    caption_ids,
    format_bbox,
    is_ordered,
    list_items,
    list_start,
    list_tree,
    plan_page,
)

TEMPLATES_DIR = "templates"  # inside the docparse.render package
TEMPLATE = "document.html"
STYLESHEET = "document.css"

_FIGURE_LABELS = (Label.IMAGE, Label.CHART, Label.TABLE)


@functools.lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    """The Jinja2 environment over ``docparse/render/templates/`` (a plain checkout, an editable
    install or the wheel, which carries the folder as package data)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("docparse.render", TEMPLATES_DIR),
        autoescape=True,  # every template here is HTML; CSS is passed in as Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def stylesheet() -> str:
    env = template_environment()
    source, _, _ = env.loader.get_source(env, STYLESHEET)  # type: ignore[union-attr]
    return source


def render_html(
    doc: Document,
    overlay: bool = False,
    images: Mapping[str, str] | None = None,
    page_images: Mapping[int, str] | None = None,
    title: str | None = None,
) -> str:
    """The document as one standalone HTML page.

    ``images``: block id -> the ``src`` of its picture (a relative link to its crop, or a
    ``data:image/png;base64,`` URI of docparse's own crop); image and chart blocks without one
    show their text instead. ``overlay`` with ``page_images`` (page index -> image path): each
    page shows its image with the block boxes drawn on it (CSS only).
    """
    attached = attach_captions(doc)
    skip = caption_ids(attached)
    images = images or {}
    pages = [_page_view(p, attached, skip, images, page_images if overlay else None, overlay) for p in doc.pages]
    doc_dir, doc_lang = document_direction(b.text for p in doc.pages for b in p.blocks)
    if doc_dir == "rtl":
        _mark_ltr_blocks(pages)
    env = template_environment()
    return env.get_template(TEMPLATE).render(
        doc_dir=doc_dir,
        doc_lang=doc_lang,
        title=title or _default_title(doc),
        css=Markup(stylesheet()),
        label_colors=[(label.value, color) for label, color in LABEL_COLORS.items()],
        overlay=overlay,
        pages=pages,
        schema_version=doc.schema_version,
        engine=doc.engine.name,
    )


def _mark_ltr_blocks(pages: list[dict[str, Any]]) -> None:
    """In a right-to-left document, left-to-right blocks say so (they would be right-aligned)."""
    for page in pages:
        for view in (*page["top"], *page["body"], *page["bottom"]):
            if view.get("dir") is None and view["kind"] != "formula" and ltr_letters(view["text"] or ""):
                view["dir"] = "ltr"


def _default_title(doc: Document) -> str:
    meta_title = doc.source.metadata.get("title") if isinstance(doc.source.metadata, dict) else None
    return str(meta_title or doc.source.name or "document")


# -- views ---------------------------------------------------------------------------------------


def _page_view(
    page: Page,
    attached: dict[str, list[AttachedCaption]],
    skip: set[str],
    images: Mapping[str, str],
    page_images: Mapping[int, str] | None,
    overlay: bool,
) -> dict[str, Any]:
    plan = plan_page(page)

    def views(blocks: list[Block], furniture_tag: str = "footer") -> list[dict[str, Any]]:
        out = []
        for block in blocks:
            if block.label == Label.CAPTION and block.id in skip:
                continue
            out.extend(_block_views(block, attached.get(block.id, []), images))
        for view in out:
            if view["kind"] == "furniture":
                view["tag"] = furniture_tag  # <header> on top of the page, <footer> below
        return out

    image = safe_url(page_images.get(page.index)) if page_images else None
    return {
        "index": page.index,
        "number": page.index + 1,
        "width": _dim(page.width),
        "height": _dim(page.height),
        "status": page.status.value,
        "error": page.error,
        "top": views(plan.top, "header"),
        "body": views(plan.body),
        "bottom": views(plan.bottom),
        "overlay": overlay,
        "image": image,
        "boxes": _boxes(page) if overlay else [],
    }


def _dim(value: float) -> str:
    return f"{max(float(value), 0.01):.2f}"


def _boxes(page: Page) -> list[dict[str, Any]]:
    """Block boxes as percentages of the page, for the CSS overlay."""
    if page.width <= 0 or page.height <= 0:
        return []
    boxes = []
    for block in page.blocks:
        x0, y0, x1, y1 = block.bbox
        left, top = _pct(x0, page.width), _pct(y0, page.height)
        boxes.append(
            {
                "id": block.id,
                "label": block.label.value,
                "n": "" if block.order is None else str(block.order + 1),
                "style": (
                    f"left:{left:.3f}%;top:{top:.3f}%;"
                    f"width:{max(0.0, _pct(x1, page.width) - left):.3f}%;"
                    f"height:{max(0.0, _pct(y1, page.height) - top):.3f}%"
                ),
            }
        )
    return boxes


def _pct(value: float, total: float) -> float:
    pct = float(value) / total * 100.0
    return min(max(pct, 0.0), 100.0) if math.isfinite(pct) else 0.0


def _base(block: Block, kind: str) -> dict[str, Any]:
    text_dir = direction(block.text) if kind != "formula" else None
    return {
        "kind": kind,
        "id": block.id,
        "label": block.label.value,
        "bbox": format_bbox(block.bbox),
        "order": block.order,
        "text": block.text,
        "dir": text_dir,  # "rtl" / "auto" for Arabic or Hebrew text (docparse.writing)
        "lang": language(block.text) if text_dir else None,
    }


def _block_views(block: Block, captions: list[AttachedCaption], images: Mapping[str, str]) -> list[dict[str, Any]]:
    """The views of one block: one element, or (for blocks that are not figures) the block with
    its captions as separate elements before / after it."""
    caption_views = [(c.before, _base(c.block, "caption")) for c in captions]
    if block.label in _FIGURE_LABELS:
        view = _figure_view(block, images)
        caption_text = " ".join(c.block.text.strip() for c in captions if c.block.text.strip())
        if caption_text:
            view["alt"] = caption_text[:300]
        view["before"] = [v for before, v in caption_views if before]
        view["after"] = [v for before, v in caption_views if not before]
        return [view]
    before = [v for b, v in caption_views if b]
    after = [v for b, v in caption_views if not b]
    return [*before, _single_view(block), *after]


def _single_view(block: Block) -> dict[str, Any]:
    label = block.label
    if label in (Label.TITLE, Label.HEADING):
        view = _base(block, "heading")
        view["level"] = 1 if label == Label.TITLE else min(max(int(block.level or 2), 1), 6)
        return view
    if label == Label.LIST:
        view = _base(block, "list")
        nodes = list_tree(list_items(block))
        view.update(_list_group(nodes))
        return view
    if label == Label.FORMULA:
        view = _base(block, "formula")
        # MathML when the block has LaTeX that converts; else the LaTeX (or the text) as text.
        view["latex"] = (block.latex or "").strip()
        view["mathml"] = Markup(mathml) if view["latex"] and (mathml := latex_to_mathml(view["latex"])) else None
        number = block.meta.get("equation_number") if isinstance(block.meta, dict) else None
        view["equation_number"] = str(number) if number else None
        return view
    if label in (Label.CODE, Label.MUSIC):
        view = _base(block, "code")
        view["format"] = block.format or ("abc" if label == Label.MUSIC else "")
        return view
    if label == Label.CHEMISTRY:
        view = _base(block, "chemistry")
        view["format"] = block.format or "smiles"
        return view
    if label in (Label.HEADER, Label.FOOTER, Label.PAGE_NUMBER):
        view = _base(block, "furniture")
        view["tag"] = "footer"  # set per position by _page_view
        view["class"] = label.value.replace("_", "-")
        return view
    if label == Label.FOOTNOTE:
        return _base(block, "footnote")
    return _base(block, "text")  # paragraph, orphan caption


def _figure_view(block: Block, images: Mapping[str, str]) -> dict[str, Any]:
    view = _base(block, "figure")
    view["src"] = None
    if block.label in (Label.IMAGE, Label.CHART) and block.id in images:
        # The caller's map, not page content: a data URI here is docparse's own PNG crop.
        view["src"] = safe_url(images[block.id], allow_data_image=True)
    view["table"] = Markup(sanitize_table(block.html)) if block.html else None
    # Text is shown when nothing else carries it: a table without markup, an image without a crop.
    view["show_text"] = bool(block.text.strip()) and view["table"] is None and (
        block.label == Label.TABLE or view["src"] is None
    )
    view["alt"] = block.text.strip()[:300] or block.label.value
    return view


def _list_group(nodes: list[ListNode]) -> dict[str, Any]:
    ordered = is_ordered(nodes)
    return {
        "tag": "ol" if ordered else "ul",
        "start": list_start(nodes) if ordered else 1,
        "nodes": [
            {
                "text": node.item.text,
                "marker": node.item.marker,
                "bbox": format_bbox(node.item.bbox) if node.item.bbox else None,
                "children": _list_group(node.children) if node.children else None,
            }
            for node in nodes
        ],
    }
