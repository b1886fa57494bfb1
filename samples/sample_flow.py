"""Flowing blocks through frames (columns, pages) and recording where each one went.

A ``Flow`` holds the pages, one ``TextWriter`` per page and an ordered list of frames. Placers
(``heading``, ``paragraph``, ``bullet_list`` ...) draw a source block at the current position and
record a truth entry: label, page, box in points and content. A paragraph that reaches the bottom
of a frame continues in the next one and is recorded as two blocks (one per frame), as annotators
of real pages do.
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from typing import Any

import pymupdf

from sample_typeset import (MARK, Line, Style, ascent, block_height, draw_lines, font, join_lines, plain,
                            text_width, wrap)

# -- styles shared by the samples ------------------------------------------------------------
BODY = Style("tiro", 9.5, 11.6)
TITLE = Style("hebo", 16, 19)
AUTHORS = Style("tiro", 10, 12.5)
HEADINGS = {1: Style("hebo", 11, 13.5), 2: Style("hebo", 9.5, 12)}
CAPTION = Style("tiro", 8.5, 10.2)
CODE = Style("cour", 7.8, 9.4)
FOOTNOTE = Style("tiro", 7.5, 9)
FURNITURE = Style("helv", 8, 10, (0.3, 0.3, 0.3))
TABLE_HEAD = Style("tibo", 8.5, 10)
TABLE_BODY = Style("tiro", 8.5, 10)
FORMULA = Style("tiit", 10, 12)
SCAN_BODY = Style("tiro", 11.5, 15)  # the scanned page: larger type, as in a typed memo
SCAN_HEADING = Style("hebo", 15, 18)

PARA_GAP = 5.0  # space between blocks
HEAD_GAP = 7.0  # extra space above a heading


@dataclass
class Frame:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass
class Entry:
    """One truth block before ids are given: ``seq`` is its position in reading order."""

    key: str
    page: int
    label: str
    bbox: tuple[float, float, float, float]
    text: str = ""
    seq: int | None = None  # None for page furniture
    level: int | None = None
    html: str | None = None
    latex: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    caption_for: str | None = None  # key of the block it captions
    meta: dict[str, Any] = field(default_factory=dict)


class Flow:
    def __init__(self, doc: pymupdf.Document, frames: list[Frame]) -> None:
        self.doc = doc
        self.writers = [pymupdf.TextWriter(p.rect) for p in doc]
        self.frames = list(frames)
        self.fi = 0
        self.y = frames[0].y0
        self.entries: list[Entry] = []
        self._seq = 0
        self._keys = 0

    # -- position --------------------------------------------------------------------------
    @property
    def frame(self) -> Frame:
        return self.frames[self.fi]

    @property
    def pages(self) -> list[pymupdf.Page]:
        return list(self.doc)

    @property
    def page(self) -> pymupdf.Page:
        return self.doc[self.frame.page]

    @property
    def tw(self) -> pymupdf.TextWriter:
        return self.writers[self.frame.page]

    def left(self) -> float:
        return self.frame.y1 - self.y

    def next_frame(self) -> None:
        self.fi += 1
        if self.fi >= len(self.frames):
            raise OverflowError("the content does not fit in the frames: shorten the source")
        self.y = self.frame.y0

    def replace_following_frames(self, frames: list[Frame]) -> None:
        """From the next frame on, use ``frames`` (e.g. switch to two columns below the title)."""
        self.frames = self.frames[: self.fi + 1] + frames

    def need(self, height: float) -> None:
        """Move to the next frame unless ``height`` fits in this one."""
        if height > self.left() + 0.01:
            self.next_frame()

    def gap(self, height: float) -> None:
        if self.y > self.frame.y0:  # no space at the top of a frame
            self.y += height

    # -- recording -------------------------------------------------------------------------
    def record(self, label: str, bbox: tuple[float, float, float, float], page: int | None = None,
               furniture: bool = False, **fields: Any) -> Entry:
        self._keys += 1
        seq = None
        if not furniture:
            seq = self._seq
            self._seq += 1
        entry = Entry(f"k{self._keys}", self.frame.page if page is None else page, label,
                      tuple(round(v, 2) for v in bbox), seq=seq, **fields)  # type: ignore[arg-type]
        self.entries.append(entry)
        return entry

    def finish(self) -> None:
        for page, tw in zip(self.pages, self.writers):
            tw.write_text(page)


# -- placers -----------------------------------------------------------------------------------
def heading(flow: Flow, text: str, level: int, label: str = "heading", style: Style | None = None) -> Entry:
    style = style or (TITLE if label == "title" else HEADINGS[level])
    lines = wrap(text, style, flow.frame.width)
    flow.gap(HEAD_GAP)
    h = block_height(len(lines), style)
    flow.need(h + PARA_GAP + 2 * BODY.leading)  # keep a heading with two lines of what follows
    align = "center" if label == "title" else "left"
    placed = draw_lines(flow.tw, lines, style, flow.frame.x0, flow.y, flow.frame.width, align)
    flow.y = placed.bbox[3]
    entry = flow.record(label, placed.bbox, text=plain(text), level=None if label == "title" else level)
    flow.gap(PARA_GAP)
    return entry


def paragraph(flow: Flow, text: str, style: Style = BODY, align: str = "justify",
              label: str = "paragraph", meta: dict[str, Any] | None = None) -> list[Entry]:
    """A paragraph that may continue in the next frame; one entry per frame it occupies."""
    lines = wrap(text, style, flow.frame.width)
    entries: list[Entry] = []
    while lines:
        room = flow.left() - block_height(1, style)  # below the first line
        fit = 0 if room < 0 else int(room // style.leading) + 1
        if len(lines) - fit == 1 and fit > 2:  # no widow line at the head of the next frame
            fit -= 1
        if fit < min(2, len(lines)):  # no orphan line at the foot of a frame
            flow.next_frame()
            continue
        part, lines = lines[:fit], lines[fit:]
        placed = draw_lines(flow.tw, part, style, flow.frame.x0, flow.y, flow.frame.width, align)
        flow.y = placed.bbox[3]
        m = dict(meta or {})
        hyph = [w for ln in part if ln.hyphenated for w in ln.words[-1:]]
        if hyph:
            m["hyphenated_line_ends"] = hyph
        marks = [w.split(MARK, 1)[1] for ln in part for w in ln.words if MARK in w]
        if marks:
            m["footnote_marks"] = marks  # printed as superscripts, left out of ``text``
        if entries:
            m["continues"] = entries[-1].key
        entries.append(flow.record(label, placed.bbox, text=join_lines(part), meta=m))
        if lines:
            flow.next_frame()
    flow.gap(PARA_GAP)
    return entries


def item_list(flow: Flow, items: list[str], ordered: bool, markers: list[str] | None = None,
              style: Style = BODY) -> Entry:
    """A bulleted or numbered list, kept in one frame; ``markers`` overrides "1." / "•"."""
    indent = (16.0 if markers else 12.0) * style.size / BODY.size
    x, width = flow.frame.x0, flow.frame.width
    wrapped = [wrap(t, style, width - indent) for t in items]
    height = sum(block_height(len(w), style) for w in wrapped) + 2.0 * (len(items) - 1)
    flow.need(height)
    out_items = []
    top = flow.y
    for n, lines in enumerate(wrapped):
        marker = markers[n] if markers else (f"{n + 1}." if ordered else "\u2022")
        mx = x + indent - 3 - text_width(marker, style) if ordered else x + 3
        # the marker is written before the item's words so the text layer reads "• item"
        flow.tw.append((mx, flow.y + ascent(style)), marker, font=_font(style), fontsize=style.size)
        placed = draw_lines(flow.tw, lines, style, x + indent, flow.y, width - indent, "justify")
        out_items.append({"text": join_lines(lines), "bbox": [round(v, 2) for v in (x, *placed.bbox[1:])],
                          "level": 0, "marker": marker})
        flow.y = placed.bbox[3] + 2.0
    flow.y -= 2.0
    bbox = (x, top, x + width, flow.y)
    entry = flow.record("list", bbox, text="\n".join(i["text"] for i in out_items), items=out_items,
                        meta={"ordered": ordered})
    flow.gap(PARA_GAP)
    return entry


def _font(style: Style) -> pymupdf.Font:
    return font(style.font)


def caption(flow: Flow, text: str, of: Entry | None) -> Entry:
    lines = wrap(text, CAPTION, flow.frame.width)
    placed = draw_lines(flow.tw, lines, CAPTION, flow.frame.x0, flow.y, flow.frame.width, "justify")
    flow.y = placed.bbox[3]
    return flow.record("caption", placed.bbox, text=join_lines(lines), caption_for=of.key if of else None)


def caption_height(text: str, width: float) -> float:
    return block_height(len(wrap(text, CAPTION, width)), CAPTION)


def code(flow: Flow, lines: list[str]) -> Entry:
    pad = 4.0
    h = block_height(len(lines), CODE) + 2 * pad
    flow.need(h)
    x0, x1 = flow.frame.x0, flow.frame.x1
    flow.page.draw_rect(pymupdf.Rect(x0, flow.y, x1, flow.y + h), color=None, fill=(0.93, 0.93, 0.93))
    draw_lines(flow.tw, [Line(ln.split(" "), last=True) for ln in lines], CODE, x0 + pad, flow.y + pad,
               x1 - x0 - 2 * pad, "left")
    entry = flow.record("code", (x0, flow.y, x1, flow.y + h), text="\n".join(lines),
                        meta={"format": "monospace"})
    flow.y += h
    flow.gap(PARA_GAP)
    return entry


def formula(flow: Flow, text: str, latex: str, number: str) -> Entry:
    h = block_height(1, FORMULA)
    flow.gap(2.0)
    flow.need(h)
    line = Line(text.split(" "), last=True)
    line.width = text_width(text, FORMULA)
    placed = draw_lines(flow.tw, [line], FORMULA, flow.frame.x0, flow.y, flow.frame.width, "center")
    num_w = text_width(number, BODY)
    flow.tw.append((flow.frame.x1 - num_w, placed.baselines[0]), number, font=_font(BODY), fontsize=BODY.size)
    bbox = (placed.bbox[0], placed.bbox[1], flow.frame.x1, placed.bbox[3])
    entry = flow.record("formula", bbox, text=f"{text} {number}", latex=latex, meta={"number": number})
    flow.y = placed.bbox[3]
    flow.gap(PARA_GAP + 2.0)
    return entry


def bar_chart(flow: Flow, values: list[float], height: float) -> Entry:
    """A figure made of vector shapes only (axes and bars, no text inside)."""
    x0, x1 = flow.frame.x0 + 20, flow.frame.x1 - 20
    top, bottom = flow.y, flow.y + height
    page = flow.page
    page.draw_line((x0, top), (x0, bottom), color=(0, 0, 0), width=0.8)
    page.draw_line((x0, bottom), (x1, bottom), color=(0, 0, 0), width=0.8)
    vmax = max(values)
    slot = (x1 - x0) / len(values)
    shades = [(0.25, 0.45, 0.7), (0.85, 0.5, 0.2), (0.35, 0.6, 0.35), (0.6, 0.35, 0.6)]
    for n, v in enumerate(values):
        bx = x0 + n * slot + slot * 0.2
        bh = (height - 8) * v / vmax
        page.draw_rect(pymupdf.Rect(bx, bottom - bh, bx + slot * 0.6, bottom), color=None,
                       fill=shades[n % len(shades)])
    for k in range(1, 4):  # light grid lines
        gy = bottom - (height - 8) * k / 3
        page.draw_line((x0, gy), (x1, gy), color=(0.8, 0.8, 0.8), width=0.3)
    entry = flow.record("image", (x0, top, x1, bottom), meta={"kind": "bar chart", "values": values})
    flow.y = bottom + 4
    return entry


# -- tables ------------------------------------------------------------------------------------
def grid_positions(rows: list[list[dict[str, Any]]]) -> list[list[tuple[int, int]]]:
    """(row, column) of each cell's top-left slot, skipping slots taken by row/column spans."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        pos = []
        for cell in row:
            while (r, c) in taken:
                c += 1
            pos.append((r, c))
            for dr in range(cell.get("rowspan", 1)):
                for dc in range(cell.get("colspan", 1)):
                    taken.add((r + dr, c + dc))
            c += cell.get("colspan", 1)
        out.append(pos)
    return out


def table_html(rows: list[list[dict[str, Any]]]) -> str:
    """Plain table markup: <th> for header cells, rowspan/colspan where a cell spans."""
    parts = ["<table>"]
    for row in rows:
        parts.append("<tr>")
        for cell in row:
            tag = "th" if cell.get("header") else "td"
            attrs = "".join(f' {k}="{cell[k]}"' for k in ("rowspan", "colspan") if cell.get(k, 1) > 1)
            parts.append(f"<{tag}{attrs}>{html_lib.escape(cell['text'], quote=False)}</{tag}>")
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)


def draw_table(page: pymupdf.Page, tw: pymupdf.TextWriter, x: float, top: float, widths: list[float],
               rows: list[list[dict[str, Any]]], row_h: float) -> tuple[float, float, float, float]:
    """Draw a ruled grid with centred cell text; spanned cells get one box over their slots."""
    xs = [x]
    for w in widths:
        xs.append(xs[-1] + w)
    shape = page.new_shape()  # one shape for all rules: one content stream, a small file
    for row, pos in zip(rows, grid_positions(rows)):
        for cell, (r, c) in zip(row, pos):
            cx0, cx1 = xs[c], xs[c + cell.get("colspan", 1)]
            cy0, cy1 = top + r * row_h, top + (r + cell.get("rowspan", 1)) * row_h
            shape.draw_rect(pymupdf.Rect(cx0, cy0, cx1, cy1))
            style = TABLE_HEAD if cell.get("header") else TABLE_BODY
            align = cell.get("align", "center")
            w = text_width(cell["text"], style)
            tx = cx0 + (cx1 - cx0 - w) / 2 if align == "center" else cx0 + 3
            baseline = (cy0 + cy1) / 2 + style.size * 0.33
            tw.append((tx, baseline), cell["text"], font=_font(style), fontsize=style.size)
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()
    return (xs[0], top, xs[-1], top + len(rows) * row_h)


def table(flow: Flow, rows: list[list[dict[str, Any]]], widths: list[float], row_h: float = 13.0) -> Entry:
    x = flow.frame.x0 + (flow.frame.width - sum(widths)) / 2
    bbox = draw_table(flow.page, flow.tw, x, flow.y, widths, rows, row_h)
    flow.y = bbox[3]
    text = "\n".join(" ".join(c["text"] for c in row) for row in rows)
    return flow.record("table", bbox, text=text, html=table_html(rows))
