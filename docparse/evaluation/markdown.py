"""Markdown -> items: headings (#), tables (pipes or HTML), display formulas ($$), paragraphs.

Used for predictions (pymupdf4llm, a docparse Markdown export) and for ground truth written as
Markdown (MinerU PDF-bench, OmniDocBench ``mds/``, docling ``.md``). One list item or one
paragraph is one text item; pipe tables become HTML so TEDS can compare them.
"""

from __future__ import annotations

import html
import re

from docparse.evaluation.types import Item

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# pymupdf4llm's notes about pictures are not document text
_NOISE = re.compile(
    r"intentionally omitted|^\s*\**-+ (?:Start|End) of picture text -+\**\s*$", re.I
)
_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def plain_text(md: str) -> str:
    """Inline Markdown -> text: no emphasis marks, link targets, images, code ticks or <br>."""
    s = _IMAGE.sub(" ", md)
    s = _LINK.sub(r"\1", s)
    s = re.sub(r"<br\s*/?>", " ", s, flags=re.I)
    s = s.replace("**", "").replace("__", "").replace("`", "")
    s = re.sub(r"(?<![\w\\])[*_]|[*_](?![\w])", "", s)  # *x* / _x_ emphasis, not snake_case
    return s.strip()


def pipe_table_to_html(lines: list[str]) -> str:
    """A GFM pipe table -> ``<table>`` HTML (header row as <th>, cell text escaped)."""
    rows = []
    for line in lines:
        if _SEPARATOR_ROW.match(line):
            continue
        body = line.strip()
        if body.startswith("|"):
            body = body[1:]
        if body.endswith("|"):
            body = body[:-1]
        cells = [plain_text(c) for c in re.split(r"(?<!\\)\|", body)]
        rows.append(cells)
    out = ["<table>"]
    for r, cells in enumerate(rows):
        tag = "th" if r == 0 and len(lines) > 1 and _SEPARATOR_ROW.match(lines[1]) else "td"
        out.append("<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def table_text(table_html: str) -> str:
    """The words of an HTML table, cell by cell."""
    return html.unescape(re.sub(r"<[^>]+>", " ", table_html))


def markdown_to_items(md: str) -> list[Item]:
    """Split Markdown into items in document order."""
    items: list[Item] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            text = plain_text(" ".join(para))
            if text:
                items.append(Item("text", text=text, label="text"))
            para.clear()

    lines = md.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):  # fenced code: its lines are one text item
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            code = "\n".join(lines[i + 1 : j]).strip()
            if code:
                items.append(Item("text", text=code, label="code"))
            i = j + 1
            continue
        if stripped.startswith("$$") or stripped.startswith("\\["):
            flush()
            close = "$$" if stripped.startswith("$$") else "\\]"
            body = stripped[2:]
            j = i
            while close not in body and j + 1 < len(lines):
                j += 1
                body += "\n" + lines[j].strip()
            latex = body.split(close)[0].strip()
            items.append(Item("formula", text=latex, label="formula"))
            i = j + 1
            continue
        if stripped.lower().startswith("<table"):
            flush()
            j = i
            chunk = line
            while "</table>" not in chunk.lower() and j + 1 < len(lines):
                j += 1
                chunk += "\n" + lines[j]
            items.append(Item("table", text=table_text(chunk), html=chunk, label="table"))
            i = j + 1
            continue
        if stripped.startswith("|"):
            flush()
            j = i
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            table_html = pipe_table_to_html(lines[i:j])
            items.append(Item("table", text=table_text(table_html), html=table_html, label="table"))
            i = j
            continue
        m = _HEADING.match(stripped)
        if m:
            flush()
            text = plain_text(m.group(2))
            if text:
                items.append(Item("heading", text=text, level=len(m.group(1)), label="heading"))
        elif not stripped or _RULE.match(stripped) or _NOISE.search(stripped):
            flush()
        elif _LIST_ITEM.match(line):
            flush()
            para.append(_LIST_ITEM.sub("", line, count=1))
            flush()
        else:
            para.append(stripped)
        i += 1
    flush()
    return items
