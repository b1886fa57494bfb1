"""Text layers as real PDFs have them (issue 14, items 1, 6 and 7), through the public API.

Garbled layers (fonts without a usable encoding) are OCRed with a page warning; clean ones are
never flagged; CJK lines join without spaces; private-use bullets, ligatures and line-end
hyphenation in two-column articles come out as the words they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import docparse
from docparse.document import Label

from .corpus_docs import ARTICLE, REPORT, TEXTBOOK, all_text, corpus_pdf

_LIGATURES = re.compile("[\ufb00-\ufb06]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# -- 14.1: garbled text layers ------------------------------------------------------------------


@pytest.mark.slow
def test_garbled_page_is_ocred_with_a_warning(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, TEXTBOOK))
    text = all_text(doc)
    assert "êÆ" not in text and "\ufffd" not in text and "\x17" not in text
    assert len(_CJK.findall(text)) > 100  # the Chinese the fonts could not say, read by OCR
    page = doc.pages[0]
    assert any("garbled" in w and "OCR" in w for w in page.warnings), page.warnings
    assert all(b.meta.get("ocr") for b in page.blocks if b.text)


@pytest.mark.slow
def test_cjk_lines_are_not_formulas(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, TEXTBOOK), ocr="always", ocr_language="chi_sim+eng")
    formulas = [b.text for p in doc.pages for b in p.blocks if b.label == Label.FORMULA]
    assert not [t for t in formulas if len(_CJK.findall(t)) >= 2], formulas
    assert "第十五期" in all_text(doc).replace(" ", "")


# -- 14.7: private-use bullets, ligatures, dehyphenation ----------------------------------------


def test_private_use_bullets_become_bullets(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, REPORT), pages="1")
    text = all_text(doc) + "".join(i.text for p in doc.pages for b in p.blocks for i in b.items)
    assert "\uf06c" not in text
    assert "事件：公司拟与壶关县人民政府签署" in text.replace("\n", "")


def test_ligatures_expanded_and_stray_spaces_healed(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, ARTICLE), pages="1-2")
    text = all_text(doc)
    assert not _LIGATURES.search(text)
    assert "inflammation" in text.lower()
    assert not re.search(r"\b(infl|fl|signifi|benefi) (ammat|ow|cant|cial)", text)


def test_clean_text_without_the_corpus() -> None:
    from docparse.engines.layout.text import clean_text

    assert clean_text("inﬂ ammation, signiﬁ cant, diﬃcult, conﬁguration") == "inflammation, significant, difficult, configuration"
    assert clean_text("staﬀ members") == "staff members"  # a real space after "ff" stays
    assert clean_text("\uf06c 事件", "Wingdings") == "• 事件"
    assert clean_text("Schemas \uf0ae HR", "SymbolMT") == "Schemas → HR"
    assert clean_text("\uf0ae", "Wingdings") == "\uf0ae"  # another font's glyph: not guessed
