"""Scores: edit distance, TEDS / TEDS-S, reading-order distance, layout and heading P/R.

Edit distance is the bit-parallel Levenshtein of Myers/Hyyrö: one pass over the longer sequence
with Python integers as bit vectors, so a 10,000-character page costs milliseconds without a
compiled dependency. TEDS uses ``apted`` for the tree edit distance, as OmniDocBench does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from docparse.evaluation.normalize import strip_inline_math
from docparse.geometry import BBox, iou


# -- edit distance -------------------------------------------------------------------------------
def _peq(pattern: Sequence[Hashable]) -> dict[Hashable, int]:
    """For each symbol, the bit mask of the positions where the pattern holds it."""
    peq: dict[Hashable, int] = {}
    for i, c in enumerate(pattern):
        peq[c] = peq.get(c, 0) | (1 << i)
    return peq


def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Insertions + deletions + substitutions turning ``a`` into ``b`` (strings or lists)."""
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq = _peq(b)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, score = full, 0, m
    for c in a:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ~(xh | pv)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = (ph << 1) | 1  # row 0 of the DP grows by one per column: global alignment
        mh <<= 1
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv & full
    return score


def substring_distance(needle: Sequence[Hashable], haystack: Sequence[Hashable]) -> int:
    """The smallest edit distance between ``needle`` and any substring of ``haystack``."""
    return substring_match(needle, haystack)[0]


def substring_match(needle: Sequence[Hashable], haystack: Sequence[Hashable]) -> tuple[int, int]:
    """(distance, end): the best approximate occurrence of ``needle`` in ``haystack`` and the
    haystack position just after it (the first such position on ties; 0 when nothing fits)."""
    m = len(needle)
    if m == 0:
        return 0, 0
    peq = _peq(needle)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, score = full, 0, m
    best, end = m, 0
    for pos, c in enumerate(haystack, 1):
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ~(xh | pv)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        if score < best:
            best, end = score, pos
        ph <<= 1  # row 0 stays 0: the needle may start anywhere
        mh <<= 1
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv & full
    return best, end


def normalized_edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Levenshtein / max(len): 0 identical, 1 nothing in common (0 when both are empty)."""
    upper = max(len(a), len(b))
    return levenshtein(a, b) / upper if upper else 0.0


# -- tables: TEDS --------------------------------------------------------------------------------
@dataclass
class TableNode:
    tag: str
    colspan: int = 1
    rowspan: int = 1
    content: str = ""  # cell text, NFKC, no whitespace; compared character by character
    children: list["TableNode"] = field(default_factory=list)

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.children)


def _cell_tokens(text: str) -> str:
    # OmniDocBench compares cells after NFKC with all whitespace removed
    text = unicodedata.normalize("NFKC", strip_inline_math(text))
    return re.sub(r"\s+", "", text)


def _span(el: object, name: str) -> int:
    try:
        return max(1, int(str(el.get(name, "1")).strip() or 1))  # type: ignore[attr-defined]
    except ValueError:
        return 1


def table_tree(html: str) -> TableNode | None:
    """HTML table -> tree table/tr/td with spans and cell characters (thead/tbody flattened,
    th read as td). None when the HTML holds no table row."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # lxml raises on empty or garbage input
        return None
    tables = root.xpath(".//table")
    scope = tables[0] if tables else root
    table = TableNode("table")
    for tr in scope.xpath(".//tr"):
        row = TableNode("tr")
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            row.children.append(
                TableNode(
                    "td",
                    colspan=_span(cell, "colspan"),
                    rowspan=_span(cell, "rowspan"),
                    content=_cell_tokens(cell.text_content()),
                )
            )
        table.children.append(row)
    return table if table.children else None


def _apted_config(structure_only: bool):  # noqa: ANN202 - apted's Config is untyped
    from apted import Config

    cache: dict[tuple[str, str], float] = {}  # APTED asks for the same pair many times

    class TableConfig(Config):
        def rename(self, a: TableNode, b: TableNode) -> float:
            if a.tag != b.tag or a.colspan != b.colspan or a.rowspan != b.rowspan:
                return 1.0
            if a.tag == "td" and not structure_only and a.content != b.content:
                key = (a.content, b.content)
                if key not in cache:
                    cache[key] = normalized_edit_distance(a.content, b.content)
                return cache[key]
            return 0.0

        def children(self, node: TableNode) -> list[TableNode]:
            return node.children

    return TableConfig()


def teds(pred_html: str | None, gt_html: str | None, structure_only: bool = False) -> float:
    """Tree-edit-distance similarity of two HTML tables: 1 identical, 0 nothing alike.

    TEDS = 1 - APTED(pred, gt) / max(nodes); a missing or unreadable prediction scores 0.
    """
    from apted import APTED

    gt = table_tree(gt_html or "")
    pred = table_tree(pred_html or "")
    if gt is None:
        return 1.0 if pred is None else 0.0
    if pred is None:
        return 0.0
    if pred == gt:  # dataclass equality: same structure and cells, no need for APTED
        return 1.0
    distance = APTED(pred, gt, _apted_config(structure_only)).compute_edit_distance()
    return max(0.0, 1.0 - distance / max(pred.size(), gt.size()))


# -- reading order -------------------------------------------------------------------------------
def reading_order_distance(gt_ranks_in_pred_order: Sequence[int]) -> float:
    """OmniDocBench's order score: the GT ranks of matched blocks, listed in the order the
    prediction put them, against the same ranks sorted; normalized edit distance (0 = same order)."""
    seq = list(gt_ranks_in_pred_order)
    return normalized_edit_distance(seq, sorted(seq))


# -- precision / recall --------------------------------------------------------------------------
@dataclass
class Counts:
    """True positives and the two totals, summed over pages before dividing (micro average)."""

    tp: int = 0
    n_pred: int = 0
    n_gt: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.n_pred += other.n_pred
        self.n_gt += other.n_gt

    @property
    def precision(self) -> float | None:
        return self.tp / self.n_pred if self.n_pred else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.n_gt if self.n_gt else None


def layout_counts(
    pred: Sequence[tuple[str, BBox]], gt: Sequence[tuple[str, BBox]], threshold: float = 0.5
) -> dict[str, Counts]:
    """Per label: predicted boxes matched one-to-one (greedy by IoU, same label, IoU >= threshold)
    to ground-truth boxes."""
    out: dict[str, Counts] = {}
    for label in {lab for lab, _ in pred} | {lab for lab, _ in gt}:
        p = [box for lab, box in pred if lab == label]
        g = [box for lab, box in gt if lab == label]
        pairs = sorted(
            ((iou(pb, gb), i, j) for i, pb in enumerate(p) for j, gb in enumerate(g)),
            reverse=True,
        )
        used_p: set[int] = set()
        used_g: set[int] = set()
        for score, i, j in pairs:
            if score < threshold:
                break
            if i not in used_p and j not in used_g:
                used_p.add(i)
                used_g.add(j)
        out[label] = Counts(tp=len(used_p), n_pred=len(p), n_gt=len(g))
    return out


def heading_counts(
    pred: Sequence[tuple[str, int | None]],
    gt: Sequence[tuple[str, int | None]],
    threshold: float = 0.3,
) -> tuple[Counts, Counts]:
    """Headings (normalized text, level) matched one-to-one by text (normalized edit distance
    <= threshold, greedy). Returns (heading counts, counts where the level agrees too)."""
    pairs = []
    for i, (pt, _) in enumerate(pred):
        for j, (gt_text, _) in enumerate(gt):
            if abs(len(pt) - len(gt_text)) > threshold * max(len(pt), len(gt_text), 1):
                continue
            d = normalized_edit_distance(pt, gt_text)
            if d <= threshold:
                pairs.append((d, i, j))
    pairs.sort()
    used_p: set[int] = set()
    used_g: set[int] = set()
    level_ok = 0
    for _, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        level_ok += pred[i][1] is not None and pred[i][1] == gt[j][1]
    found = Counts(tp=len(used_p), n_pred=len(pred), n_gt=len(gt))
    levels = Counts(tp=level_ok, n_pred=len(pred), n_gt=len(gt))
    return found, levels
