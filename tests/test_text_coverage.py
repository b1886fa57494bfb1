"""No text vanishes without a trace (issue 13, item 16).

Every text-layer word of a born-digital page appears in the JSON (furniture included) and in
the Markdown unless it is furniture or a warning names it (words a table's grid left out of its
cells: ``meta["outside_cells"]``). Over the samples (default) and the first pages of the corpus
PDFs (slow; skipped when ../shared/corpus is absent). Also: a page whose only text is one line
of body text keeps it, wherever the line sits.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

import docparse
from docparse.document import Document, Label
from docparse.engines.layout import LayoutEngine
from docparse.verify.words import text_layer_words
from docparse.writing import may_hold_lam_alef

pymupdf = pytest.importorskip("pymupdf")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_PAGES = "1-2"  # the first two pages of each corpus PDF: enough variety, a few minutes


def _letters(text: str) -> str:
    """Letters and digits only, ligatures unfolded ("ﬁ" -> "fi"), case folded."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def missing_words(path: Path, doc: Document) -> dict[str, list[str]]:
    """Text-layer words of the converted born-digital pages the outputs lack: json / markdown."""
    data = json.loads(doc.to_json())
    # figures as their text (not embedded pictures): what this measures is text that went missing
    markdown = _letters(doc.to_markdown(embed_images=False))
    missing: dict[str, list[str]] = {"json": [], "markdown": []}
    with pymupdf.open(path) as src:
        for page, jpage in zip(doc.pages, data["pages"]):
            if any(b.meta.get("ocr") for b in page.blocks) or not src[page.index].get_text("text").strip():
                continue  # not born-digital: the text layer is not what was read
            held = _letters(json.dumps(jpage["blocks"], ensure_ascii=False))
            excused = _letters(" ".join(
                [b.text for b in page.blocks if b.is_furniture]
                # Markdown writes a formula as its LaTeX ("\\lambda" for "λ"); the JSON keeps the text
                + [b.text for b in page.blocks if b.label == Label.FORMULA and b.latex]
                + [str(b.meta.get("outside_cells", "")) for b in page.blocks]
                + [it.marker or "" for b in page.blocks for it in b.items]  # Markdown renumbers lists
            ))
            words = src[page.index].get_text("words", flags=pymupdf.TEXT_MEDIABOX_CLIP)
            if any(may_hold_lam_alef(str(word[4])) for word in words):
                # PyMuPDF's words give Arabic lam-alef in visual order; the engine writes the
                # logical order (docparse.writing): compare with the words rebuilt the same way
                words = [(*w.box, w.text) for w in text_layer_words(src[page.index]).words]
            for word in words:
                w = _letters(word[4])
                if not w:
                    continue
                if w not in held:
                    missing["json"].append(word[4])
                if w not in markdown and w not in excused:
                    missing["markdown"].append(word[4])
    return missing


@pytest.fixture(scope="module")
def engine() -> LayoutEngine:
    return LayoutEngine()


@pytest.mark.parametrize("name", ["article.pdf", "table_two_pages.pdf", "table_two_pages_norepeat.pdf"])
def test_samples_lose_no_text(engine: LayoutEngine, name: str) -> None:
    path = REPO / "samples" / name
    missing = missing_words(path, docparse.convert(path, engine=engine))
    assert missing == {"json": [], "markdown": []}


def _corpus_pdfs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = [p for p in sorted(CORPUS.rglob("*.pdf")) if "derived" not in p.parts]
    return found


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("path", _corpus_pdfs(), ids=lambda p: p.name[:24])
def test_corpus_loses_no_text(engine: LayoutEngine, path: Path) -> None:
    missing = missing_words(path, docparse.convert(path, engine=engine, pages=CORPUS_PAGES))
    assert missing == {"json": [], "markdown": []}


LINE = "The committee met on Tuesday to review the annual budget proposal."


@pytest.mark.parametrize("y", [150, 400, 700])
def test_a_lone_line_of_body_text_is_kept(engine: LayoutEngine, tmp_path: Path, y: int) -> None:
    """It came out labelled footer (the layout model's guess), so Markdown and HTML were empty."""
    path = tmp_path / "lone.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, y), LINE, fontsize=11)
    doc.save(path)
    doc.close()
    result = docparse.convert(path, engine=engine)
    assert LINE in result.to_markdown()
    assert LINE in result.to_html()
    assert not result.pages[0].blocks[0].is_furniture
