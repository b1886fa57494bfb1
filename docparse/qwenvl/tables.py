"""Table markup from model output, rebuilt through a strict allowlist.

Only ``table/thead/tbody/tr/th/td`` are written back, with ``rowspan``/``colspan`` (positive
integers) as the only attributes; cell content becomes escaped plain text. Nothing of the input's
serialisation survives, so no script, event handler, style or link can pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from bs4 import BeautifulSoup, NavigableString, Tag

from docparse.qwenvl.markup import element_text

_MAX_SPAN = 1000
_MAX_DEPTH = 100


@dataclass
class Cell:
    header: bool
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Section:
    name: str | None  # "thead", "tbody" or None (rows straight under <table>)
    rows: list[list[Cell]] = field(default_factory=list)


def read_table(table: Tag) -> tuple[str | None, str]:
    """(sanitized table html or None when it has no cell, cell text: tabs between cells, rows on lines)."""
    sections: list[Section] = []
    _read_rows(table, sections, None, 0)
    sections = [s for s in sections if s.rows]
    if not any(cell for s in sections for row in s.rows for cell in row):
        return None, ""
    return _table_html(sections), _table_text(sections)


def sanitize_table_html(html: str | None) -> str | None:
    """Any table markup -> the allowlisted canonical form (idempotent), or None without a table."""
    if not html:
        return None
    try:
        soup = BeautifulSoup(html, "lxml")
    except Exception:  # pragma: no cover - lxml missing
        soup = BeautifulSoup(html, "html.parser")
    table = soup.find("table")
    if not isinstance(table, Tag):
        return None
    return read_table(table)[0]


def table_sections(html: str | None) -> list[Section]:
    """The rows of a table's markup (any form), for code that rewrites cells (``verify``)."""
    if not html:
        return []
    soup = BeautifulSoup(html, "lxml")
    table = soup.find("table")
    if not isinstance(table, Tag):
        return []
    sections: list[Section] = []
    _read_rows(table, sections, None, 0)
    return [s for s in sections if s.rows]


def write_table(sections: list[Section]) -> tuple[str, str]:
    """(allowlisted table html, cell text) of rows from ``table_sections``."""
    return _table_html(sections), _table_text(sections)


def _section(sections: list[Section], name: str | None) -> Section:
    if not sections or sections[-1].name != name:
        sections.append(Section(name))
    return sections[-1]


def _read_rows(node: Tag, sections: list[Section], name: str | None, depth: int) -> None:
    """Collect rows under ``node``; cells outside a row make an implicit row."""
    if depth > _MAX_DEPTH:
        return
    loose: list[Cell] = []
    for child in node.children:
        if isinstance(child, NavigableString) or not isinstance(child, Tag):
            continue
        tag = (child.name or "").lower()
        if tag in ("td", "th"):
            loose.append(_cell(child))
            continue
        if loose:
            _section(sections, name).rows.append(loose)
            loose = []
        if tag == "tr":
            _section(sections, name).rows.append(
                [_cell(c) for c in child.children if isinstance(c, Tag) and (c.name or "").lower() in ("td", "th")]
            )
        elif tag in ("thead", "tbody", "tfoot"):
            _read_rows(child, sections, "thead" if tag == "thead" else "tbody", depth + 1)
        elif tag in ("table", "caption", "colgroup", "col", "style", "script"):
            continue  # nested tables live inside cells only; captions are separate blocks
        else:
            _read_rows(child, sections, name, depth + 1)  # wrappers a parser left around rows
    if loose:
        _section(sections, name).rows.append(loose)


def _span(value: object) -> int:
    text = " ".join(value) if isinstance(value, list) else str(value or "")
    text = text.strip()
    if not text.isdigit() or len(text) > 4:
        return 1
    return max(1, min(int(text), _MAX_SPAN))


def _cell(node: Tag) -> Cell:
    return Cell(
        header=(node.name or "").lower() == "th",
        text=element_text(node),
        rowspan=_span(node.get("rowspan")),
        colspan=_span(node.get("colspan")),
    )


def _table_html(sections: list[Section]) -> str:
    out = ["<table>"]
    for section in sections:
        if section.name:
            out.append(f"<{section.name}>")
        for row in section.rows:
            out.append("<tr>")
            for cell in row:
                tag = "th" if cell.header else "td"
                attrs = ""
                if cell.rowspan > 1:
                    attrs += f' rowspan="{cell.rowspan}"'
                if cell.colspan > 1:
                    attrs += f' colspan="{cell.colspan}"'
                out.append(f"<{tag}{attrs}>{escape(cell.text, quote=False)}</{tag}>")
            out.append("</tr>")
        if section.name:
            out.append(f"</{section.name}>")
    out.append("</table>")
    return "".join(out)


def _table_text(sections: list[Section]) -> str:
    rows = ["\t".join(cell.text for cell in row) for s in sections for row in s.rows]
    if not any(cell.text for s in sections for row in s.rows for cell in row):
        return ""
    return "\n".join(rows)


def table_from_text(text: str) -> str | None:
    """A plain table (rows on lines, cells split by tabs) -> table html, for blocks without html."""
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not rows:
        return None
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(' '.join(c.split()), quote=False)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table>{body}</table>"
