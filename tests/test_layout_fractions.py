"""Fractions in display formulas rebuilt as \\frac from their drawn bars, and superscripts and
subscripts in running text kept (``m²``, ``CO₂``), on a page compiled from LaTeX
(``tests/data/formulas/make_page.py``: the source there is the truth) and on built lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docparse.engines.layout.formula import formula_latex
from docparse.engines.layout.text import Line, Span, scripted_text
from docparse.geometry import union_box

PAGE = Path(__file__).parent / "data" / "formulas" / "fractions.pdf"


@pytest.fixture(scope="module")
def blocks() -> list:
    import docparse

    return docparse.convert(str(PAGE)).pages[0].blocks


def _squeeze(latex: str | None) -> str:
    return re.sub(r"\s+", "", latex or "")


def test_display_fractions_become_frac_with_the_number_set_apart(blocks) -> None:
    formulas = [b for b in blocks if b.label.value == "formula"]
    got = [(_squeeze(b.latex), b.meta.get("equation_number")) for b in formulas]
    # as in the source: F_1 = \frac{2PR}{P+R} (1); r = \frac{a+b}{c} (2); y = \frac{1}{x} + \frac{x}{2}
    assert got == [
        (r"F_{1}=\frac{2PR}{P+R}", "(1)"),
        (r"r=\frac{a+b}{c}", "(2)"),
        (r"y=\frac{1}{x}+\frac{x}{2}", None),
    ]


def test_fractions_render_as_mathml_fractions(blocks) -> None:
    import docparse

    html = docparse.convert(str(PAGE)).to_html()
    assert html.count("<mfrac>") == 4


def test_scripts_in_running_text_are_kept(blocks) -> None:
    text = " ".join(b.text.replace("\n", " ") for b in blocks if b.label.value == "paragraph")
    for printed in ("12 m² holds", "30 m³ of air", "some CO₂ into", "E ∝A²", "xⁿ grows", "Water, H₂O,"):
        assert printed in text


def _span(text: str, x: float, size: float, baseline: float) -> Span:
    top = baseline - 0.75 * size
    return Span(text, (x, top, x + 0.5 * size * len(text), baseline + 0.25 * size), "Serif", size, 0, baseline)


def _line(*spans: Span) -> Line:
    return Line(bbox=union_box([s.bbox for s in spans]), spans=list(spans))


def test_small_caps_and_a_letter_script_keep_their_text() -> None:
    # small caps: smaller, on the line's baseline -> not a script
    small_caps = _line(_span("The ", 0, 10, 100), _span("NASA", 20, 7, 100), _span(" report", 40, 10, 100))
    assert scripted_text(small_caps) == "The NASA report"
    # a raised footnote mark and a subscript of letters: no Unicode form, plain as printed
    marks = _line(_span("T", 0, 10, 100), _span("max", 5, 7, 102), _span(" is high", 20, 10, 100), _span("*", 60, 7, 96))
    assert scripted_text(marks) == "Tmax is high*"
    # digits raised and lowered
    raised = _line(_span("10", 0, 10, 100), _span("-3", 10, 7, 96.5), _span(" mol of NO", 20, 10, 100), _span("2", 70, 7, 102))
    assert scripted_text(raised) == "10⁻³ mol of NO₂"


def test_a_rule_with_text_on_one_side_only_is_no_fraction() -> None:
    # an overline over "x" (a rule with nothing under it) is left alone; "1/2" on the side is built
    x = _span("x", 0, 10, 100)
    one, two = _span("1", 20, 10, 95), _span("2", 20, 10, 109)
    rules = [(92.0, 0.0, 5.0), (99.0, 19.0, 26.0)]  # (y, x0, x1): over x; between 1 and 2
    got = formula_latex([_line(x), _line(one), _line(two)], rules)
    assert _squeeze(got.latex) == r"x\frac{1}{2}"


def test_a_script_is_written_whole_or_not_at_all_and_typeset_fractions_stay() -> None:
    # p_{t-1}: "t" has no Unicode subscript, so "−1" is not lowered alone
    mixed = _line(_span("p", 0, 10, 100), _span("t", 5, 7, 102), _span("−1", 9, 7, 102), _span(" is", 20, 10, 100))
    assert scripted_text(mixed) == "pt−1 is"
    # "1⁄4 inch" set with a raised numerator: a fraction already, not "¹⁄4"
    quarter = _line(_span("up to ", 0, 10, 100), _span("1", 30, 7, 97), _span("⁄", 34, 10, 100), _span("4", 38, 7, 100), _span(" inch", 42, 10, 100))
    assert scripted_text(quarter) == "up to 1⁄4 inch"


def test_a_square_root_under_a_fraction_bar() -> None:
    import docparse

    # tests/data/multicol/ferry.tex: t = \frac{d}{\sqrt{v^2 - c^2}} (1), "√" then a bar over v² − c²
    doc = docparse.convert(str(Path(__file__).parent / "data" / "multicol" / "ferry.pdf"))
    (formula,) = [b for b in doc.pages[0].blocks if b.label.value == "formula"]
    assert _squeeze(formula.latex) == r"t=\frac{d}{\sqrt{v^{2}-c^{2}}}"
    assert formula.meta["equation_number"] == "(1)"
