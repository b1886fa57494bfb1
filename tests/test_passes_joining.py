"""Paragraph joining on real text (issue 14, items 6 and 7): CJK lines joined without spaces,
line-end hyphenation inside compounds undone (a Springer two-column article)."""

from __future__ import annotations

from pathlib import Path

import docparse
from docparse.passes.paragraphs import Vocabulary, dehyphenate_lines, join_cjk_lines

from .corpus_docs import ARTICLE, REPORT, all_text, corpus_pdf


def test_cjk_line_breaks_join_without_space() -> None:
    assert join_cjk_lines("扩产4000 万公\n里金刚线") == "扩产4000 万公里金刚线"
    assert join_cjk_lines("项目投资 \n协议书》") == "项目投资协议书》"
    assert join_cjk_lines("金刚线\nPV modules") == "金刚线\nPV modules"  # Latin-CJK: a space as before
    assert join_cjk_lines("mono\n硅片") == "mono\n硅片"


def test_research_report_cjk_lines_joined(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, REPORT), pages="1")
    md = doc.to_markdown(embed_images=False)
    assert "万公里金刚线" in md
    assert "投资协议书" in md
    assert "万公 里" not in md and "投资 协议书" not in md


def test_dehyphenation_of_compounds_at_line_ends() -> None:
    vocab = Vocabulary(["oxide-releasing drugs induced steroidal naproxen"])
    assert dehyphenate_lines("non-selec-\ntive", vocab) == "non-selective"
    assert dehyphenate_lines("Oxide-Re-\nleasing", vocab) == "Oxide-Releasing"
    assert dehyphenate_lines("donor-in-\nduced", vocab) == "donor-induced"
    assert dehyphenate_lines("a re-\nview", vocab) == "a review"
    assert dehyphenate_lines("state-of-the-\nart", vocab) == "state-of-the-art"
    assert dehyphenate_lines("well-\nknown", vocab) == "well-known"


def test_article_dehyphenated_across_lines(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, ARTICLE))
    text = all_text(doc)
    for miss in ("selec-tive", "na-proxen", "in-duced", "ste-roidal", "Re-leasing", "re-view"):
        assert miss not in text, miss
    assert "non-selective" in text
