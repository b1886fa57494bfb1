"""Shared fixtures: small PDFs made on the fly, the corpus folder when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"


FILLER = (
    "This paragraph gives the page a realistic body, so that layout analysis sees running text "
    "rather than a lone line, which it could take for a page header or footer."
)


def make_pdf(path: Path, pages: list[str], size: tuple[float, float] = (612, 792)) -> Path:
    """A PDF with one text paragraph per page (Helvetica), followed by a filler paragraph."""
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page(width=size[0], height=size[1])
        page.insert_textbox(pymupdf.Rect(72, 200, size[0] - 72, 260), text, fontsize=11)
        page.insert_textbox(pymupdf.Rect(72, 270, size[0] - 72, 400), FILLER, fontsize=11)
    doc.save(path)
    doc.close()
    return path


@pytest.fixture
def simple_pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "simple.pdf", ["Hello first page.", "Second page text.", "Third page here."])


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS
