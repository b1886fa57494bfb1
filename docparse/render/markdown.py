"""Markdown output (CommonMark + GFM tables).

Headings by level, paragraphs, nested lists, GFM pipe tables for tables without merged cells
(the sanitized HTML table otherwise), ``$$…$$`` display formulas, fenced code, image links (to
the crops ``docparse.output.assets`` writes, or data URIs of them), captions in italics next to
their figure. Page furniture is left out unless ``furniture=True``.

PDF text is escaped where it would change the structure (a leading ``#`` or ``1.``, emphasis
markers, brackets, raw HTML, ``|`` in table cells), so text reads back as the same text.

Pure: a ``Document`` in, a string out; no file is read or written.
"""

from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import quote

from bs4 import BeautifulSoup

from docparse.document import Block, Document, Label
from docparse.render.sanitize import sanitize_table
from docparse.render.structure import (
    AttachedCaption,
    ListNode,
    attach_captions,
    caption_ids,
    is_ordered,
    list_items,
    list_tree,
    marker_number,
    plan_page,
)

# What can change inline structure, escaped only where it can (so "snake_case", "a < b",
# "C:\\path" and "[1]" stay as they are):
_INLINE_SPECIAL = re.compile(
    r"[`*~]"  # code spans, emphasis, strikethrough: anywhere
    r"|\\(?=[!-/:-@\[-`{-~]|$)"  # a backslash that would escape the next character or break the line
    r"|(?<![^\W_])_|_(?![^\W_])"  # "_" that is not inside a word
    r"|\](?=[(\[:])"  # "]" that would close a link, a reference or a definition
    r"|<(?=[A-Za-z/!?])"  # "<" that would open a tag, comment or autolink
    r"|&(?=#?\w+;)"  # "&" that would start an entity
)
_TABLE_DELIMITER = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?$|^\|\s*:?-+:?\s*\|$")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_SPACES = re.compile(r"\s+")
# Both start only where a run starts (the lookbehind): started anywhere inside a long run of
# "#" or of spaces they would rescan the rest of the run each time, quadratic in its length.
_CLOSING_HASHES = re.compile(r"(?<!#)#+$")
_LINE_BREAK_SPACE = re.compile(r"(?<!\s)\s*\n\s*")


def render_markdown(
    doc: Document,
    furniture: bool = False,
    images: Mapping[str, str] | None = None,
    page_separators: bool = False,
) -> str:
    """The document as Markdown.

    ``images``: block id -> the link target of its picture (a relative path to its crop, or a
    ``data:image/png;base64,`` URI of docparse's own crop); image and chart blocks without one
    keep their text and captions. ``page_separators``: an ``<!-- page N -->`` comment (1-based)
    before each page."""
    attached = attach_captions(doc)
    skip = caption_ids(attached)
    images = images or {}
    parts: list[str] = []
    for page in doc.pages:
        plan = plan_page(page)
        if page_separators:
            parts.append(f"<!-- page {page.index + 1} -->")
        blocks = (plan.top if furniture else []) + plan.body + (plan.bottom if furniture else [])
        for block in blocks:
            if block.label == Label.CAPTION and block.id in skip:
                continue  # drawn with its figure / table
            parts.extend(_with_captions(block, attached.get(block.id, []), images.get(block.id)))
    text = "\n\n".join(p for p in parts if p.strip())
    return text + "\n" if text else ""


def _with_captions(block: Block, captions: list[AttachedCaption], image: str | None) -> list[str]:
    figure_like = block.label in (Label.IMAGE, Label.CHART)
    before = [c.block for c in captions if c.before and not figure_like]
    after = [c.block for c in captions if not (c.before and not figure_like)]
    alt = " ".join(_one_line(c.block.text) for c in captions if c.block.text.strip())
    if not alt and figure_like and block.meta.get("description"):  # a model's description of the picture
        alt = _one_line(str(block.meta["description"]))[:300]
    alt = alt or "Figure"
    return [
        *(_caption(c) for c in before),
        render_block(block, image=image, alt=alt),
        *(_caption(c) for c in after),
    ]


def render_block(block: Block, image: str | None = None, alt: str = "Figure") -> str:
    """One block as Markdown ("" when it has nothing to show); ``image``: the link target of an
    image or chart block's picture."""
    label = block.label
    if label == Label.TITLE:
        return _heading(1, block.text)
    if label == Label.HEADING:
        return _heading(block.level or 2, block.text)
    if label == Label.LIST:
        return "\n".join(_list_lines(list_tree(list_items(block)), ""))
    if label == Label.TABLE:
        return _table(block)
    if label in (Label.IMAGE, Label.CHART):
        return _figure(block, image, alt)
    if label == Label.FORMULA:
        return _formula(block.latex or block.text, block.meta.get("equation_number"))
    if label == Label.CODE:
        return _fenced(block.text, "")
    if label == Label.MUSIC:
        return _fenced(block.text, "abc")
    if label == Label.CHEMISTRY:
        return _fenced(block.text, "smiles")
    if label == Label.CAPTION:
        return _caption(block)
    return escape_text(block.text)  # paragraph, footnote, furniture


# -- text ----------------------------------------------------------------------------------------


def escape_inline(text: str) -> str:
    """Backslash-escape characters that would start emphasis, code, links, raw HTML or
    entities anywhere in a line."""
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def escape_line(line: str) -> str:
    """One line of plain text, escaped inline and at its start (headings, quotes, list markers,
    setext underlines, indented code)."""
    line = escape_inline(line.strip())
    if not line:
        return ""
    if "|" in line and _TABLE_DELIMITER.match(line):  # would turn the line above into a table
        line = line.replace("|", "\\|")
    if line[0] in "#>+-=":
        return "\\" + line
    return _ORDERED_START.sub(r"\1\\\2", line)


def escape_text(text: str) -> str:
    """Plain text as one Markdown paragraph: its lines kept (as soft breaks), blank lines dropped
    (they would split the paragraph)."""
    return "\n".join(e for e in (escape_line(line) for line in text.splitlines()) if e)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _heading(level: int, text: str) -> str:
    body = escape_inline(_one_line(text))  # a heading's text is inline: no line-start escapes
    if not body:
        return ""
    body = _CLOSING_HASHES.sub(lambda m: "\\#" * len(m.group()), body)  # a trailing #s is a closing sequence
    return "#" * min(max(int(level), 1), 6) + " " + body


def _caption(block: Block) -> str:
    text = escape_inline(_one_line(block.text))  # inside *…*, so nothing is at a line start
    return f"*{text}*" if text else ""


# -- lists ---------------------------------------------------------------------------------------


def _list_lines(nodes: list[ListNode], indent: str) -> list[str]:
    lines: list[str] = []
    ordered = is_ordered(nodes)
    for node in nodes:
        marker = f"{marker_number(node.item.marker)}." if ordered else "-"
        text = escape_line(_one_line(node.item.text))
        lines.append(f"{indent}{marker} {text}".rstrip())
        lines.extend(_list_lines(node.children, indent + " " * (len(marker) + 1)))
    return lines


# -- tables, figures, formulas, code ---------------------------------------------------------


def _table(block: Block) -> str:
    if not block.html:
        return escape_text(block.text)
    rows = table_rows(block.html)
    if rows is None:  # merged cells or nested tables: GFM cannot say it, HTML can
        html = sanitize_table(block.html)
        return _LINE_BREAK_SPACE.sub(" ", html).strip() or escape_text(block.text)
    if not rows:
        return escape_text(block.text)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = [_pipe_row(rows[0]), "| " + " | ".join(["---"] * width) + " |"]
    lines.extend(_pipe_row(r) for r in rows[1:])
    return "\n".join(lines)


def table_rows(html: str) -> list[list[str]] | None:
    """Cell texts row by row, or None when the table has merged cells or nested tables."""
    soup = BeautifulSoup(html, "html.parser")
    table = soup.find("table") or soup
    if table.find("table") is not None:
        return None
    rows: list[list[str]] = []
    for tr in table.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        for cell in cells:
            if _span(cell.get("rowspan")) > 1 or _span(cell.get("colspan")) > 1:
                return None
        if cells:
            rows.append([_one_line(cell.get_text(" ")) for cell in cells])
    return rows


def has_merged_cells(html: str) -> bool:
    return table_rows(html) is None


def _span(value: object) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 1


def _pipe_row(cells: list[str]) -> str:
    return "| " + " | ".join(escape_inline(c).replace("|", "\\|") for c in cells) + " |"


def _figure(block: Block, image: str | None, alt: str) -> str:
    parts: list[str] = []
    if image is not None:
        url = quote(image, safe="/._-~:@!$&'*+,;=")  # a data URI's characters are all safe
        label = re.sub(r"([\\\[\]])", r"\\\1", _one_line(alt)) or "Figure"
        parts.append(f"![{label}]({url})")
    if block.label == Label.CHART and block.html:
        parts.append(_table(block))  # the chart's data, when the engine read it as a table
    elif image is None and block.text.strip():
        parts.append(escape_text(block.text))  # no picture to link: keep the words (as the HTML does)
    return "\n\n".join(p for p in parts if p)


def _formula(latex: str, number: object = None) -> str:
    """A display formula; its equation number, "(1)", as ``\\tag{1}`` (MathJax and KaTeX)."""
    body = latex.strip()
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("$", "$")):
        if len(body) > len(left) + len(right) and body.startswith(left) and body.endswith(right):
            body = body[len(left) : -len(right)].strip()
            break
    body = "\n".join(line for line in body.splitlines() if line.strip())
    tag = re.sub(r"[^0-9A-Za-z.]", "", str(number or ""))  # "(1)" -> "1"; nothing else gets in
    if body and tag:
        body += f" \\tag{{{tag}}}"
    return f"$$\n{body}\n$$" if body else ""


def _fenced(text: str, info: str) -> str:
    body = text.strip("\n")
    if not body.strip():
        return ""
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"
