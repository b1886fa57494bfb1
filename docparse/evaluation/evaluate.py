"""Score one predicted page against its ground truth, and sum pages into a summary.

Per page (OmniDocBench end-to-end, simplified):
- text: predicted text/heading/formula items are grouped with GT blocks (``match.match_texts``);
  a group whose GT blocks are all set aside (furniture, captions, footnotes, formulas) is dropped;
  every other group costs Levenshtein(concatenated prediction, concatenated GT) over the longer
  length; page score = sum of edits / sum of lengths. Tables are scored apart, not as text.
- reading order: the GT ranks of matched body blocks, in prediction order, vs sorted (blocks
  merged into one prediction are ordered by where their text sits inside it).
- tables: each GT table takes the most similar predicted table (by text), TEDS and TEDS-S;
  an unmatched GT table scores 0.
- display formulas: each GT formula with LaTeX takes the most similar predicted formula (one to
  one), normalized edit distance of the two LaTeX strings in ``normalize_formula``'s form
  (OmniDocBench's formula edit distance); an unmatched GT formula scores 1.
- layout: boxes of the same class matched at IoU >= 0.5 (when both sides have boxes).
- headings: heading texts matched one-to-one; levels (as ranks on the page) compared on the
  matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean

from docparse.evaluation.match import assign, match_texts
from docparse.evaluation.metrics import (
    Counts,
    heading_counts,
    layout_counts,
    levenshtein,
    normalized_edit_distance,
    reading_order_distance,
    substring_match,
    teds,
)
from docparse.evaluation.normalize import normalize_formula, normalize_text
from docparse.evaluation.types import Item, PageItems

TEXT_KINDS = ("text", "heading", "formula")


@dataclass
class PageScore:
    text_edits: int = 0
    text_upper: int = 0
    order: float | None = None
    tables: list[tuple[float, float]] = field(default_factory=list)  # (TEDS, TEDS-S) per GT table
    formulas: list[float] = field(default_factory=list)  # LaTeX edit distance per GT formula
    layout: dict[str, Counts] | None = None
    headings: Counts | None = None
    levels: Counts | None = None

    @property
    def text(self) -> float | None:
        return self.text_edits / self.text_upper if self.text_upper else None


def _norm(items: list[Item]) -> list[str]:
    return [normalize_text(it.text) for it in items]


def score_text_and_order(gt: list[Item], pred: list[Item]) -> tuple[int, int, float | None]:
    """(edits, upper length, reading-order distance or None) for one page."""
    gt = [it for it in gt if it.kind in TEXT_KINDS]
    pred = [it for it in pred if it.kind in TEXT_KINDS]
    g_norm, p_norm = _norm(gt), _norm(pred)
    keep_g = [i for i, s in enumerate(g_norm) if s]
    keep_p = [j for j, s in enumerate(p_norm) if s]
    groups = match_texts([g_norm[i] for i in keep_g], [p_norm[j] for j in keep_p])
    edits = upper = 0
    ranked: list[tuple[int, int, int]] = []  # (first prediction index, place in it, GT rank)
    for g_idx, p_idx in groups:
        gis = sorted(keep_g[i] for i in g_idx)
        pjs = sorted(keep_p[j] for j in p_idx)
        if gis and all(gt[i].ignore for i in gis):
            continue  # furniture, captions, formulas: matched, then set aside
        g_text = "".join(g_norm[i] for i in gis)
        p_text = "".join(p_norm[j] for j in pjs)
        edits += levenshtein(g_text, p_text)
        upper += max(len(g_text), len(p_text))
        ranked_g = [i for i in gis if gt[i].order is not None and not gt[i].ignore]
        if not pjs or not ranked_g:
            continue
        if len(ranked_g) > 1:
            # several blocks read as one prediction: their order is where each sits in it
            ranked_g.sort(key=lambda i: substring_match(g_norm[i], p_text)[1])
        for k, i in enumerate(ranked_g):
            ranked.append((pjs[0], k, gt[i].order))  # type: ignore[arg-type]
    ranked.sort()
    sequence = [r for _, _, r in ranked]
    order = reading_order_distance(sequence) if len(sequence) >= 2 else None
    return edits, upper, order


def score_tables(gt: list[Item], pred: list[Item]) -> list[tuple[float, float]]:
    """(TEDS, TEDS-S) for each GT table that has HTML."""
    g_tables = [it for it in gt if it.kind == "table" and it.html]
    p_tables = [it for it in pred if it.kind == "table" and it.html]
    if not g_tables:
        return []
    g_norm, p_norm = _norm(g_tables), _norm(p_tables)
    cost = [[normalized_edit_distance(g, p) if g or p else 1.0 for p in p_norm] for g in g_norm]
    pairs = dict(assign(cost, max_cost=0.8))
    out = []
    for i, g in enumerate(g_tables):
        j = pairs.get(i)
        if j is None:
            out.append((0.0, 0.0))
        else:
            out.append((teds(p_tables[j].html, g.html), teds(p_tables[j].html, g.html, True)))
    return out


#: a predicted formula further than this (normalized edit distance) from every GT formula is
#: another formula, not a misread of it
FORMULA_MATCH_MAX_COST = 0.8


def score_formulas(gt: list[Item], pred: list[Item]) -> list[float]:
    """Normalized LaTeX edit distance for each GT display formula that has LaTeX (1.0 unmatched)."""
    g_forms = [normalize_formula(it.text) for it in gt if it.kind == "formula" and it.text.strip()]
    g_forms = [g for g in g_forms if g]
    if not g_forms:
        return []
    p_forms = [f for f in (normalize_formula(it.text) for it in pred if it.kind == "formula") if f]
    cost = [[normalized_edit_distance(g, p) for p in p_forms] for g in g_forms]
    pairs = dict(assign(cost, max_cost=FORMULA_MATCH_MAX_COST)) if p_forms else {}
    return [cost[i][pairs[i]] if i in pairs else 1.0 for i in range(len(g_forms))]


def dense_levels(headings: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """Levels as ranks among the levels used on the page (1, 3 -> 1, 2): conventions differ
    (docling puts sections under a title at depth 2, pymupdf4llm starts at #), the hierarchy
    is what is compared."""
    used = sorted({lv for _, lv in headings if lv is not None})
    rank = {lv: k + 1 for k, lv in enumerate(used)}
    return [(t, rank.get(lv) if lv is not None else None) for t, lv in headings]


def score_page(gt: PageItems, pred: PageItems) -> PageScore:
    score = PageScore()
    if gt.has_text:
        score.text_edits, score.text_upper, score.order = score_text_and_order(gt.items, pred.items)
        g_head = [(normalize_text(it.text), it.level) for it in gt.items if it.kind == "heading"]
        p_head = [(normalize_text(it.text), it.level) for it in pred.items if it.kind == "heading"]
        if not gt.has_levels:
            g_head = [(t, None) for t, _ in g_head]
        score.headings, score.levels = heading_counts(dense_levels(p_head), dense_levels(g_head))
        if not gt.has_levels:
            score.levels = None
    score.tables = score_tables(gt.items, pred.items)
    score.formulas = score_formulas(gt.items, pred.items)
    if gt.has_boxes and pred.has_boxes:
        score.layout = layout_counts(pred.layout(), gt.layout())
    return score


@dataclass
class Summary:
    """Pages of one (source, system) summed: means over pages, micro P/R over boxes/headings."""

    files: int = 0
    pages: int = 0  # ground-truth pages scored (a Markdown-per-document source has one per file)
    pdf_pages: int = 0  # PDF pages converted (for seconds per page)
    failed: int = 0
    seconds: float = 0.0
    text: list[float] = field(default_factory=list)
    order: list[float] = field(default_factory=list)
    tables: list[tuple[float, float]] = field(default_factory=list)
    formulas: list[float] = field(default_factory=list)
    layout: dict[str, Counts] = field(default_factory=dict)
    headings: Counts = field(default_factory=Counts)
    levels: Counts = field(default_factory=Counts)
    has_layout: bool = False
    has_levels: bool = False

    def add(self, s: PageScore) -> None:
        self.pages += 1
        if s.text is not None:
            self.text.append(s.text)
        if s.order is not None:
            self.order.append(s.order)
        self.tables.extend(s.tables)
        self.formulas.extend(s.formulas)
        if s.layout is not None:
            self.has_layout = True
            for label, c in s.layout.items():
                self.layout.setdefault(label, Counts()).add(c)
        if s.headings is not None:
            self.headings.add(s.headings)
        if s.levels is not None:
            self.has_levels = True
            self.levels.add(s.levels)

    def merge(self, other: "Summary") -> None:
        self.files += other.files
        self.pages += other.pages
        self.pdf_pages += other.pdf_pages
        self.failed += other.failed
        self.seconds += other.seconds
        self.text += other.text
        self.order += other.order
        self.tables += other.tables
        self.formulas += other.formulas
        for label, c in other.layout.items():
            self.layout.setdefault(label, Counts()).add(c)
        self.headings.add(other.headings)
        self.levels.add(other.levels)
        self.has_layout |= other.has_layout
        self.has_levels |= other.has_levels

    # -- the numbers reported --------------------------------------------------------------------
    def text_edit(self) -> float | None:
        return mean(self.text) if self.text else None

    def order_edit(self) -> float | None:
        return mean(self.order) if self.order else None

    def teds(self) -> float | None:
        return mean(t for t, _ in self.tables) if self.tables else None

    def teds_s(self) -> float | None:
        return mean(s for _, s in self.tables) if self.tables else None

    def formula_edit(self) -> float | None:
        return mean(self.formulas) if self.formulas else None

    def layout_total(self) -> Counts | None:
        if not self.has_layout:
            return None
        total = Counts()
        for c in self.layout.values():
            total.add(c)
        return total
