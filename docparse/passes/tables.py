"""Tables continued on the next page, merged into one table.

A table is continued when it is the last body block of its page (footnotes may follow) and the
first body block of the next page is a table with the same number of columns whose left and
right edges (and column x-positions, when the engine records ``meta["column_x"]``) line up, and
no caption of its own. A repeated header row (same cell texts as the first row of the head
table) is dropped from the continuation.

The head table keeps its page and box and gets the merged ``html`` and ``text``; its
``continuation`` lists every page it spans (``pages``), the ids of its continuations
(``part_ids``) and its content before the merge (``own_html`` / ``own_text``, for per-page
renderers). Each continuation stays on its page, with its own box and content, out of
the reading order (``order = None``) and with ``continuation.head_id`` = the head's id.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from docparse.document import Block, Document, Label, Page

from ._common import body, join_continuation

X_TOLERANCE = 0.05  # fraction of the page width two table edges may differ by


def _rows(table: Tag) -> list[Tag]:
    """The table's own rows (not those of nested tables), in document order."""
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _cells(row: Tag) -> list[Tag]:
    return row.find_all(["td", "th"], recursive=False)


def _span(cell: Tag, name: str) -> int:
    try:
        return max(1, int(str(cell.get(name, "1")).strip() or 1))
    except ValueError:
        return 1


def column_count(html: str) -> int | None:
    """Columns of the first table in ``html`` (colspans and rowspans counted), or None."""
    table = BeautifulSoup(html, "html.parser").find("table")
    if not isinstance(table, Tag):
        return None
    best = 0
    carry: dict[int, int] = {}  # column -> rows it is still covered by a rowspan from above
    for row in _rows(table):
        col = 0
        used = {c for c, n in carry.items() if n > 0}
        for cell in _cells(row):
            while col in used:
                col += 1
            span = _span(cell, "colspan")
            for c in range(col, col + span):
                carry[c] = _span(cell, "rowspan")
            col += span
        width = max([col, *(c + 1 for c in used)]) if used or col else 0
        best = max(best, width)
        carry = {c: n - 1 for c, n in carry.items() if n - 1 > 0}
    return best or None


def _row_key(row: Tag) -> list[str]:
    return [re.sub(r"\s+", " ", c.get_text(" ")).strip().lower() for c in _cells(row)]


def merge_html(head_html: str, tail_html: str) -> tuple[str, bool]:
    """The head table with the tail's rows appended; True when a repeated header row was dropped."""
    head_soup = BeautifulSoup(head_html, "html.parser")
    tail_soup = BeautifulSoup(tail_html, "html.parser")
    head = head_soup.find("table")
    tail = tail_soup.find("table")
    assert isinstance(head, Tag) and isinstance(tail, Tag)
    head_rows, tail_rows = _rows(head), _rows(tail)
    dropped = False
    if head_rows and tail_rows and _row_key(head_rows[0]) == _row_key(tail_rows[0]):
        tail_rows = tail_rows[1:]
        dropped = True
    elif head_rows and tail_rows and any(c.name == "th" for c in _cells(head_rows[0])):
        # The head already has its header; a different first row of the continuation is data
        # that the engine took for a header (nothing marks it as such on a continued page).
        for cell in _cells(tail_rows[0]):
            cell.name = "td"
    # Rows go into the head's last row group (its <tbody>, or the table itself).
    bodies = head.find_all("tbody", recursive=False)
    container = bodies[-1] if bodies else head
    for row in tail_rows:  # a tail <thead> row that differs from the head's stays, as a row
        container.append(row.extract())
    return str(head_soup), dropped


def _x_aligned(a: Block, b: Block, page_width: float) -> bool:
    tol = max(12.0, X_TOLERANCE * page_width)
    if abs(a.bbox[0] - b.bbox[0]) > tol or abs(a.bbox[2] - b.bbox[2]) > tol:
        return False
    ca, cb = a.meta.get("column_x"), b.meta.get("column_x")
    if isinstance(ca, list) and isinstance(cb, list) and ca and cb:
        if len(ca) != len(cb):
            return False
        try:
            return all(abs(float(x) - float(y)) <= tol for x, y in zip(ca, cb))
        except (TypeError, ValueError):
            return True
    return True


def tables(doc: Document) -> Document:
    """Merge tables that continue on the next page into their first part."""
    pages = sorted(doc.pages, key=lambda p: p.index)
    captioned = {b.caption_for for p in pages for b in p.blocks if b.caption_for}
    for prev, page in zip(pages, pages[1:]):
        if page.index != prev.index + 1:
            continue  # a page range with a gap: the pages between are unknown
        prev_body = [b for b in body(prev) if b.label != Label.FOOTNOTE]
        # A continuation that is its page's whole body is itself a stub now: look at the head.
        last = _last_table_part(prev, prev_body)
        first = next(iter(body(page)), None)
        if last is None or first is None or first.label != Label.TABLE or first.id in captioned:
            continue
        head = _head(doc, last)
        if not head.html or not first.html:
            continue
        n_head, n_tail = column_count(head.html), column_count(first.html)
        if n_head is None or n_head != n_tail:
            continue
        if not _x_aligned(last, first, page.width):
            continue
        _merge(head, first, page.index)
    return doc


def _last_table_part(prev: Page, prev_body: list[Block]) -> Block | None:
    """The table that ends the page: its last body block, or a continuation stub ending it."""
    if prev_body:
        return prev_body[-1] if prev_body[-1].label == Label.TABLE else None
    stubs = [b for b in prev.blocks if b.label == Label.TABLE and b.is_continuation]
    return stubs[-1] if stubs else None


def _head(doc: Document, block: Block) -> Block:
    head_id = block.continuation.head_id if block.continuation is not None else None
    if head_id is None:
        return block
    for page in doc.pages:
        for b in page.blocks:
            if b.id == head_id:
                return b
    return block


def _merge(head: Block, tail: Block, tail_page: int) -> None:
    assert head.html is not None and tail.html is not None
    record = join_continuation(head, tail, tail_page)
    head.html, dropped = merge_html(head.html, tail.html)
    tail_lines = tail.text.splitlines()
    head_lines = (record.own_text or "").splitlines()
    if dropped and tail_lines and head_lines and tail_lines[0].strip() == head_lines[0].strip():
        tail_lines = tail_lines[1:]
    head.text = "\n".join([head.text, *tail_lines]) if tail_lines else head.text
    tail.meta["header_row_dropped"] = dropped
