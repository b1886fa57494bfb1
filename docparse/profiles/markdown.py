"""The Markdown dialects (olmOCR, Nanonets, RolmOCR, Infinity-Parser, MonkeyOCR text) -> blocks.

These models write one page as Markdown without boxes: ``#`` headings, paragraphs, ``-``/``1.``
lists, GFM pipe tables or HTML ``<table>`` (with spans), ``$$ $$`` / ``\\[ \\]`` display math,
```` ``` ```` code (Mermaid for Nanonets-OCR2 flowcharts) and ``![alt](src)`` figures; Nanonets
adds ``<img>description</img>``, ``<watermark>``, ``<page_number>`` and ``<signature>``.

The reader is line based and forgiving: it never raises, an unclosed table, fence or formula
takes the rest of the page, and any HTML other than tables is reduced to its text (tables are
rebuilt through the allowlist in ``qwenvl/tables.py``). Blocks get no box here (``px=None``);
``align.attach_boxes`` finds them on the page afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from docparse.document import Label, ListItem
from docparse.profiles.blocks import CAPTIONED, BlockBuilder, looks_like_caption
from docparse.qwenvl.tables import read_table

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,3}[.)]|[a-zA-Z][.)])\s+(.*)$")
_MD_IMAGE = re.compile(r"^!\[(.*?)\]\((.*?)\)\s*$", re.S)
_PLACEHOLDER = re.compile(r"page_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)\.png$")
_RULE = re.compile(r"^(\*\s*){3,}$|^(-\s*){3,}$|^(_\s*){3,}$")
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
_GFM_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_INLINE_TAGS = re.compile(
    r"</?(?:b|i|u|em|strong|sup|sub|span|div|p|s|del|ins|mark|small|font|center|md|html|body|a|code|u)\b[^>]*>", re.I
)
_BR = re.compile(r"<br\s*/?>", re.I)
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
#: Nanonets' semantic tags: each becomes a block of its own.
NANONETS_TAGS = ("img", "watermark", "page_number", "signature")
_MAX_LINES = 200_000  # a runaway answer is read only this far


@dataclass(frozen=True)
class MarkdownDialect:
    """What a family's Markdown may contain beyond the common part."""

    semantic_tags: bool = False  # Nanonets' <img>, <watermark>, <page_number>, <signature>
    figure_placeholders: bool = False  # olmOCR's ![alt](page_x_y_w_h.png): a box in image pixels


def clean_inline(text: str) -> str:
    """Markdown/HTML emphasis and inline tags removed; math and everything else kept."""
    text = _BR.sub("\n", text)
    text = _INLINE_TAGS.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _ITALIC.sub(r"\1", text)
    return text.strip()


def unwrap_fence(raw: str, languages: tuple[str, ...] = ("markdown", "md", "")) -> str:
    """The inside of one ```markdown fence around the whole answer (Infinity-Parser's CLI does
    the same), else the answer unchanged."""
    stripped = raw.strip()
    match = _FENCE.match(stripped)
    if match and match.group(2).lower() in languages:
        body = stripped[match.end():]
        body = body.split("\n", 1)[1] if "\n" in body else ""
        fence = match.group(1)
        if body.rstrip().endswith(fence):
            body = body.rstrip()[: -len(fence)]
        if "```" not in body:  # a fence inside would be a code block, not the wrapper
            return body
    return raw


def read_markdown(raw: str, builder: BlockBuilder, dialect: MarkdownDialect = MarkdownDialect()) -> None:
    """Append the blocks of one Markdown page to ``builder`` (never raises on model output)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if dialect.semantic_tags:
        for tag in NANONETS_TAGS:  # each semantic element on lines of its own
            text = re.sub(rf"<{tag}>", f"\n\n<{tag}>", text, flags=re.I)
            text = re.sub(rf"</{tag}>", f"</{tag}>\n\n", text, flags=re.I)
    _Parser(text.split("\n")[:_MAX_LINES], builder, dialect).run()
    _relabel_captions(builder)


class _Parser:
    def __init__(self, lines: list[str], builder: BlockBuilder, dialect: MarkdownDialect) -> None:
        self.lines = lines
        self.b = builder
        self.dialect = dialect
        self.i = 0
        self.paragraph: list[str] = []
        self.items: list[ListItem] = []
        self.ordered = False
        self.seen_heading = False

    # -- driver -----------------------------------------------------------------------------
    def run(self) -> None:
        while self.i < len(self.lines):
            line = self.lines[self.i]
            s = line.strip()
            if not s:
                self.flush()
                self.i += 1
                continue
            if self.try_fence(s) or self.try_html_table(s) or self.try_math(s) or self.try_tag(s):
                continue
            if self.try_heading(s) or self.try_gfm_table(s) or self.try_image(s):
                continue
            if _RULE.match(s) and not self.paragraph:
                self.flush()
                self.i += 1
                continue
            if self.try_list(line):
                continue
            if self.items and line.startswith(("  ", "\t")):  # continuation of the last item
                self.items[-1].text = f"{self.items[-1].text} {clean_inline(s)}".strip()
                self.i += 1
                continue
            self.flush_list()
            self.paragraph.append(s)
            self.i += 1
        self.flush()

    def flush(self) -> None:
        self.flush_paragraph()
        self.flush_list()

    def flush_paragraph(self) -> None:
        if not self.paragraph:
            return
        text = clean_inline("\n".join(self.paragraph))
        self.paragraph = []
        if text:
            self.b.add(Label.PARAGRAPH, " ".join(text.split("\n")).strip())

    def flush_list(self) -> None:
        if not self.items:
            return
        items, self.items = self.items, []
        self.b.add(Label.LIST, "\n".join(item.text for item in items), items=items, meta={"ordered": self.ordered})

    # -- block kinds ------------------------------------------------------------------------
    def collect_until(self, end: re.Pattern[str], first_rest: str) -> tuple[str, bool]:
        """Lines from the current one until ``end`` matches (inclusive); (body, closed)."""
        parts = [first_rest]
        if end.search(first_rest):
            self.i += 1
            return first_rest, True
        self.i += 1
        while self.i < len(self.lines):
            line = self.lines[self.i]
            parts.append(line)
            self.i += 1
            if end.search(line):
                return "\n".join(parts), True
        return "\n".join(parts), False

    def try_fence(self, s: str) -> bool:
        match = _FENCE.match(s)
        if not match:
            return False
        self.flush()
        fence, lang = match.group(1), match.group(2).lower()
        body: list[str] = []
        self.i += 1
        while self.i < len(self.lines) and not self.lines[self.i].strip().startswith(fence):
            body.append(self.lines[self.i])
            self.i += 1
        self.i += 1  # the closing fence (or the end)
        code = "\n".join(body).strip("\n")
        if lang == "html" and "<table" in code.lower():
            self.add_table(code)
        elif lang in ("markdown", "md"):
            _Parser(body, self.b, self.dialect).run()
        elif lang == "latex" or lang == "tex":
            self.add_formula(code)
        elif code.strip():
            self.b.add(Label.CODE, code, format=lang or None)
        return True

    def try_html_table(self, s: str) -> bool:
        low = s.lower()
        start = low.find("<table")
        if start < 0:
            return False
        self.flush()
        line = self.lines[self.i].strip()
        before = line[:start]
        if before.strip():
            self.b.add(Label.PARAGRAPH, clean_inline(before))
        body, _closed = self.collect_until(re.compile(r"</table\s*>", re.I), line[start:])
        end = re.search(r"</table\s*>", body, re.I)
        after = body[end.end():] if end else ""
        self.add_table(body[: end.end()] if end else body)
        if after.strip():  # text after </table> on the same line: read it as the next line
            self.i -= 1
            self.lines[self.i] = after
        return True

    def add_table(self, markup: str) -> None:
        try:
            soup = BeautifulSoup(markup, "html.parser")
        except Exception:  # noqa: BLE001 - html.parser copes with anything, but never lose the page
            self.b.add(Label.PARAGRAPH, clean_inline(markup))
            return
        table = soup.find("table")
        html, text = read_table(table) if isinstance(table, Tag) else (None, "")
        if html is None:
            return
        self.b.add(Label.TABLE, text, html=html)

    def try_math(self, s: str) -> bool:
        for open_, close in (("$$", r"\$\$\s*$"), ("\\[", r"\\\]\s*$")):
            if not s.startswith(open_):
                continue
            self.flush()
            rest = s[len(open_):]
            if re.search(close, rest):
                body, self.i = rest, self.i + 1
            else:
                body, _ = self.collect_until(re.compile(close), rest)
            latex = re.sub(close, "", body.strip()).strip()
            self.add_formula(latex)
            return True
        return False

    def add_formula(self, latex: str) -> None:
        latex = latex.strip()
        if latex:
            self.b.add(Label.FORMULA, latex, latex=latex)

    def try_tag(self, s: str) -> bool:
        if not self.dialect.semantic_tags:
            return False
        match = re.match(r"<(img|watermark|page_number|signature)>", s, re.I)
        if not match:
            return False
        self.flush()
        name = match.group(1).lower()
        body, _ = self.collect_until(re.compile(rf"</{name}>", re.I), s)
        inner = re.sub(rf"</?{name}>", "", body, flags=re.I)
        content = " ".join(re.sub(r"<[^>]*>", " ", inner).split())  # markup inside (SVG) is not text
        if name == "img":
            meta = {"markup": True} if "<" in inner and not content else {}
            self.b.add(Label.IMAGE, content, meta={"description": content, **meta} if content else meta)
        elif name == "page_number":
            if content:
                self.b.add(Label.PAGE_NUMBER, content)
        elif content:
            self.b.add(Label.PARAGRAPH, content, meta={"role": name})
        return True

    def try_heading(self, s: str) -> bool:
        match = _HEADING.match(s)
        if not match:
            return False
        self.flush()
        level = len(match.group(1))
        text = clean_inline(match.group(2))
        self.i += 1
        if not text:
            return True
        if level == 1 and not self.seen_heading and len(self.b.blocks) <= 2:
            self.b.add(Label.TITLE, text)
        else:
            self.b.add(Label.HEADING, text, level=level)
        self.seen_heading = True
        return True

    def try_gfm_table(self, s: str) -> bool:
        if not s.startswith("|"):
            return False
        self.flush()
        rows: list[str] = []
        while self.i < len(self.lines) and self.lines[self.i].strip().startswith("|"):
            rows.append(self.lines[self.i].strip())
            self.i += 1
        self.add_gfm_table(rows)
        return True

    def add_gfm_table(self, rows: list[str]) -> None:
        cells = []
        header_rows = 0
        for n, row in enumerate(rows):
            if _GFM_SEPARATOR.match(row):
                if n == 1:
                    header_rows = 1
                continue
            body = row.strip()
            body = body[1:] if body.startswith("|") else body
            body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
            cells.append([clean_inline(c.replace("\\|", "|")) for c in re.split(r"(?<!\\)\|", body)])
        if not cells:
            return
        markup = ["<table>"]
        for n, row in enumerate(cells):
            tag = "th" if n < header_rows else "td"
            markup.append("<tr>" + "".join(f"<{tag}>{_escape(c)}</{tag}>" for c in row) + "</tr>")
        markup.append("</table>")
        self.add_table("".join(markup))

    def try_image(self, s: str) -> bool:
        match = _MD_IMAGE.match(s)
        if not match:
            return False
        self.flush()
        self.i += 1
        alt, src = match.group(1).strip(), match.group(2).strip()
        px = None
        if self.dialect.figure_placeholders:
            found = _PLACEHOLDER.search(src)
            if found:
                x, y, w, h = (float(v) for v in found.groups())
                if w > 0 and h > 0:
                    px = (x, y, x + w, y + h)
        meta = {"description": alt} if alt else {}
        self.b.add(Label.IMAGE, alt, px=px, bbox_how="placeholder", meta=meta)
        return True

    def try_list(self, line: str) -> bool:
        match = _LIST_ITEM.match(line)
        if not match:
            return False
        indent, marker, body = match.groups()
        if self.paragraph and not marker[0].isdigit() and marker not in "-*+•":
            return False  # "a) ..." inside running text is not a list
        self.flush_paragraph()
        if not self.items:
            self.ordered = marker[0].isdigit()
        level = len(indent.replace("\t", "    ")) // 2
        self.items.append(ListItem(text=clean_inline(body), level=min(level, 8), marker=marker))
        self.i += 1
        return True


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def _relabel_captions(builder: BlockBuilder) -> None:
    """A "Figure 3: ..." / "Table 2 ..." paragraph next to a picture or table is its caption."""
    blocks = builder.blocks
    for i, block in enumerate(blocks):
        if block.label != Label.PARAGRAPH or not looks_like_caption(block.text):
            continue
        neighbours = [blocks[j] for j in (i - 1, i + 1) if 0 <= j < len(blocks)]
        if any(n.label in CAPTIONED for n in neighbours):
            block.label = Label.CAPTION
