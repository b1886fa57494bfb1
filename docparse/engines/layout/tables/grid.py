"""Tables: a grid of cells (with row/column spans) from PyMuPDF, rendered as safe HTML.

Two sources of cells:
- ``page.find_tables()`` for ruled tables: merged cells come back as one box covering several
  grid positions, so spans are computed from where each box starts and ends on the grid;
- the layout model's table structure (``table_cells`` with row/col start and end), used when
  ``find_tables`` finds nothing in the model's table region.

Cell text is taken from the page's words inside each cell box, not from the model (whose text
has broken spacing). The HTML is built here from escaped text only: no attributes except
rowspan/colspan, so nothing from the PDF can inject markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Iterable

from docparse.engines.layout.params import CELL_GAP_EM
from docparse.engines.layout.tables.split import row_cells, text_rows
from docparse.engines.layout.tables.stacked import Slot, unstack_rows
from docparse.geometry import BBox, centre_in, union_box


@dataclass
class Cell:
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    text: str = ""
    bbox: BBox | None = None


@dataclass
class Table:
    bbox: BBox
    cells: list[Cell]
    n_rows: int
    n_cols: int
    header_rows: int = 1

    @property
    def html(self) -> str:
        return table_html(self.cells, self.n_rows, self.n_cols, self.header_rows)

    @property
    def text(self) -> str:
        """Rows as lines, cells separated by " | " (a plain-text fallback for any consumer)."""
        rows: dict[int, list[Cell]] = {}
        for c in self.cells:
            rows.setdefault(c.row, []).append(c)
        lines = []
        for r in sorted(rows):
            lines.append(" | ".join(c.text for c in sorted(rows[r], key=lambda c: c.col)))
        return "\n".join(lines)


def table_html(cells: list[Cell], n_rows: int, n_cols: int, header_rows: int = 1) -> str:
    """``<table>`` markup for a grid; positions no cell covers become empty ``<td>``."""
    start = {(c.row, c.col): c for c in cells}
    covered: set[tuple[int, int]] = set()
    for c in cells:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                if (r, k) != (c.row, c.col):
                    covered.add((r, k))
    out = ["<table>"]
    for r in range(n_rows):
        tag = "th" if r < header_rows and n_rows > 1 else "td"
        row = ["<tr>"]
        for k in range(n_cols):
            if (r, k) in covered:
                continue
            cell = start.get((r, k))
            if cell is None:
                row.append(f"<{tag}></{tag}>")
                continue
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            text = html.escape(cell.text).replace("\n", "<br>")
            row.append(f"<{tag}{attrs}>{text}</{tag}>")
        row.append("</tr>")
        out.append("".join(row))
    out.append("</table>")
    return "".join(out)


# -- grids from cell boxes ------------------------------------------------------------------------


def _boundaries(values: Iterable[float], tol: float) -> list[float]:
    """Sorted distinct values, merging those closer than ``tol``."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(bounds: list[float], value: float, tol: float) -> int:
    """Index of the boundary nearest ``value``."""
    best = min(range(len(bounds)), key=lambda i: abs(bounds[i] - value))
    return best


def grid_from_boxes(boxes: list[BBox], words: list[tuple], bbox: BBox, tol: float = 2.0) -> Table | None:
    """A table from cell boxes (merged cells are single boxes spanning several grid positions)."""
    boxes = list(dict.fromkeys(tuple(round(v, 2) for v in b) for b in boxes if b is not None))
    if not boxes:
        return None
    xs = _boundaries([b[0] for b in boxes] + [max(b[2] for b in boxes)], tol)
    ys = _boundaries([b[1] for b in boxes] + [max(b[3] for b in boxes)], tol)
    n_cols, n_rows = len(xs) - 1, len(ys) - 1
    if n_cols < 1 or n_rows < 1:
        return None
    cells: list[Cell] = []
    taken: set[tuple[int, int]] = set()
    for b in sorted(boxes, key=lambda b: (b[1], b[0])):
        c0, c1 = _index(xs, b[0], tol), _index(xs, b[2], tol)
        r0, r1 = _index(ys, b[1], tol), _index(ys, b[3], tol)
        if c1 <= c0 or r1 <= r0 or (r0, c0) in taken:
            continue
        slots = {(r, k) for r in range(r0, r1) for k in range(c0, c1)}
        if slots & taken:  # overlapping boxes: keep the first, shrink to one slot
            slots = {(r0, c0)}
            r1, c1 = r0 + 1, c0 + 1
        taken |= slots
        cells.append(Cell(r0, c0, r1 - r0, c1 - c0, words_text(words, b), b))  # type: ignore[arg-type]
    return Table(bbox=bbox, cells=cells, n_rows=n_rows, n_cols=n_cols)


def words_text(words: list[tuple], box: BBox) -> str:
    """Text of the words whose centre lies in ``box``, lines kept as rows."""
    return join_words([w for w in words if _holds(box, w)])


def _holds(box: BBox, w: tuple) -> bool:
    return box[0] - 1 <= (w[0] + w[2]) / 2 <= box[2] + 1 and box[1] - 1 <= (w[1] + w[3]) / 2 <= box[3] + 1


def words_per_box(words: list[tuple], boxes: list[BBox | None]) -> list[list[tuple]]:
    """Each word given to one box only: the smallest holding its centre (model cells overlap,
    and a word read into two cells duplicates text)."""
    out: list[list[tuple]] = [[] for _ in boxes]
    areas = [(b[2] - b[0]) * (b[3] - b[1]) if b is not None else 0.0 for b in boxes]
    for w in words:
        holders = [i for i, b in enumerate(boxes) if b is not None and _holds(b, w)]
        if holders:
            out[min(holders, key=lambda i: areas[i])].append(w)
    return out


def join_words(inside: list[tuple]) -> str:
    """Words as text, lines kept as rows."""
    if not inside:
        return ""
    inside.sort(key=lambda w: (w[5], w[6], w[7]) if len(w) >= 8 else (w[1], w[0]))
    rows: list[list[tuple]] = []
    for w in inside:
        if rows and abs(((rows[-1][-1][1] + rows[-1][-1][3]) / 2) - ((w[1] + w[3]) / 2)) < 0.5 * (w[3] - w[1]):
            rows[-1].append(w)
        else:
            rows.append([w])
    return "\n".join(" ".join(str(w[4]) for w in sorted(r, key=lambda w: w[0])) for r in rows).strip()


# -- the two sources ------------------------------------------------------------------------------


def find_table(page: Any, clip: BBox | None, words: list[tuple]) -> list[Table]:
    """Ruled tables found by ``page.find_tables`` (inside ``clip`` when given)."""
    try:
        kwargs: dict[str, Any] = {"use_layout": False}  # line-based only: we ran the model already
        if clip is not None:
            kwargs["clip"] = tuple(clip)
        found = page.find_tables(**kwargs)
    except Exception:  # find_tables raises on odd vector graphics; no table is a fine answer
        return []
    tables = []
    for tab in found.tables:
        boxes = [tuple(c) for c in tab.cells if c is not None]
        table = grid_from_boxes(boxes, words, tuple(tab.bbox))  # type: ignore[arg-type]
        if table is not None and table.n_rows * table.n_cols >= 2:
            if not getattr(getattr(tab, "header", None), "external", False):
                table.header_rows = 1
            tables.append(table)
    return tables


def model_table(region: dict, words: list[tuple], clip: BBox | None = None, unstack: bool = True) -> Table | None:
    """A table from the layout model's ``table_cells`` (row/col start and end per cell).

    With ``clip``, only the cells whose box centre lies in it, renumbered from row and column 0
    (one table of several the model's box holds).
    """
    infos = region.get("table_cells") or []
    raw_boxes = region.get("bboxes") or []
    if not infos:
        return None
    placed = []
    for info in infos:
        idx = getattr(info, "bbox_idx", None)
        box = tuple(raw_boxes[idx]) if idx is not None and 0 <= idx < len(raw_boxes) else None
        if clip is not None and (box is None or not centre_in(box, clip)):  # type: ignore[arg-type]
            continue
        placed.append((info, box))
    if not placed:
        return None
    row_of = _renumber([int(i.row_start) for i, _ in placed], clip is not None)
    col_of = _renumber([int(i.col_start) for i, _ in placed], clip is not None)
    own = words_per_box(words, [box for _, box in placed])  # type: ignore[misc]
    slots = []
    for (info, box), mine in zip(placed, own):
        r0, r1 = row_of(int(info.row_start), int(info.row_end))
        c0, c1 = col_of(int(info.col_start), int(info.col_end))
        text = join_words(list(mine)) if box else ""
        if not text and not (box and any(_holds(box, w) for w in words)):  # no text layer here: the model's
            text = " ".join(str(info.text or "").split())
        slots.append(Slot(r0, r1, c0, c1, box, text, list(mine)))  # type: ignore[arg-type]
    if unstack:  # rows the model ran together beside a row-spanning cell
        slots = unstack_rows(slots)
    cells: dict[tuple[int, int], Cell] = {}
    cell_words: dict[tuple[int, int], list[tuple]] = {}
    n_rows = n_cols = 0
    for slot in slots:
        r0, r1, c0, c1, box, text, mine = slot.row0, slot.row1, slot.col0, slot.col1, slot.box, slot.text, slot.words
        key = (r0, c0)
        if key in cells:  # two pieces of text landed in one grid slot: keep both, each word once
            cell = cells[key]
            if box is not None and cell.bbox is not None:
                cell.bbox = union_box([cell.bbox, box])  # type: ignore[arg-type]
                cell_words[key] += mine
                cell.text = join_words(cell_words[key]) or (cell.text + " " + text).strip()
            elif text and text not in cell.text:
                cell.text = (cell.text + " " + text).strip()
            continue
        cells[key] = Cell(r0, c0, r1 - r0, c1 - c0, text, box)  # type: ignore[arg-type]
        cell_words[key] = list(mine)
        n_rows, n_cols = max(n_rows, r1), max(n_cols, c1)
    cleaned = _drop_overlaps(list(cells.values()))
    bbox = tuple(clip) if clip is not None else tuple(region["group_bbox"][:4])
    return Table(bbox=bbox, cells=cleaned, n_rows=n_rows, n_cols=n_cols)  # type: ignore[arg-type]


def model_columns(region: dict) -> list[float]:
    """Where each of the layout model's table columns starts (after the first): the leftmost
    edge of its one-column cells."""
    starts: dict[int, float] = {}
    boxes = region.get("bboxes") or []
    for info in region.get("table_cells") or []:
        idx = getattr(info, "bbox_idx", None)
        col = int(getattr(info, "col_start", 0))
        if idx is None or not 0 <= idx < len(boxes) or col < 1 or int(getattr(info, "col_end", col + 1)) != col + 1:
            continue
        starts[col] = min(starts.get(col, float("inf")), float(boxes[idx][0]))
    return [starts[c] for c in sorted(starts)]


def _renumber(starts: list[int], compact: bool) -> Any:
    """Map (start, end) grid positions onto the positions actually used, from 0, no gaps
    (``compact``), or keep them as they are (end at least start + 1)."""
    used = sorted(set(starts))
    index = {v: i for i, v in enumerate(used)}

    def span(start: int, end: int) -> tuple[int, int]:
        if not compact:
            return start, max(end, start + 1)
        first = index[start]
        last = sum(1 for v in used if v < max(end, start + 1))
        return first, max(last, first + 1)

    return span


def _drop_overlaps(cells: list[Cell]) -> list[Cell]:
    """Shrink spans that run into another cell's slot, so the grid stays well formed."""
    starts = {(c.row, c.col) for c in cells}
    for c in cells:
        for r in range(c.row, c.row + c.rowspan):
            if r != c.row and (r, c.col) in starts:
                c.rowspan = r - c.row
                break
        for k in range(c.col, c.col + c.colspan):
            if k != c.col and (c.row, k) in starts:
                c.colspan = k - c.col
                break
    out: list[Cell] = []
    taken: set[tuple[int, int]] = set()
    for c in sorted(cells, key=lambda c: (c.row, c.col)):
        slots = {(r, k) for r in range(c.row, c.row + c.rowspan) for k in range(c.col, c.col + c.colspan)}
        if (c.row, c.col) in taken:
            continue
        if slots & taken:
            c.rowspan = c.colspan = 1
            slots = {(c.row, c.col)}
        taken |= slots
        out.append(c)
    return out


def word_grid(bbox: BBox, words: list[tuple]) -> Table | None:
    """A table from word positions alone (no rules, no model cells): rows are text rows, cells
    are split at gaps of CELL_GAP_EM word heights, columns are where the fullest rows' cells line up."""
    inside = [w for w in words if centre_in(tuple(w[:4]), bbox)]  # type: ignore[arg-type]
    if not inside:
        return None
    gap = CELL_GAP_EM * sorted(w[3] - w[1] for w in inside)[len(inside) // 2]
    rows = [row_cells(r, gap) for r in text_rows(inside)]
    most = max(len(r) for r in rows)
    spans = sorted((min(w[0] for w in c), max(w[2] for w in c)) for r in rows if len(r) >= max(2, most - 1) for c in r)
    columns: list[list[float]] = []
    for x0, x1 in spans:  # overlapping cells of the fullest rows share a column
        if columns and x0 <= columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    if len(columns) < 2:
        return None
    cells: dict[tuple[int, int], Cell] = {}
    for i, row in enumerate(rows):
        for c in row:
            x0, x1 = min(w[0] for w in c), max(w[2] for w in c)
            hit = [k for k, (a, b) in enumerate(columns) if x0 < b and x1 > a]
            if not hit:  # in a gap between columns: the nearest one
                mid = (x0 + x1) / 2
                hit = [min(range(len(columns)), key=lambda k: abs((columns[k][0] + columns[k][1]) / 2 - mid))]
            key = (i, hit[0])
            text = join_words(list(c))
            if key in cells:
                cells[key].text = (cells[key].text + " " + text).strip()
                continue
            box = (x0, min(w[1] for w in c), x1, max(w[3] for w in c))
            cells[key] = Cell(i, hit[0], 1, hit[-1] - hit[0] + 1, text, box)
    return Table(bbox=bbox, cells=_drop_overlaps(list(cells.values())), n_rows=len(rows), n_cols=len(columns))
