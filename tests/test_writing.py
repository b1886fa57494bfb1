"""docparse.writing: script direction and language, and the Arabic lam-alef order (issue 14.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.writing import (
    direction,
    document_direction,
    lam_alef_logical,
    language,
    may_hold_lam_alef,
)

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "docling"


def test_direction_and_language_of_blocks() -> None:
    assert direction("An English sentence.") is None
    assert direction("تحسين الإنتاجية") == "rtl"
    assert direction("Python and R, with one Arabic word: البرمجة") == "auto"
    assert language("تحسين الإنتاجية") == "ar"
    assert language("זה משפט בעברית") == "he"
    assert language("این یک جمله فارسی است که گفتیم") == "fa"  # ی and گ are Persian letters
    assert language("An English sentence.") is None


def test_document_direction_follows_most_letters() -> None:
    assert document_direction(["تحسين الإنتاجية وحل المشكلات", "R and Python"]) == ("rtl", "ar")
    assert document_direction(["A long English paragraph about many things.", "كلمة"]) == (None, None)
    assert document_direction([]) == (None, None)


def test_lam_alef_ligature_parts_are_put_in_logical_order() -> None:
    # As PyMuPDF gives them: the ligature's alef has no width, the lam carries the glyph's.
    visual = [("ا", 3.0), ("إ", 0.0), ("ل", 6.6), ("ن", 3.7)]
    assert lam_alef_logical(visual) == "الإن"
    # "ال" of the article: two glyphs, both with a width -- left alone.
    assert lam_alef_logical([("ا", 2.9), ("ل", 3.1), ("ب", 3.6)]) == "الب"
    assert lam_alef_logical([("ك", 4.8), ("ا", 0.0), ("ل", 7.3), ("ت", 8.8)]) == "كلات"
    assert lam_alef_logical([("ا", 0.0)]) == "ا"  # nothing after it: nothing to swap
    assert may_hold_lam_alef("المشكالت") and not may_hold_lam_alef("plain text")


def _reference_words(name: str) -> set[str]:
    return set((CORPUS / f"{name}.md").read_text(encoding="utf-8").split())


@pytest.mark.parametrize("name", ["right_to_left_01", "right_to_left_02"])
def test_text_layer_words_have_lam_alef_in_logical_order(name: str) -> None:
    """The verifier's words of the Arabic pages agree with the reference (a model's logical
    text): before the fix ``اإلنتاجية`` / ``المشكالت`` (alef before lam) were read."""
    pdf = CORPUS / f"{name}.pdf"
    if not pdf.exists():
        pytest.skip(f"corpus file absent: {pdf}")
    import pymupdf

    from docparse.verify.words import text_layer_words

    with pymupdf.open(pdf) as doc:
        words = [w.text for page in doc for w in text_layer_words(page).words]
        plain = [t[4] for page in doc for t in page.get_text("words", sort=False)]
    assert len(words) == len(plain)  # cut into the same words as PyMuPDF's own
    joined = " ".join(words)
    assert "اإل" not in joined and "األ" not in joined
    if name == "right_to_left_01":
        assert "الإنتاجية" in words and "المشكلات" in words
    reference = _reference_words(name)
    known = sum(w in reference for w in words)
    known_before = sum(w in reference for w in plain)
    assert known > known_before
