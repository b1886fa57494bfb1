"""HTML output: dir/lang on right-to-left blocks and documents (issue 14.3), formulas as MathML
with their equation number beside them (issue 14.4), and the MathML allowlist."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from docparse.document import Block, Document, EngineInfo, Label, Page, SourceInfo
from docparse.render.html import render_html
from docparse.render.markdown import render_markdown
from docparse.render.mathml import latex_to_mathml
from docparse.render.sanitize import sanitize_html, sanitize_mathml
from tests.test_render_html import assert_safe

ARABIC = "تحسين الإنتاجية وحل المشكلات من خلال البرمجة"


def _doc(*blocks: Block) -> Document:
    return Document(SourceInfo(name="t"), EngineInfo("layout"), [Page(0, 600, 800, list(blocks))])


def _soup(doc: Document) -> BeautifulSoup:
    return BeautifulSoup(render_html(doc), "html.parser")


def test_rtl_blocks_and_document_get_dir_and_lang() -> None:
    doc = _doc(
        Block("p0-b0", Label.TITLE, (50, 40, 550, 70), ARABIC, order=0),
        Block("p0-b1", Label.PARAGRAPH, (50, 80, 550, 120), ARABIC + " " + ARABIC, order=1),
        Block("p0-b2", Label.PARAGRAPH, (50, 130, 550, 150), "R and Python", order=2),
    )
    soup = _soup(doc)
    html = soup.find("html")
    assert html["dir"] == "rtl" and html["lang"] == "ar"
    assert soup.find(id="p0-b0")["dir"] == "rtl" and soup.find(id="p0-b0")["lang"] == "ar"
    assert soup.find(id="p0-b1")["dir"] == "rtl"
    assert soup.find(id="p0-b2")["dir"] == "ltr"  # Latin text inside an RTL document
    assert not soup.find(id="p0-b2").has_attr("lang")
    # Markdown has no direction: unchanged text.
    assert ARABIC in render_markdown(doc) and "dir=" not in render_markdown(doc)


def test_ltr_document_has_no_dir_and_mixed_blocks_get_auto() -> None:
    doc = _doc(
        Block("p0-b0", Label.PARAGRAPH, (50, 40, 550, 70), "A long English paragraph about the methods.", order=0),
        Block("p0-b1", Label.PARAGRAPH, (50, 80, 550, 120), "The word البرمجة means programming here.", order=1),
    )
    soup = _soup(doc)
    assert not soup.find("html").has_attr("dir") and not soup.find("html").has_attr("lang")
    assert not soup.find(id="p0-b0").has_attr("dir")
    assert soup.find(id="p0-b1")["dir"] == "auto"


def test_formula_latex_is_mathml_with_equation_number_beside_it() -> None:
    formula = Block("p0-b0", Label.FORMULA, (50, 40, 550, 70), "F1 = 2PR/(P+R) (1)", order=0)
    formula.latex = r"F_{1} = \frac{2 P R}{P + R}"
    formula.meta["equation_number"] = "(1)"
    soup = _soup(_doc(formula))
    div = soup.find(id="p0-b0")
    math = div.find("math")
    assert math is not None and math["display"] == "block" and math.find("mfrac") is not None
    assert div.find("span", class_="equation-number").text == "(1)"
    assert "(1)" not in math.text and "$$" not in div.text
    assert div["data-latex"] == formula.latex


def test_formula_without_latex_or_with_broken_latex_shows_text() -> None:
    plain = Block("p0-b0", Label.FORMULA, (50, 40, 550, 70), "F1 = 2 P R / (P + R)", order=0)
    broken = Block("p0-b1", Label.FORMULA, (50, 80, 550, 110), "x", order=1, latex=r"\frac{")
    soup = _soup(_doc(plain, broken))
    assert soup.find(id="p0-b0").text.strip() == "F1 = 2 P R / (P + R)"  # no literal $$ around it
    assert soup.find(id="p0-b0").find("math") is None
    assert soup.find(id="p0-b1").find("code", class_="latex").text == r"\frac{"


@pytest.mark.parametrize(
    "latex",
    [
        r"\href{javascript:alert(1)}{x}",
        r"\text{<script>alert(1)</script>} + \text{<img src=x onerror=alert(1)>}",
        r"\mathcolor{red}{x} \style{background:url(javascript:alert(1))}{y}",
        "x" * 5000,
    ],
)
def test_hostile_latex_never_yields_active_content(latex: str) -> None:
    formula = Block("p0-b0", Label.FORMULA, (50, 40, 550, 70), "x", order=0, latex=latex)
    soup = _soup(_doc(formula))
    assert_safe(soup)
    for tag in soup.find(id="p0-b0").find_all(True):
        assert "href" not in tag.attrs and "style" not in tag.attrs and "src" not in tag.attrs


def test_mathml_allowlist() -> None:
    hostile = (
        '<math xmlns="http://www.w3.org/1998/Math/MathML" onload="x()"><mrow href="javascript:x">'
        '<mi style="color:red" mathvariant="bold">x</mi><maction actiontype="toggle"><mi>y</mi></maction>'
        '<semantics><mi>z</mi><annotation-xml encoding="text/html"><a href="javascript:x">k</a></annotation-xml>'
        '</semantics><mstyle mathcolor="url(javascript:x)"><mn>1</mn></mstyle><script>x()</script></mrow></math>'
    )
    clean = sanitize_mathml(hostile)
    assert clean.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML">')
    assert "href" not in clean and "onload" not in clean and " style=" not in clean
    assert "annotation-xml" not in clean and "maction" not in clean and "script" not in clean
    assert "url(" not in clean and '<mi mathvariant="bold">x</mi>' in clean
    assert sanitize_mathml("<p>not math</p>") == ""
    assert latex_to_mathml("a^{2}") is not None and "<msup>" in latex_to_mathml("a^{2}")


def test_lang_attribute_values_are_language_tags() -> None:
    assert sanitize_html('<table><tr><td lang="ar" dir="rtl">x</td></tr></table>') == (
        '<table><tr><td lang="ar" dir="rtl">x</td></tr></table>'
    )
    assert "lang" not in sanitize_html('<td lang="x&quot; onmouseover=alert(1)">x</td>')
    assert "dir" not in sanitize_html('<td dir="sideways">x</td>')
