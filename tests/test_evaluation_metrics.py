"""Metric unit tests with hand-computed values (docparse.evaluation.metrics / normalize)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docparse.evaluation.metrics import (
    heading_counts,
    layout_counts,
    levenshtein,
    normalized_edit_distance,
    reading_order_distance,
    substring_distance,
    substring_match,
    teds,
)
from docparse.evaluation.normalize import normalize_formula, normalize_text


def _dp(a: str, b: str) -> int:
    """Textbook Levenshtein, the reference for the bit-parallel one."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_edit_distance_identical_is_zero() -> None:
    assert levenshtein("soil moisture", "soil moisture") == 0
    assert normalized_edit_distance("soil moisture", "soil moisture") == 0.0
    assert normalized_edit_distance("", "") == 0.0


def test_edit_distance_one_character() -> None:
    assert levenshtein("kitten", "sitten") == 1  # substitution
    assert levenshtein("kitten", "kiten") == 1  # deletion
    assert normalized_edit_distance("abcd", "abce") == pytest.approx(0.25)
    assert levenshtein("kitten", "sitting") == 3
    assert normalized_edit_distance("abc", "") == 1.0


def test_edit_distance_on_sequences_and_long_texts() -> None:
    assert levenshtein([1, 2, 3], [1, 3, 2]) == 2
    a = "x" * 200 + "abc"
    assert levenshtein(a, "x" * 200 + "abd") == 1  # more than 64 positions: Python ints widen


@settings(max_examples=300, deadline=None)
@given(st.text("abc", max_size=15), st.text("abc", max_size=15))
def test_edit_distance_matches_textbook(a: str, b: str) -> None:
    assert levenshtein(a, b) == _dp(a, b)


def test_substring_distance() -> None:
    assert substring_distance("moist", "soil moisture") == 0
    assert substring_distance("moisd", "soil moisture") == 1
    assert substring_distance("", "abc") == 0
    assert substring_distance("abc", "") == 3
    assert substring_match("moist", "soil moisture") == (0, 10)  # ends before "ure"


def test_normalize_keeps_words_and_cjk_only() -> None:
    assert normalize_text("Hello,  world!\n") == "Helloworld"
    assert normalize_text("**Table 1.** a_b") == "Table1a_b"  # \w keeps the underscore
    assert normalize_text("价格(元): 82.42") == "价格元8242"
    assert normalize_text("dose $10 \\mu g$") == "dose10μg"
    assert normalize_text("<td>a&amp;b</td>") == "ab"
    assert normalize_formula("\\mathbf{x} + \\left( y \\right)") == "{x}+(y)"


TABLE = (
    "<table><tr><th>Site</th><th colspan='2'>Error</th></tr>"
    "<tr><td>S01</td><td>1.2</td><td>0.9</td></tr></table>"
)


def test_teds_identical_table_is_one() -> None:
    assert teds(TABLE, TABLE) == 1.0
    assert teds(TABLE, TABLE, structure_only=True) == 1.0


def test_teds_colspan_change_lowers_both_scores() -> None:
    changed = TABLE.replace("colspan='2'", "colspan='1'")
    assert teds(changed, TABLE) < 1.0
    assert teds(changed, TABLE, structure_only=True) < 1.0
    # 8 nodes each (table, 2 tr, 5 td); one renamed node: 1 - 1/8
    assert teds(changed, TABLE, structure_only=True) == pytest.approx(1 - 1 / 8)


def test_teds_cell_text_counts_only_without_structure_only() -> None:
    other = TABLE.replace("S01", "S02")
    # one cell, 3 characters, 1 substituted: cost 1/3 over 8 nodes
    assert teds(other, TABLE) == pytest.approx(1 - (1 / 3) / 8)
    assert teds(other, TABLE, structure_only=True) == 1.0


def test_teds_missing_prediction_scores_zero() -> None:
    assert teds(None, TABLE) == 0.0
    assert teds("<p>no table</p>", TABLE) == 0.0


def test_reading_order_swapped_pair() -> None:
    assert reading_order_distance([0, 1, 2, 3]) == 0.0
    # one adjacent swap = 2 edits (Levenshtein has no transposition) over 4 blocks
    assert reading_order_distance([0, 2, 1, 3]) == pytest.approx(0.5)


def test_layout_precision_recall() -> None:
    gt = [("text", (0, 0, 100, 100)), ("text", (0, 200, 100, 300)), ("table", (0, 400, 100, 500))]
    pred = [
        ("text", (0, 0, 100, 90)),  # IoU 0.9: match
        ("text", (0, 200, 100, 230)),  # IoU 0.3: no match
        ("heading", (0, 400, 100, 500)),  # right box, wrong class
    ]
    c = layout_counts(pred, gt)
    assert (c["text"].tp, c["text"].n_pred, c["text"].n_gt) == (1, 2, 2)
    assert c["text"].precision == 0.5 and c["text"].recall == 0.5
    assert c["table"].recall == 0.0 and c["table"].precision is None
    assert c["heading"].precision == 0.0


def test_heading_precision_recall_and_levels() -> None:
    gt = [("1Introduction", 1), ("21Data", 2)]
    pred = [("1Introduction", 1), ("21Data", 1), ("Notaheading", 1)]
    found, levels = heading_counts(pred, gt)
    assert (found.tp, found.n_pred, found.n_gt) == (2, 3, 2)
    assert levels.tp == 1


def test_formula_edit_distance_matches_formulas_one_to_one() -> None:
    from docparse.evaluation.evaluate import score_formulas
    from docparse.evaluation.normalize import normalize_formula
    from docparse.evaluation.types import Item

    # the same formula written two ways scores 0: spaces, braces of one-character scripts, \dfrac
    assert normalize_formula(r"F_{1} = \frac{2PR}{P + R}") == normalize_formula(r"F_1=\dfrac{2PR}{P+R}")
    gt = [Item("formula", text=r"F_1 = \frac{2PR}{P+R}"), Item("formula", text=r"E = mc^2"), Item("text", text="words")]
    rows = [Item("formula", text=r"F_{1} = 2PR \\ P + R")]  # the fraction as two rows
    exact = [Item("formula", text=r"E=mc^{2}"), Item("formula", text=r"F_{1} = \frac{2PR}{P + R}")]
    assert score_formulas(gt, exact) == [0.0, 0.0]  # matched by similarity, not by order
    rows_score = score_formulas(gt, rows)
    assert 0.0 < rows_score[0] < 1.0 and rows_score[1] == 1.0  # misread; the second unmatched
    assert score_formulas(gt, [Item("text", text="E = mc2")]) == [1.0, 1.0]  # no LaTeX written
    assert score_formulas([Item("text", text="no formula")], exact) == []
