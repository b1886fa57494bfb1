"""Garbled lines on an otherwise readable page are read again by OCR of their boxes (issue 14,
item 1: "disagreement with a quick OCR sample"): the OCR replaces a line only where it reads
something else that is itself text; accented text the OCR agrees with keeps its layer."""

from __future__ import annotations

from pathlib import Path

import pytest

import docparse
from docparse.engines.layout.scan.ocr import tesseract_available

from .corpus_docs import all_text, corpus_pdf

pytestmark = pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")

GIBBERISH = "]üìÆüéê •ìê °ê£ë†£ûÜüéê †ë ∞†¶£ èÜ•ÜáÜ§ê"  # what redp5110's sidebar font gives
PRINTED = "Enhance the performance of your database"
CLEAN = [
    "Quarterly report of the regional library service",
    "The library lent more books this quarter than in any quarter before.",
    "Opening hours were extended on Saturdays and on two weekday evenings.",
]


def _page_with_a_lying_line(tmp_path: Path, printed: str, layer: str) -> Path:
    """A born-digital page: clean lines, and one line whose ink says ``printed`` while its
    (invisible) text layer says ``layer`` -- the picture of a font whose codes map to the
    wrong characters."""
    import pymupdf

    ink = pymupdf.open()
    ink_page = ink.new_page(width=400, height=30)
    ink_page.insert_text((4, 20), printed, fontsize=14, fontname="helv")
    picture = ink_page.get_pixmap(dpi=300)
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for i, line in enumerate(CLEAN):
        page.insert_text((72, 100 + 24 * i), line, fontsize=12, fontname="helv")
    box = pymupdf.Rect(72, 200, 472, 230)
    page.insert_image(box, pixmap=picture)
    page.insert_text((76, 220), layer, fontsize=14, fontname="helv", render_mode=3)
    out = tmp_path / "lying.pdf"
    doc.save(out)
    return out


def test_a_garbled_line_is_replaced_by_its_ocr_with_a_warning(tmp_path: Path) -> None:
    doc = docparse.convert(_page_with_a_lying_line(tmp_path, PRINTED, GIBBERISH))
    text = all_text(doc)
    assert "üéê" not in text
    assert PRINTED in text
    assert all(line in text for line in CLEAN)  # the readable lines keep their layer
    assert any("read again by OCR" in w for w in doc.pages[0].warnings), doc.pages[0].warnings


def test_accented_text_the_ocr_agrees_with_keeps_its_layer(tmp_path: Path) -> None:
    accented = "àéîõü çñÿ âêôûë áíóú"  # odd by the statistics, but the ink says the same
    doc = docparse.convert(_page_with_a_lying_line(tmp_path, accented, accented))
    text = all_text(doc)
    assert accented in text
    assert not any("read again by OCR" in w for w in doc.pages[0].warnings)


def test_ocr_off_keeps_the_layer(tmp_path: Path) -> None:
    doc = docparse.convert(_page_with_a_lying_line(tmp_path, PRINTED, GIBBERISH), ocr="never")
    assert "üéê" in all_text(doc)


@pytest.mark.slow
def test_redp5110_sidebar_is_read(corpus: Path) -> None:
    doc = docparse.convert(corpus_pdf(corpus, "docling/redp5110_sampled.pdf"), pages="3")
    text = " ".join(all_text(doc).split())  # a list item's lines are one item
    assert "•ìê" not in text
    assert "Enhance the performance of your database operations" in text
    assert "Rely on IBM expert consulting" in text
