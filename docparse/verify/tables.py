"""Refill a model table's cells from the page's words, keeping the model's rows, columns and spans.

QwenVL tables carry no cell boxes, so they are inferred: the cells' keys (row by row) are
matched against the table's words (one token alignment); each matched word tells where its
cell's column and row lie. Column and row bands are the spans of those words, split halfway
between neighbours; a cell's box is its columns' band x its rows' band (spans included). A cell
then takes the words inside its box. Page order need not be row order (a cell of two lines is
read line by line across the whole row), which is why the words are placed by geometry.

The refill is kept only when it brings the table's words and the cells' words closer (compared
as bags of keys, since a table's reading order is the model's): a model that lost a merged cell
has a shifted grid, and its refill would be worse than its own reading.
"""

from __future__ import annotations

from collections import Counter

from docparse.document import Block
from docparse.qwenvl.tables import Cell, table_sections, write_table
from docparse.verify.align import Alignment, agreement, match_tokens
from docparse.verify.words import PageWords, keys


def refill_table(block: Block, words: PageWords, al: Alignment) -> bool:
    """Rewrite ``block.html``/``block.text`` cell by cell from the words of ``al``; True if changed."""
    sections = table_sections(block.html)
    cells = [cell for s in sections for row in s.rows for cell in row]
    if not cells or not al.words:
        return False
    grid = _grid([row for s in sections for row in s.rows])
    chosen = sorted(set(al.words))
    positions = [t for t, tok in enumerate(words.tokens) if tok.words[0] in set(chosen)]
    a: list[str] = []
    owner: list[int] = []  # cell of each key of a
    for c, cell in enumerate(cells):
        for key in keys(cell.text):
            a.append(key)
            owner.append(c)
    b = [words.tokens[t].key for t in positions]
    pairs = match_tokens(a, b)
    placed: dict[int, list[int]] = {}  # cell -> matched word indices
    for i, j in pairs:
        placed.setdefault(owner[i], []).extend(words.tokens[positions[j]].words)
    cols = _bands(grid, placed, words, axis=0)
    rows = _bands(grid, placed, words, axis=1)
    if cols is None or rows is None:
        return _respell(block, sections, cells, owner, pairs, words, positions)
    texts = []
    for c, (r0, c0, rs, cs) in enumerate(grid):
        x0, x1 = cols[c0][0], cols[c0 + cs - 1][1]
        y0, y1 = rows[r0][0], rows[r0 + rs - 1][1]
        inside = [w for w in words.within((x0, y0, x1, y1)) if w in set(chosen)]
        texts.append(words.text_of(inside))
    own = Counter(k for w in chosen for k in keys(words.words[w].text))
    before = bag_score(Counter(a), own)
    after = bag_score(Counter(k for t in texts for k in keys(t)), own)
    moved = any(cell.text and agreement(keys(cell.text), keys(text)) < CELL_AGREE for cell, text in zip(cells, texts))
    if after <= before or moved:  # worse, or content moved between cells: only respell misreadings
        return _respell(block, sections, cells, owner, pairs, words, positions)
    changed = False
    for cell, text in zip(cells, texts):
        if keys(text) != keys(cell.text):
            cell.text = text
            changed = True
    if changed:
        block.meta.setdefault("model_text", block.text)
        block.html, block.text = write_table(sections)
    return changed


#: A refilled cell must keep at least this agreement with the model's cell (a misreading is
#: fixed; content that would move to another cell means the grid was placed wrong).
CELL_AGREE = 0.5
#: A misread cell word takes the spelling of an unmatched table word at least this similar (and
#: at least RESPELL_MIN_CHARS long: "1" against "7" is a different value, not a misreading).
RESPELL_AT = 0.6
RESPELL_MIN_CHARS = 3


def _respell(block: Block, sections: list, cells: list[Cell], owner: list[int], pairs: list[tuple[int, int]],
             words: PageWords, positions: list[int]) -> bool:
    """Where the grid cannot be placed: fix misread words only. A cell word with no match takes the
    spelling of the unmatched table word most like it (a clear best, used once)."""
    pieces: dict[int, tuple[int, int]] = {}  # key index -> (cell, word index in the cell's text)
    k = 0
    split = [cell.text.split() for cell in cells]
    for c, parts in enumerate(split):
        for n, part in enumerate(parts):
            got = keys(part)
            if len(got) == 1:
                pieces[k] = (c, n)
            k += len(got)
    matched_a = {i for i, _ in pairs}
    free_b = {j for j in range(len(positions))} - {j for _, j in pairs}
    changed = False
    for i, (c, n) in pieces.items():
        key = keys(split[c][n])[0]
        if i in matched_a or len(key) < RESPELL_MIN_CHARS:
            continue
        scored = []
        for j in free_b:
            token = words.tokens[positions[j]]
            if len(token.words) == 1 and abs(len(token.key) - len(key)) <= 1:
                scored.append((agreement([key], [token.key]), j))
        scored.sort(reverse=True)
        if not scored or scored[0][0] < RESPELL_AT or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            continue
        j = scored[0][1]
        free_b.discard(j)
        split[c][n] = words.words[words.tokens[positions[j]].words[0]].text
        changed = True
    if changed:
        for cell, parts in zip(cells, split):
            cell.text = " ".join(parts)
        block.meta.setdefault("model_text", block.text)
        block.html, block.text = write_table(sections)
    return changed


def _grid(rows: list[list[Cell]]) -> list[tuple[int, int, int, int]]:
    """(row, column, rowspan, colspan) of every cell, row-major, spans expanded."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            rs, cs = max(1, min(cell.rowspan, len(rows) - r)), max(1, cell.colspan)
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            out.append((r, c, rs, cs))
            c += cs
    return out


def _bands(grid: list[tuple[int, int, int, int]], placed: dict[int, list[int]], words: PageWords,
           axis: int) -> list[tuple[float, float]] | None:
    """Per column (axis 0) or row (axis 1): its (start, end) in points, split halfway between
    neighbours; None when a band has no matched word of a single-span cell."""
    count = max((g[1] + g[3]) if axis == 0 else (g[0] + g[2]) for g in grid)
    lo: list[float | None] = [None] * count
    hi: list[float | None] = [None] * count
    for c, (r0, c0, rs, cs) in enumerate(grid):
        index, span = (c0, cs) if axis == 0 else (r0, rs)
        if span != 1:
            continue
        for w in placed.get(c, []):
            box = words.words[w].box
            a, b = box[axis], box[axis + 2]
            lo[index] = a if lo[index] is None else min(lo[index], a)
            hi[index] = b if hi[index] is None else max(hi[index], b)
    if any(v is None for v in lo) or any(v is None for v in hi):
        return None
    edges = [float("-inf")]
    for k in range(count - 1):
        edges.append((hi[k] + lo[k + 1]) / 2)  # type: ignore[operator]
    edges.append(float("inf"))
    if any(edges[k] >= edges[k + 1] for k in range(len(edges) - 1)):
        return None  # bands overlap: the grid is not where the model says
    return [(edges[k], edges[k + 1]) for k in range(count)]


def bag_score(a: Counter, b: Counter) -> float:
    """Shared keys over the larger bag (1 = the same keys, in any order)."""
    upper = max(sum(a.values()), sum(b.values()))
    return sum((a & b).values()) / upper if upper else 1.0
