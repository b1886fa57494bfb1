"""QwenVL HTML (Qwen2.5-VL dialect) -> blocks in page points.

A tolerant reader of what real models write. It never raises on model output: what it cannot
read becomes a warning, and what is complete is kept. Boxes in the HTML are integer pixels of the
resized model input; ``PageSpace.to_points`` maps them to the page (clamped, corners ordered).

Rules beyond the format itself (see ``tags.py`` for the element table):
- an empty element with a box (``<p data-bbox=".."></p>``) lends its box to the next element if
  that one has none (Qwen writes ``<p data-bbox></p><address><p>Qwen Team</p></address>``);
- a block without a box takes the union of its children's boxes, else the whole page (warned);
  an empty block without a box is dropped;
- an ``h1`` before any other heading, in the top 30 % of the page, is the title;
- ``data-label`` (a docparse hint written by ``write_qwenvl``) overrides the label;
- a caption marked by the hint belongs to the neighbouring image/table/chart/formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import NavigableString, Tag

from docparse.document import FURNITURE_LABELS, Block, Label, ListItem, block_id
from docparse.geometry import PageSpace, union_box
from docparse.qwenvl import tags as T
from docparse.qwenvl.markup import (
    PixelBox,
    attr_str,
    depth_limited_tags,
    display_math,
    element_text,
    MAX_TEXT_DEPTH,
    is_markup_noise,
    nesting_depth,
    parse,
    parse_box,
    parse_polygon,
    prepare,
)
from docparse.qwenvl.tables import read_table

_MAX_DEPTH = 100
_FALLBACK = {
    "children": "its children's boxes were used",
    "pending": "the box of the empty element before it was used",
    "none": "the whole page was used",
}


@dataclass
class ReadResult:
    """Blocks of one page (ids, order and boxes in page points) and what went wrong reading it."""

    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False  # the output was cut off (token limit): the last block may be incomplete


def read_qwenvl(raw: str, space: PageSpace, page_index: int = 0, source: str = "vlm") -> ReadResult:
    """Read one page of QwenVL HTML into blocks. Never raises on model output."""
    reader = _Reader(space, page_index, source)
    try:
        reader.run(raw)
    except Exception as exc:  # a reader bug must not lose the page: keep what was read
        reader.warn(f"QwenVL HTML reader stopped early ({type(exc).__name__}); kept the blocks read before it")
    return reader.result()


@dataclass
class _Box:
    px: PixelBox | None
    how: str  # "own", "children", "pending", "none"
    garbled: bool = False


class _Reader:
    def __init__(self, space: PageSpace, page_index: int, source: str) -> None:
        self.space = space
        self.page_index = page_index
        self.source = source
        self.blocks: list[Block] = []
        self.truncated = False
        self._warnings: dict[str, int] = {}
        self._order = 0
        self._seen_heading = False
        self._pending: PixelBox | None = None
        self._swapped = 0
        self._outside = 0

    # -- results ----------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        self._warnings[message] = self._warnings.get(message, 0) + 1

    def result(self) -> ReadResult:
        warnings = [m if n == 1 else f"{m} ({n} times)" for m, n in self._warnings.items()]
        if self._swapped:
            warnings.append(f"{self._swapped} box(es) had swapped corners and were reordered")
        if self._outside:
            warnings.append(f"{self._outside} box(es) reached outside the image and were clamped")
        return ReadResult(blocks=self.blocks, warnings=warnings, truncated=self.truncated)

    # -- driver -----------------------------------------------------------------------------
    def run(self, raw: str) -> None:
        prepared = prepare(raw)
        soup, _ = parse(prepared.html)
        deepest = nesting_depth(soup)
        if deepest > MAX_TEXT_DEPTH:
            self.warn(
                f"markup nested {deepest} deep (more than {MAX_TEXT_DEPTH}): "
                "the text below that depth was read as plain text"
            )
        self._walk(soup, 0)
        self._link_captions()
        if prepared.truncated:
            self.truncated = True
            why = []
            if prepared.cut_tag:
                why.append("an unfinished tag at the end was dropped")
            if prepared.unclosed:
                why.append("</html> is missing")
            if prepared.ends_mid_text:
                why.append("it stops inside an element")
            self.warn("output is cut off (" + ", ".join(why) + "): the complete elements were kept")
            if prepared.ends_mid_text and self.blocks:
                self.blocks[-1].meta["truncated"] = True

    def _walk(self, container: Tag, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.warn("markup nested too deeply: the innermost part was skipped")
            return
        run: list[object] = []  # loose text and inline tags, read as one paragraph
        for child in list(container.children):
            if isinstance(child, NavigableString):
                if not is_markup_noise(child) and str(child).strip():
                    run.append(child)
                continue
            if not isinstance(child, Tag):
                continue
            if self._is_inline(child):
                run.append(child)
                continue
            self._flush_run(run)
            run = []
            self._element(child, depth)
        self._flush_run(run)

    @staticmethod
    def _is_inline(tag: Tag) -> bool:
        name = (tag.name or "").lower()
        return not (
            name in T.TAG_RULES or name in T.CONTAINER_TAGS or name in T.IGNORED_TAGS or name in T.BLOCK_TAGS
        )

    def _flush_run(self, run: list[object]) -> None:
        if not run:
            return
        text = " ".join(
            " ".join((str(n) if isinstance(n, NavigableString) else element_text(n)).split()) for n in run
        ).strip()
        pending, self._pending = self._pending, None
        if not text:
            return
        box = None
        for node in run:
            if isinstance(node, Tag):
                box = parse_box(attr_str(node, "data-bbox"))
                if box:
                    break
        if box is None:
            box = pending
        if box is None:
            self.warn("text outside any block element has no box: the whole page was used")
        else:
            self.warn("text outside any block element was read as a paragraph")
        self._add(Label.PARAGRAPH, box, text)

    # -- one element ------------------------------------------------------------------------
    def _element(self, tag: Tag, depth: int) -> None:
        name = (tag.name or "").lower()
        if name in T.IGNORED_TAGS:
            return
        classes, variant = T.class_tokens(tag.get("class"))
        rule = T.rule_for(name, classes)
        if rule is None:
            shown = " ".join(sorted(classes))[:60]  # model text in a warning: keep it short
            if name in T.CONTAINER_TAGS and (name != "div" or self._holds_blocks(tag)):
                if name == "div" and classes:
                    self.warn(f'unknown class "{shown}": read its children')
                self._walk(tag, depth + 1)
                return
            what = f'<{name[:30]} class="{shown}">' if classes else f"<{name[:30]}>"
            self.warn(f"unknown element {what} read as a paragraph")
            rule = T.Rule(Label.PARAGRAPH, T.TEXT)
        pending, self._pending = self._pending, None
        hint_raw = attr_str(tag, "data-label")
        hint = T.hint_label(hint_raw)
        if hint_raw is not None and hint is None:
            self.warn(f'unknown data-label "{hint_raw[:40]}" ignored')
        box = self._box(tag, pending)
        handler = getattr(self, f"_read_{rule.kind}")
        handler(tag, rule, hint, box, variant)

    @staticmethod
    def _holds_blocks(tag: Tag) -> bool:
        for child in tag.children:
            if isinstance(child, Tag):
                name = (child.name or "").lower()
                if name in T.BLOCK_TAGS or name in T.TAG_RULES or child.get("data-bbox") is not None:
                    return True
        return False

    def _box(self, tag: Tag, pending: PixelBox | None) -> _Box:
        raw = attr_str(tag, "data-bbox")
        own = parse_box(raw) or parse_polygon(attr_str(tag, "data-polygon"))
        garbled = raw is not None and parse_box(raw) is None
        if own is not None:
            return _Box(own, "own")
        inner = (parse_box(attr_str(t, "data-bbox")) for t in tag.find_all(attrs={"data-bbox": True}))
        kids = [b for b in inner if b]
        if kids:
            return _Box(union_box(kids), "children", garbled)
        if pending is not None:
            return _Box(pending, "pending", garbled)
        return _Box(None, "none", garbled)

    def _place(self, tag: Tag, box: _Box, has_content: bool, quiet_children: bool = False) -> PixelBox | None | bool:
        """The pixel box to use, None for the whole page, or False when the block is dropped."""
        name = (tag.name or "").lower()
        if box.how == "none" and not has_content:
            return False
        if box.garbled:
            self.warn(f"<{name}> has an unreadable data-bbox: {_FALLBACK[box.how]}")
        elif box.how == "none" or (box.how == "children" and not quiet_children):
            self.warn(f"<{name}> has no data-bbox: {_FALLBACK[box.how]}")
        return box.px

    # -- block kinds ------------------------------------------------------------------------
    def _read_text(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        label = hint or rule.label
        text = element_text(tag, verbatim=label in T.VERBATIM_LABELS)
        if not text:
            if box.how == "own":
                self._pending = box.px  # an empty boxed element: its box belongs to what follows
            return
        name = (tag.name or "").lower()
        px = self._place(tag, box, True, quiet_children=name == "address")
        meta = {"role": "author"} if name == "address" else {}
        self._add(label, px, text, meta=meta)

    def _read_heading(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        text = element_text(tag)
        if not text:
            if box.how == "own":
                self._pending = box.px
            return
        px = self._place(tag, box, True)
        level = int((tag.name or "h2")[1])
        label = hint
        if label is None:
            top = None if px in (None, False) else min(px[1], px[3])  # type: ignore[index]
            is_title = level == 1 and T.is_title_position(self._seen_heading, top, self.space.height_px)
            label = Label.TITLE if is_title else Label.HEADING
        self._seen_heading = self._seen_heading or label in (Label.HEADING, Label.TITLE)
        self._add(label, px, text, level=None if label == Label.TITLE else level)

    def _read_list(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        items: list[ListItem] = []
        item_boxes: list[PixelBox] = []
        self._list_items(tag, 0, items, item_boxes, 0)
        if not items:
            return
        if box.how in ("children", "none", "pending") and item_boxes and not box.garbled:
            box = _Box(union_box(item_boxes), "children")
        px = self._place(tag, box, True, quiet_children=True)
        text = "\n".join(item.text for item in items)
        meta = {"ordered": (tag.name or "").lower() == "ol"}
        self._add(hint or Label.LIST, px, text, items=items, meta=meta)

    def _list_items(self, node: Tag, level: int, items: list[ListItem], boxes: list[PixelBox], depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        for child in node.children:
            if isinstance(child, NavigableString):
                text = " ".join(str(child).split())
                if text and not is_markup_noise(child):
                    items.append(ListItem(text=text, level=level))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name in ("ol", "ul"):
                self._list_items(child, level + 1, items, boxes, depth + 1)
                continue
            if name in T.IGNORED_TAGS:
                continue
            text = element_text(child, skip=frozenset({"ol", "ul"}))
            px = parse_box(attr_str(child, "data-bbox"))
            if text:
                if px is not None:
                    boxes.append(px)
                items.append(ListItem(text=text, bbox=self._points(px) if px else None, level=level))
            for nested in child.find_all(["ol", "ul"], recursive=False):
                self._list_items(nested, level + 1, items, boxes, depth + 1)

    def _read_table(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        html, text = read_table(tag)
        px = self._place(tag, box, html is not None)
        if px is False:
            return
        self._add(hint or Label.TABLE, px, text, html=html)

    def _read_chart(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        html, text = None, ""
        table = tag.find("table")
        if isinstance(table, Tag):
            html, text = read_table(table)
        if not text:
            text = element_text(tag)
        px = self._place(tag, box, bool(html or text))
        if px is False:
            return
        self._add(hint or Label.CHART, px, text, html=html)

    def _read_formula(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        full = element_text(tag)
        spans = display_math(full)
        parts = [inner.strip() for _, _, inner in spans if inner.strip()]
        if parts:
            latex = "\n".join(parts)
            pieces, done = [], 0
            for start, end, inner in spans:
                pieces += [full[done:start], f" {inner.strip()} "]
                done = end
            text = " ".join("".join([*pieces, full[done:]]).split())
        else:
            text = full.strip("$").strip() if full.startswith("$") and full.endswith("$") else full
            latex = text or None
        px = self._place(tag, box, bool(full))
        if px is False:
            return
        meta = {"variant": variant} if variant else {}
        self._add(hint or Label.FORMULA, px, text, latex=latex, meta=meta)

    def _read_image(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        text = element_text(tag)
        px = self._place(tag, box, bool(text), quiet_children=True)
        if px is False:
            return
        self._add(hint or Label.IMAGE, px, text)

    _read_image_ocr = _read_image

    def _read_image_caption(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        caption = element_text(tag)
        px = self._place(tag, box, bool(caption), quiet_children=True)
        if px is False:
            return
        image = self._add(hint or Label.IMAGE, px, "")
        if not caption:
            return
        cap_px = px
        for p in depth_limited_tags(tag, "p"):
            own = parse_box(attr_str(p, "data-bbox"))
            if own is not None:
                cap_px = own
                break
        self._add(Label.CAPTION, cap_px, caption, caption_for=image.id)

    def _read_music(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        self._read_verbatim(tag, hint or Label.MUSIC, box, "abc")

    def _read_chemistry(self, tag: Tag, rule: T.Rule, hint: Label | None, box: _Box, variant: str | None) -> None:
        self._read_verbatim(tag, hint or Label.CHEMISTRY, box, "smiles")

    def _read_verbatim(self, tag: Tag, label: Label, box: _Box, fmt: str) -> None:
        text = element_text(tag, verbatim=True)
        px = self._place(tag, box, bool(text), quiet_children=True)
        if px is False:
            return
        self._add(label, px, text, format=fmt)

    # -- helpers ----------------------------------------------------------------------------
    def _points(self, px: PixelBox) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = px
        if x0 > x1 or y0 > y1:
            self._swapped += 1
        w, h = self.space.width_px, self.space.height_px
        if min(x0, y0, x1, y1) < 0 or max(x0, x1) > w or max(y0, y1) > h:
            self._outside += 1
        x0, y0, x1, y1 = self.space.to_points(px)
        return (float(x0), float(y0), float(x1), float(y1))

    def _add(self, label: Label, px: PixelBox | None, text: str, **fields: object) -> Block:
        """Append a block; ``px`` None means the whole page."""
        whole = (0.0, 0.0, self.space.width_pt, self.space.height_pt)
        x0, y0, x1, y1 = self._points(px) if px is not None else whole
        bbox = (float(x0), float(y0), float(x1), float(y1))  # float also for the whole page
        order = None
        if label not in FURNITURE_LABELS:
            order = self._order
            self._order += 1
        block = Block(
            id=block_id(self.page_index, len(self.blocks)),
            label=label,
            bbox=bbox,
            text=text,
            page=self.page_index,
            order=order,
            source=self.source,
            **fields,  # type: ignore[arg-type]
        )
        self.blocks.append(block)
        return block

    def _link_captions(self) -> None:
        T.link_neighbour_captions(self.blocks)
