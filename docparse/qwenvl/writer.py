"""Blocks -> QwenVL HTML (Qwen2.5-VL dialect), in one page's model pixel space.

Body blocks come in reading order, then the page furniture. Boxes go from page points to integer
pixels with ``PageSpace.to_pixels``. All text is escaped and table markup is rebuilt through the
allowlist of ``tables.py``, so the output never carries script, event handlers or links.

Labels the dialect cannot express (header, footer, page number, footnote, code, a caption that is
not an image's own, an h1 that the reader would take for a title or not) are written as the
nearest element with a ``data-label`` hint, which ``read_qwenvl`` honours. ``label_hints=False``
writes the pure model dialect instead (what Qwen2.5-VL itself would write: furniture as ``<p>``),
e.g. for fine-tuning pairs; those labels then read back as paragraphs (an h1 as title/heading by
position).
"""

from __future__ import annotations

import re
from html import escape

from docparse.document import Block, Label, ListItem
from docparse.geometry import PageSpace
from docparse.qwenvl import tags as T
from docparse.qwenvl.tables import sanitize_table_html, table_from_text
from docparse.patterns import QWENVL_BULLETS

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in HTML text
_NEST_TOLERANCE_PT = 1.0


def write_qwenvl(blocks: list[Block], space: PageSpace, fenced: bool = False, label_hints: bool = True) -> str:
    """QwenVL HTML for one page's blocks (boxes in page points) in ``space``'s pixel space."""
    return _Writer(blocks, space, label_hints).write(fenced)


def _text(value: str) -> str:
    return escape(_CONTROL.sub("", value or ""), quote=False)


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    t = _NEST_TOLERANCE_PT
    return all(inner[k] >= outer[k] - t for k in (0, 1)) and all(inner[k] <= outer[k] + t for k in (2, 3))


class _Writer:
    def __init__(self, blocks: list[Block], space: PageSpace, label_hints: bool) -> None:
        body = sorted((b for b in blocks if b.order is not None), key=lambda b: b.order or 0)
        rest = [b for b in blocks if b.order is None]
        self.blocks = body + rest
        self.space = space
        self.hints = label_hints
        self.seen_heading = False
        self.nested = self._nested_captions()

    def _nested_captions(self) -> dict[str, Block]:
        """Image id -> the caption written inside it (``div.image caption``): a caption that lies
        inside its image's box is Qwen's image description, not a printed caption."""
        by_id = {b.id: b for b in self.blocks}
        nested: dict[str, Block] = {}
        for b in self.blocks:
            target = by_id.get(b.caption_for or "")
            if (
                b.label == Label.CAPTION
                and b.text.strip()
                and target is not None
                and target.label == Label.IMAGE
                and not target.text.strip()
                and target.id not in nested
                and _inside(b.bbox, target.bbox)
            ):
                nested[target.id] = b
        return nested

    def write(self, fenced: bool) -> str:
        nested_ids = {c.id for c in self.nested.values()}
        lines = [self._block(b) for b in self.blocks if b.id not in nested_ids]
        html = "<html><body>\n" + "".join(line + "\n" for line in lines if line) + "</body></html>"
        return f"```html\n{html}\n```" if fenced else html

    # -- pieces -----------------------------------------------------------------------------
    def _px(self, bbox: tuple[float, ...]) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = self.space.to_pixels(bbox)  # type: ignore[arg-type]
        return int(x0), int(y0), int(x1), int(y1)

    def _bbox(self, bbox: tuple[float, ...]) -> str:
        return ' data-bbox="%d %d %d %d"' % self._px(bbox)

    def _hint(self, label: Label) -> str:
        return f' data-label="{label.value}"' if self.hints else ""

    def _block(self, b: Block) -> str:
        label = b.label
        if label in (Label.TITLE, Label.HEADING):
            return self._heading(b)
        if label == Label.LIST:
            return self._list(b)
        if label == Label.TABLE:
            html = sanitize_table_html(b.html) or table_from_text(b.text) or "<table></table>"
            return "<table" + self._bbox(b.bbox) + ">" + html[len("<table>") :]
        if label == Label.CHART:
            return self._chart(b)
        if label == Label.FORMULA:
            return self._formula(b)
        if label == Label.IMAGE:
            return self._image(b)
        if label == Label.MUSIC:
            return self._figure(b, 'class="music sheet" format="abc notation"', b.text)
        if label == Label.CHEMISTRY:
            return self._figure(b, 'class="chemical formula" format="smile"', b.text)
        if not b.text.strip():
            return ""  # an empty paragraph reads back as a separator: nothing to write
        if label in T.HINTED_LABELS:
            return f"<p{self._bbox(b.bbox)}{self._hint(label)}>{_text(b.text)}</p>"
        if b.meta.get("role") == "author":
            return f'<address class="author"><p{self._bbox(b.bbox)}>{_text(b.text)}</p></address>'
        return f"<p{self._bbox(b.bbox)}>{_text(b.text)}</p>"  # paragraph (and any future label)

    def _heading(self, b: Block) -> str:
        if not b.text.strip():
            return ""
        level = 1 if b.label == Label.TITLE else max(1, min(int(b.level or 2), 6))
        hint = ""
        if level == 1:
            top = self._px(b.bbox)[1]
            as_title = T.is_title_position(self.seen_heading, top, self.space.height_px)
            natural = Label.TITLE if as_title else Label.HEADING
            if natural != b.label:
                hint = self._hint(b.label)
        self.seen_heading = True
        return f"<h{level}{self._bbox(b.bbox)}{hint}>{_text(b.text)}</h{level}>"

    def _list(self, b: Block) -> str:
        items = list(b.items) or [ListItem(text=t) for t in b.text.splitlines() if t.strip()]
        items = [it for it in items if it.text.strip()]
        if not items:
            return ""
        ordered = b.meta.get("ordered")
        if ordered is None:
            markers = [it.marker.strip() for it in items if it.marker and it.marker.strip()]
            ordered = not markers or not all(m in QWENVL_BULLETS for m in markers)
        tag = "ol" if ordered else "ul"
        out = [f"<{tag}{self._bbox(b.bbox)}>"]
        open_li = [False]  # per open list: whether an <li> is open in it
        for it in items:
            depth = len(open_li) - 1
            level = max(0, min(int(it.level), depth + 1))  # one level deeper at most
            if level > depth:
                if not open_li[-1]:
                    out.append("<li>")
                    open_li[-1] = True
                out.append(f"<{tag}>")
                open_li.append(False)
            while level < len(open_li) - 1:
                if open_li[-1]:
                    out.append("</li>")
                open_li.pop()
                out.append(f"</{tag}>")
            if open_li[-1]:
                out.append("</li>")
            box = self._bbox(it.bbox) if it.bbox is not None else ""
            out.append(f"<li{box}>{_text(it.text)}")
            open_li[-1] = True
        while open_li:
            if open_li[-1]:
                out.append("</li>")
            open_li.pop()
            out.append(f"</{tag}>")
        return "".join(out)

    def _figure(self, b: Block, attrs: str, inner_text: str) -> str:
        box = self._bbox(b.bbox)
        inner = f"<div>{_text(inner_text)}</div>" if inner_text.strip() else ""
        return f"<div {attrs}{box}><img{box}/>{inner}</div>"

    def _chart(self, b: Block) -> str:
        box = self._bbox(b.bbox)
        table = sanitize_table_html(b.html)
        inner = table or (f"<p>{_text(b.text)}</p>" if b.text.strip() else "")
        return f'<div class="chart"{box}><img{box}/>{inner}</div>'

    def _formula(self, b: Block) -> str:
        latex = (b.latex or b.text or "").strip()
        html = self._figure(b, 'class="formula"', f"$${latex}$$" if latex else "")
        text = " ".join((b.text or "").split())
        if latex and text.startswith(latex) and text != latex:  # words after the formula ("暗环条件为 ...")
            html = html[: -len("</div>")] + _text(text[len(latex) :]) + "</div>"
        return html

    def _image(self, b: Block) -> str:
        box = self._bbox(b.bbox)
        caption = self.nested.get(b.id)
        if caption is not None:
            cap_box = "" if self._px(caption.bbox) == self._px(b.bbox) else self._bbox(caption.bbox)
            return f'<div class="image caption"{box}><img{box}/><p{cap_box}>{_text(caption.text)}</p></div>'
        if b.text.strip():
            return f'<div class="image ocr"{box}><img{box}/><p>{_text(b.text)}</p></div>'
        return f'<div class="image"{box}><img{box}/></div>'
