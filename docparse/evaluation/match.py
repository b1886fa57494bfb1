"""Matching predicted text segments to ground-truth blocks.

Segmentation rarely agrees: a parser may split one paragraph in two, or run two into one. Like
OmniDocBench's ``quick_match`` (assignment, then fuzzy merging of split pieces) this works in
three steps over normalized texts:

1. one-to-one assignment on normalized edit distance (Hungarian with scipy when installed,
   else greedy by lowest cost), pairs costing more than ``max_cost`` left out;
2. each prediction still unmatched joins the block it is (nearly) a substring of;
3. each block still unmatched joins the prediction it is (nearly) a substring of.

The result is a list of groups (block indices, prediction indices): the connected pieces of
those links. A group is scored as one unit, so a split or merge costs only its real edits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from docparse.evaluation.metrics import levenshtein, substring_distance

Group = tuple[list[int], list[int]]  # (ground-truth indices, prediction indices)


def _bag_bound(a: Counter[str], b: Counter[str]) -> int:
    """A lower bound of the edit distance from character counts alone."""
    extra_a = sum((a - b).values())
    extra_b = sum((b - a).values())
    return max(extra_a, extra_b)


def assign(cost: list[list[float]], max_cost: float) -> list[tuple[int, int]]:
    """Pairs (row, column) of a one-to-one assignment with every cost <= max_cost."""
    if not cost or not cost[0]:
        return []
    try:
        import numpy as np
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        pairs = sorted(
            (c, i, j) for i, row in enumerate(cost) for j, c in enumerate(row) if c <= max_cost
        )
        used_i: set[int] = set()
        used_j: set[int] = set()
        out = []
        for _, i, j in pairs:
            if i not in used_i and j not in used_j:
                used_i.add(i)
                used_j.add(j)
                out.append((i, j))
        return out
    rows, cols = linear_sum_assignment(np.asarray(cost))
    return [(int(i), int(j)) for i, j in zip(rows, cols) if cost[i][j] <= max_cost]


def _trigrams(s: str) -> set[str]:
    return {s[i : i + 3] for i in range(max(1, len(s) - 2))}


def _best_container(
    needle: str, haystacks: Sequence[str], grams: Sequence[set[str]], max_ratio: float
) -> int | None:
    """Index of the haystack that holds ``needle`` with the fewest edits (<= max_ratio of it)."""
    ng = _trigrams(needle)
    best, best_d = None, max_ratio * len(needle)
    for k, hay in enumerate(haystacks):
        if not hay or len(hay) < (1 - max_ratio) * len(needle):
            continue
        # a cheap screen before the exact search: most trigrams of a real piece are there
        if len(ng & grams[k]) < 0.4 * len(ng):
            continue
        d = substring_distance(needle, hay)
        if d <= best_d and (best is None or d < best_d or len(hay) < len(haystacks[best])):
            best, best_d = k, d
    return best


def match_texts(
    gt: Sequence[str], pred: Sequence[str], max_cost: float = 0.5, max_ratio: float = 0.3
) -> list[Group]:
    """Group normalized GT texts with normalized predicted texts (see the module docstring).

    Every index of both lists appears in exactly one group; a group may have no GT index (an
    extra prediction) or no prediction index (a missed block).
    """
    bags_g = [Counter(s) for s in gt]
    bags_p = [Counter(s) for s in pred]
    cost = [[1.0] * len(pred) for _ in gt]
    for i, g in enumerate(gt):
        for j, p in enumerate(pred):
            upper = max(len(g), len(p))
            if not g or not p or abs(len(g) - len(p)) > max_cost * upper:
                continue
            if _bag_bound(bags_g[i], bags_p[j]) > max_cost * upper:
                continue
            cost[i][j] = levenshtein(g, p) / upper
    links = [(i, j) for i, j in assign(cost, max_cost)]
    matched_g = {i for i, _ in links}
    matched_p = {j for _, j in links}

    grams_g = [_trigrams(s) for s in gt]
    for j, p in enumerate(pred):
        if j not in matched_p and p:
            i = _best_container(p, gt, grams_g, max_ratio)
            if i is not None:
                links.append((i, j))
                matched_p.add(j)
    grams_p = [_trigrams(s) for s in pred]
    for i, g in enumerate(gt):
        if i not in matched_g and g:
            j = _best_container(g, pred, grams_p, max_ratio)
            if j is not None:
                links.append((i, j))
                matched_g.add(i)
    return _components(len(gt), len(pred), links)


def _components(n_gt: int, n_pred: int, links: list[tuple[int, int]]) -> list[Group]:
    """Connected components of the bipartite link graph; GT node i is i, prediction j is n_gt+j."""
    parent = list(range(n_gt + n_pred))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in links:
        parent[find(i)] = find(n_gt + j)
    groups: dict[int, Group] = {}
    for node in range(n_gt + n_pred):
        g = groups.setdefault(find(node), ([], []))
        if node < n_gt:
            g[0].append(node)
        else:
            g[1].append(node - n_gt)
    return list(groups.values())
