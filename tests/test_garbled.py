"""The garbled-text-layer rule (docparse.garbled) that the layout engine and the verifier share
(issue 14, item 1): fonts without a usable encoding are caught, clean corpus pages never are."""

from __future__ import annotations

from pathlib import Path

from docparse.garbled import garbled, garbled_reason
from docparse.verify.words import text_layer_words

TEXTBOOK = "mineru/ordinary_textbook_1d9a847603a5e37e379738316820850d.pdf"


def test_garbled_rule_on_known_texts() -> None:
    assert garbled("êÆ#(¯K\x0e) 1›ÊÏ (2016.06) Ì±: +¡) 1˜K. \x17 z1, z2, z3 ´ü Eê. y²•3ü Eê z ¦\x1a:")
    assert garbled("]üìÆüéê •ìê °ê£ë†£ûÜüéê †ë ∞†¶£ èÜ•ÜáÜ§ê")
    assert garbled("\ufffd" * 30)
    # real text with accents, typographic punctuation, bullets and CJK is not
    assert not garbled("Les élèves étaient déjà là — « Où êtes-vous ? » a-t-il demandé à Noël.")
    assert not garbled("Über die Größe der Fläche wußte man früher wenig; heute weiß man mehr.")
    assert not garbled("• first point — “quoted” text… and 25 °C ± 0.5 °C in the laboratory today")
    assert not garbled("高测股份（688556.SH）：扩产4000万公里金刚线，强化光伏硅片切割三元布局")
    assert garbled_reason("too short ÿÿ") is None


def test_no_clean_corpus_page_is_flagged(corpus: Path) -> None:
    """Every page with a text layer in the corpus reads as text, except the garbled textbook page."""
    import pymupdf

    flagged = []
    pdfs = sorted(corpus.rglob("*.pdf"))
    assert len(pdfs) >= 20
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            for page in doc:
                if garbled(page.get_text()):
                    flagged.append(f"{pdf.relative_to(corpus)}:{page.number}")
    assert flagged == [TEXTBOOK + ":0"]


def test_verifier_never_checks_against_a_garbled_layer(corpus: Path) -> None:
    import pymupdf

    path = corpus / TEXTBOOK
    with pymupdf.open(path) as doc:
        words = text_layer_words(doc[0])
    assert len(words.words) > 20
    assert not words.usable
