"""The generated three-column pages (tests/data/multicol) and what reading them must give back.

Ground truth is the JSON ``make_pages.py`` writes from the same content as the LaTeX source:
the body in reading order (headings, paragraphs, formulas, tables with their row spans).
"""

from __future__ import annotations

import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from docparse.document import Block, Document, Label

DATA = Path(__file__).parent / "data" / "multicol"
PAGES = ("streets", "ferry")


def truth(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def letters(text: str) -> str:
    """Lowercase letters and digits only: hyphenation, spacing and line breaks do not count."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def body(doc: Document) -> list[Block]:
    """Body blocks of the first page in reading order (furniture and joined pieces left out)."""
    return sorted((b for b in doc.pages[0].blocks if b.order is not None), key=lambda b: b.order)


#: letters a line needs to be weighed: an equation number or a formula's piece ("(1)", "d") is
#: no row of prose (the heuristics read formulas and booktabs tables as short text lines)
MIN_LINE_LETTERS = 8


def texts_of(entries: list[dict]) -> list[str]:
    """Letters of every ground-truth text: paragraphs, headings, table cells, formulas."""
    out = []
    for e in entries:
        if "text" in e:
            out.append(letters(e["text"]))
        elif e["kind"] == "table":  # a row of a table read as text is no mix of columns
            for r in range(e["n_rows"]):
                out.append("".join(letters(c["text"]) for c in sorted(e["cells"], key=lambda c: c["col"]) if c["row"] == r))
        elif e["kind"] == "formula":
            out.append(letters(re.sub(r"\\[a-z]+", "", e["latex"])))
    return out


def mixed_lines(doc: Document, entries: list[dict]) -> list[str]:
    """Text lines of the page's text blocks that are no piece of any one ground-truth text: rows
    glued across a gutter, or text of two columns run together."""
    known = texts_of(entries)
    bad = []
    for block in doc.pages[0].blocks:
        if block.label is Label.TABLE or not block.text:
            continue
        for line in block.text.split("\n"):
            if len(letters(line)) >= MIN_LINE_LETTERS and not any(letters(line) in t for t in known):
                bad.append(line)
    return bad


def locate(blocks: list[Block], entry: dict) -> int | None:
    """Index in ``blocks`` of the block holding a ground-truth entry (None: no block does)."""
    kind = entry["kind"]
    for i, block in enumerate(blocks):
        if kind == "table" and block.label is Label.TABLE:
            if grid_cells(block.html or "") == truth_cells(entry):
                return i
        elif kind in ("heading", "title") and block.label.value == kind:
            if letters(block.text) == letters(entry["text"]):
                return i
        elif kind == "paragraph" and block.label is Label.PARAGRAPH:
            if letters(entry["text"]) in letters(block.text):
                return i
            # a paragraph the column break cut after a full stop: its two pieces, one after the other
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if nxt is not None and nxt.label is Label.PARAGRAPH and letters(entry["text"]) == letters(block.text + nxt.text):
                return i
    return None


def reading_positions(doc: Document, entries: list[dict]) -> list[int | None]:
    """For each ground-truth entry, the reading position of the block holding it."""
    blocks = body(doc)
    formulas = iter([i for i, b in enumerate(blocks) if b.label is Label.FORMULA])
    out: list[int | None] = []
    for entry in entries:  # (formulas have no text to match: the page's formulas, in turn)
        out.append(next(formulas, None) if entry["kind"] == "formula" else locate(blocks, entry))
    return out


def truth_cells(entry: dict) -> set[tuple[int, int, int, str]]:
    return {(c["row"], c["col"], c["rowspan"], letters(c["text"])) for c in entry["cells"]}


class _Grid(HTMLParser):
    """Cells of an HTML table as (row, column, rowspan, text), columns counted past row spans."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[int, int, int, str]] = []
        self.row = -1
        self.col = 0
        self.taken: set[tuple[int, int]] = set()
        self.current: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.row += 1
            self.col = 0
        elif tag in ("td", "th"):
            while (self.row, self.col) in self.taken:
                self.col += 1
            a = dict(attrs)
            self.current = [self.row, self.col, int(a.get("rowspan") or 1), int(a.get("colspan") or 1), ""]

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current[4] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.current is not None:
            r, c, rs, cs, text = self.current
            for dr in range(rs):
                for dc in range(cs):
                    self.taken.add((r + dr, c + dc))
            if letters(text):
                self.cells.append((r, c, rs, letters(text)))
            self.col = c + cs
            self.current = None


def grid_cells(html: str) -> set[tuple[int, int, int, str]]:
    parser = _Grid()
    parser.feed(html)
    return set(parser.cells)
