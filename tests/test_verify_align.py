"""The alignment of block text to the page's words (docparse/verify/align.py)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from docparse.verify.align import (
    PageWords, agreement, align_block, align_page, keys, match_tokens, text_layer_words, words_from_tuples,
)

LOREM = ("the quick brown fox jumps over the lazy dog while a small cat watches from the old wooden "
         "fence and the farmer walks along the narrow path towards his red barn in the evening").split()


def grid_words(lines: list[str], x0: float = 72, y0: float = 100, line_h: float = 14,
               width: float = 612, height: float = 792) -> PageWords:
    """A page with one text line per entry, words 6 pt per character apart, in page order."""
    raw = []
    for n, line in enumerate(lines):
        x = x0
        for w, word in enumerate(line.split()):
            raw.append((x, y0 + n * line_h, x + 6 * len(word), y0 + n * line_h + 10, word, 0, n, w))
            x += 6 * len(word) + 6
    return words_from_tuples(raw, width, height)


def line_box(words: PageWords, first: int, last: int) -> tuple[float, float, float, float]:
    ids = [i for i, w in enumerate(words.words) if first <= w.line <= last]
    return words.box_of(ids)


def test_keys_normalise_case_punctuation_and_split_cjk() -> None:
    assert keys("The “Quick”, brown-fox!") == ["the", "quick", "brownfox"]
    assert keys("ﬁnal exam-\nple") == ["final", "example"]  # NFKC ligature, healed hyphen
    assert keys("表格 识别abc") == ["表", "格", "识", "别", "abc"]
    assert keys("  -- ... ") == []


def test_line_end_hyphen_joins_tokens_and_text() -> None:
    words = grid_words(["a long exam-", "ple follows here"])
    assert [t.key for t in words.tokens] == ["a", "long", "example", "follows", "here"]
    assert words.text_of(range(len(words.words))) == "a long example follows here"
    al = align_block("a long example follows here", None, words)
    assert al.score == 1.0 and len(al.words) == 6


def test_match_tokens_is_a_common_subsequence() -> None:
    rng = random.Random(3)
    for _ in range(50):
        a = [rng.choice(LOREM) for _ in range(rng.randint(0, 40))]
        b = [rng.choice(LOREM) for _ in range(rng.randint(0, 40))]
        pairs = match_tokens(a, b)
        assert all(a[i] == b[j] for i, j in pairs)
        assert all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))
    assert match_tokens("a b c d".split(), "x a b y c d".split()) == [(0, 1), (1, 2), (2, 4), (3, 5)]


def test_exact_block_inside_its_box() -> None:
    lines = ["Introduction to the topic", "first paragraph line one", "first paragraph line two",
             "second paragraph starts", "and ends here"]
    words = grid_words(lines)
    al = align_block("first paragraph line one first paragraph line two", line_box(words, 1, 2), words)
    assert al.score == 1.0 and al.where == "box"
    assert al.bbox == line_box(words, 1, 2)
    assert al.text == "first paragraph line one first paragraph line two"


def test_misread_characters_keep_the_words_and_lower_the_score() -> None:
    words = grid_words(["The modern approach uses", "several stages of processing"])
    al = align_block("Tne rnodern approach uses several stages of processinq", line_box(words, 0, 1), words)
    assert al.words == list(range(len(words.words)))  # every word, the misread first one too
    assert 0.85 < al.score < 1.0
    assert al.text == "The modern approach uses several stages of processing"


def test_drifted_box_still_finds_the_words() -> None:
    words = grid_words(["heading of section two", *[" ".join(LOREM[i:i + 6]) for i in range(0, 30, 6)]])
    true = line_box(words, 0, 0)
    shifted = (true[0] + 18, true[1] + 22, true[2] + 18, true[3] + 22)  # ~3% of the page off
    al = align_block("heading of section two", shifted, words)
    assert al.score == 1.0 and al.bbox == true


def test_box_far_off_falls_back_to_the_page() -> None:
    words = grid_words(["alpha beta gamma delta", "epsilon zeta eta theta", "iota kappa lambda mu"])
    al = align_block("iota kappa lambda mu", (300, 600, 500, 700), words)  # an empty corner
    assert al.where == "page" and al.score == 1.0 and al.bbox == line_box(words, 2, 2)
    assert align_block("iota kappa lambda mu", (300, 600, 500, 700), words, search_page=False).score == 0.0


def test_dropped_line_inside_the_box_is_restored_but_neighbours_are_not_taken() -> None:
    lines = ["one two three four", "five six seven eight", "nine ten eleven twelve", "next block here"]
    words = grid_words(lines)
    al = align_block("one two three four nine ten eleven twelve", line_box(words, 0, 2), words)
    assert al.text == "one two three four five six seven eight nine ten eleven twelve"
    assert "next" not in al.text  # the line below lies in the margin only


def test_text_found_nowhere_scores_low() -> None:
    words = grid_words([" ".join(LOREM[i:i + 8]) for i in range(0, 32, 8)])
    al = align_block("Quarterly revenue grew by twelve percent in Europe", None, words)
    assert al.score < 0.4


def test_boxless_blocks_in_reading_order_take_the_next_occurrence() -> None:
    lines = ["Results", "the model is good", "Discussion", "the model is good", "Conclusion"]
    words = grid_words(lines)
    out = align_page([("Results", None), ("the model is good", None), ("Discussion", None),
                      ("the model is good", None)], words)
    assert [a.bbox for a in out] == [line_box(words, k, k) for k in range(4)]


def test_empty_text_and_empty_page() -> None:
    words = grid_words(["some words on the page"])
    assert align_block("", (0, 0, 10, 10), words).tokens == 0
    empty = words_from_tuples([], 612, 792)
    assert not empty.usable
    assert align_block("hello", None, empty).score == 0.0


def test_agreement() -> None:
    assert agreement(["abc"], ["abc"]) == 1.0
    assert agreement([], []) == 1.0
    assert agreement(["abcd"], ["abxd"]) == 0.75


def test_dense_page_is_fast_and_long_blocks_align() -> None:
    """5,000 words of repetitive text: no quadratic blow-up (generous bound)."""
    rng = random.Random(7)
    lines = [" ".join(rng.choice(LOREM) for _ in range(12)) for _ in range(420)]
    words = grid_words(lines, line_h=1.8, y0=20)
    text = " ".join(lines[100:340])  # a 2,880-word block, mostly common words
    start = time.perf_counter()
    al = align_block(text, line_box(words, 100, 339), words)
    al_page = align_block(" ".join(lines[200:203]), None, words)
    seconds = time.perf_counter() - start
    assert al.score == 1.0 and al_page.score == 1.0
    assert al_page.bbox == line_box(words, 200, 202)
    assert seconds < 5.0


def test_real_text_layer_rotated_page(tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 100), "Rotated pages keep displayed coordinates", fontsize=12)
    page.set_rotation(90)
    path = tmp_path / "rot.pdf"
    doc.save(path)
    page = pymupdf.open(path)[0]
    words = text_layer_words(page)
    assert (words.width, words.height) == (792, 612)  # as displayed
    al = align_block("Rotated pages keep displayed coordinates", None, words)
    assert al.score == 1.0
    x0, y0, x1, y1 = al.bbox
    assert x1 - x0 < 30 and y1 - y0 > 150  # the line runs down the displayed page
    assert 0 <= x0 and x1 <= 792 and 0 <= y0 and y1 <= 612


@pytest.mark.parametrize("name", ["2305.03393v1-pg9.pdf"])
def test_corpus_page_blocks_align_exactly(corpus: Path, name: str) -> None:
    import pymupdf

    page = pymupdf.open(corpus / "docling" / name)[0]
    words = text_layer_words(page)
    for *box, text, _, _ in page.get_text("blocks"):
        assert align_block(text, tuple(box), words).score == 1.0
