"""Issue 14 items 3, 4, 5, 8 on real and generated documents, through the layout engine:
Arabic lam-alef order, formulas' LaTeX and equation numbers, a code listing written once, and
the first page's title."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

import docparse
from docparse.document import Document, Label

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def _corpus(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file absent: {path}")
    return path


def _convert(path: Path, **options) -> Document:
    return docparse.convert(path, engine="layout", **options)


def _body(doc: Document, label: Label) -> list:
    return [b for b in doc.blocks if b.label is label]


# -- 14.3 Arabic ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_arabic_lam_alef_in_logical_order_and_html_direction() -> None:
    doc = _convert(_corpus("docling/right_to_left_01.pdf"))
    text = "\n".join(b.text for b in doc.blocks)
    for word in ("الإنتاجية", "المشكلات", "خلال", "الأدوات"):
        assert word in text, word
    assert "اإل" not in text and "المشكالت" not in text
    html = doc.to_html()
    assert '<html dir="rtl" lang="ar">' in html
    assert 'dir="rtl" lang="ar"' in html.split("<main", 1)[1]
    assert "dir=" not in doc.to_markdown()


# -- 14.4 formulas --------------------------------------------------------------------------------


def _superscript_pdf(path: Path) -> Path:
    """A page of prose and one display formula "a² + b² = c²   (1)": the squares are smaller
    spans set higher, the equation number at the right margin."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    prose = "Body text of the article, set in ordinary type to give the page a body size. " * 6
    page.insert_textbox(pymupdf.Rect(72, 72, 523, 200), prose, fontsize=11, fontname="tiro")
    x, y = 240.0, 250.0
    for base, script in (("a", "2"), (" + b", "2"), (" = c", "2")):
        page.insert_text((x, y), base, fontsize=11, fontname="tiit")
        x += pymupdf.get_text_length(base, fontname="tiit", fontsize=11)
        page.insert_text((x, y - 4.5), script, fontsize=7.5, fontname="tiro")
        x += pymupdf.get_text_length(script, fontname="tiro", fontsize=7.5)
    page.insert_text((500, y), "(1)", fontsize=11, fontname="tiro")
    page.insert_textbox(pymupdf.Rect(72, 280, 523, 420), prose, fontsize=11, fontname="tiro")
    doc.save(path)
    return path


def test_superscripts_become_latex_scripts_and_the_equation_number_meta(tmp_path: Path) -> None:
    from docparse.engines.layout.formula import formula_latex
    from docparse.engines.layout.text import extract_lines

    pdf = _superscript_pdf(tmp_path / "formula.pdf")
    with pymupdf.open(pdf) as doc:
        lines = [ln for ln in extract_lines(doc[0]) if 230 < ln.bbox[1] < 252]
    assert "".join(ln.text for ln in lines).replace(" ", "").startswith("a2+b2=c2")  # the text layer
    formula = formula_latex(lines)
    assert formula.latex == "a^{2} + b^{2} = c^{2}"
    assert formula.equation_number == "(1)"


@pytest.mark.slow
def test_corpus_formula_latex_and_equation_number() -> None:
    doc = _convert(_corpus("docling/code_and_formula.pdf"))
    (formula,) = _body(doc, Label.FORMULA)
    assert formula.latex == "a^{2} + 8 = 12"  # was: latex None, text "a2 + 8 = 12"
    html = doc.to_html()
    assert "<msup><mi>a</mi>" in html and "$$" not in html

    doc = _convert(_corpus("mineru/test.pdf"))
    formulas = _body(doc, Label.FORMULA)
    numbered = [f for f in formulas if f.meta.get("equation_number") == "(1)"]
    assert len(numbered) == 1 and "(1)" not in numbered[0].latex
    assert r"p_{t-1}" in numbered[0].latex and r"\lambda" in numbered[0].latex
    assert not [f for f in formulas if f.text.strip() == "(1)"]  # no block of its own any more
    html = doc.to_html()
    assert '<span class="equation-number">(1)</span>' in html


# -- 14.5 code listing written twice --------------------------------------------------------------


@pytest.mark.slow
def test_code_listing_is_written_once() -> None:
    doc = _convert(_corpus("docling/code_and_formula.pdf"))
    (code,) = _body(doc, Label.CODE)
    assert code.text.startswith("function add(a, b) {")
    pictures = [b for b in doc.pages[0].blocks if b.label is Label.IMAGE]
    assert not pictures, [p.bbox for p in pictures]  # the listing's frame was a picture too
    markdown = doc.to_markdown(image_dir="assets")
    assert markdown.count("function add(a, b)") == 1 and "](assets/" not in markdown


# -- 14.8 the first page's title ------------------------------------------------------------------


@pytest.mark.slow
def test_academic_article_title_not_the_kicker_and_authors_not_a_heading() -> None:
    doc = _convert(_corpus("mineru/academic_literature_f7904bc37cc2e25c1e3e412978854b10.pdf"), pages="1")
    (title,) = [b for b in doc.pages[0].blocks if b.label is Label.TITLE]
    assert title.text.startswith("The effects of AZD3582")
    heads = {b.text: b for b in doc.pages[0].blocks if b.label is Label.HEADING}
    assert "Research Article" in heads  # the kicker: a heading, no longer the document's title
    assert heads["Research Article"].level == 2 and heads["Introduction"].level == 2  # not pushed down
    authors = [b for b in doc.pages[0].blocks if b.text.startswith("M. Walley")]
    assert authors and authors[0].label is Label.PARAGRAPH
    assert doc.to_markdown().lstrip().startswith("## Research Article\n\n# The effects")


@pytest.mark.slow
def test_elsevier_first_page_author_line_is_a_paragraph() -> None:
    pdf = _corpus("docling-eval/cvat_pdfs_dataset_e2e/case_01/f95360ac01844ef2fc92b26df9d7080f14609af514ce9bee3d8555c03cd01fca.pdf")
    doc = _convert(pdf, pages="1")
    (title,) = [b for b in doc.pages[0].blocks if b.label is Label.TITLE]
    assert title.text.startswith("Effect of efﬂuent organic matter") or title.text.startswith("Effect of effluent")
    authors = [b for b in doc.pages[0].blocks if b.text.startswith("Jing Yu")]
    assert authors and authors[0].label is Label.PARAGRAPH


@pytest.mark.slow
def test_elsevier_italic_subsection_headings_are_headings() -> None:
    # Journal of Hazardous Materials sets "2.1. Chemicals and reagents" in the body's size, italic;
    # the layout model boxed them as text, a list item and a one-row table
    pdf = _corpus("docling-eval/cvat_pdfs_dataset_e2e/case_01/f95360ac01844ef2fc92b26df9d7080f14609af514ce9bee3d8555c03cd01fca.pdf")
    doc = _convert(pdf, pages="2")
    heads = {b.text: b.level for b in doc.pages[0].blocks if b.label is Label.HEADING}
    for text in ("2.1. Chemicals and reagents", "2.2. Adsorbent", "2.3. PAC surface titration", "2.4. Preparation of EfOM solution"):
        assert heads.get(text) == 3, (text, heads)
    assert not [b for b in doc.pages[0].blocks if b.label is Label.TABLE and b.text.startswith("2.4.")]
