"""Fast unit tests of the first page's title rules and the formula LaTeX (issue 14.4, 14.8)."""

from __future__ import annotations

from docparse.document import Label
from docparse.engines.layout.context import Region
from docparse.engines.layout.formula import formula_latex, is_equation_number
from docparse.engines.layout.text import Line, Span
from docparse.engines.layout.title import first_page_title, is_author_line, is_kicker


def _line(text: str, y: float, size: float, bold: bool = False, x: float = 50.0) -> Line:
    span = Span(text, (x, y, x + 5.0 * len(text), y + size), "Times-Bold" if bold else "Times", size, 16 if bold else 0)
    return Line(bbox=span.bbox, spans=[span])


def _region(label: Label, *lines: Line) -> Region:
    boxes = [ln.bbox for ln in lines]
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Region(bbox=box, label=label, lines=list(lines))


def test_author_lines_and_kickers() -> None:
    assert is_author_line("M. Walley, G. Sigthorsson, C. Hotz-Behofsits, R. Simpson, I. Bjarnason*")
    assert is_author_line("Jing Yu a,b, Lu Lv a,∗, Pei Lan a,b, Shujuan Zhang a, Bingcai Pan a,∗∗")
    assert not is_author_line("Materials, Methods, and Statistical Analysis")
    assert not is_author_line("Results and Discussion")
    assert not is_author_line("Row and Column Access Control\nSupport in IBM DB2 for i")  # "in", "for" are words
    assert not is_author_line("The effects of AZD3582, and naproxen, on key steps in the rat")
    assert is_kicker("Research Article") and is_kicker("Original Paper") and is_kicker("Review")
    assert not is_kicker("Introduction") and not is_kicker("The effects of AZD3582")


def test_first_page_title_passes_over_the_kicker_and_the_authors() -> None:
    kicker = _region(Label.TITLE, _line("Research Article", 150, 18, bold=True))
    title = _region(
        Label.PARAGRAPH,
        _line("The effects of AZD3582 and naproxen on key", 190, 18, bold=True),
        _line("pathogenic steps in NSAID-enteropathy in the rat", 210, 18, bold=True),
    )
    authors = _region(Label.HEADING, _line("M. Walley, G. Sigthorsson, R. Simpson, I. Bjarnason*", 250, 10, bold=True))
    body = [_region(Label.PARAGRAPH, *(_line("body text of the abstract " * 3, 300 + 12 * i, 10) for i in range(20)))]
    first_page_title([kicker, title, authors, *body], page_height=792)
    assert (title.label, kicker.label, authors.label) == (Label.TITLE, Label.HEADING, Label.PARAGRAPH)


def test_first_page_title_keeps_a_real_title() -> None:
    title = _region(Label.TITLE, _line("A Study of Everything in Particular", 100, 20, bold=True))
    lead = _region(Label.PARAGRAPH, _line("A large lead paragraph set below it", 150, 18))
    body = [_region(Label.PARAGRAPH, *(_line("body text " * 8, 300 + 12 * i, 10) for i in range(20)))]
    first_page_title([title, lead, *body], page_height=792)
    assert title.label is Label.TITLE and lead.label is Label.PARAGRAPH


def _spans_line(*pieces: tuple[str, float, float]) -> Line:
    """Spans (text, size, top) set left to right."""
    spans, x = [], 100.0
    for text, size, top in pieces:
        width = 5.0 * len(text)
        spans.append(Span(text, (x, top, x + width, top + size), "CMR10", size, 0))
        x += width
    return Line(bbox=(100.0, min(s.bbox[1] for s in spans), x, max(s.bbox[3] for s in spans)), spans=spans)


def test_formula_scripts_symbols_and_number() -> None:
    line = _spans_line(("x", 10, 100), ("i", 7, 105), (" ≤ α", 10, 100), ("2", 7, 97), ("    (3)", 10, 100))
    formula = formula_latex([line])
    assert formula.latex == r"x_{i} \leq \alpha^{2}"
    assert formula.equation_number == "(3)"
    assert formula_latex([_spans_line(("f(1) = {x}", 10, 100))]).latex == r"f(1) = \{x\}"
    assert formula_latex([_spans_line(("f(1) = {x}", 10, 100))]).equation_number is None
    assert is_equation_number("(12)") and is_equation_number(" (2a) ") and not is_equation_number("(x)")


def _styled(text: str, font: str, flags: int = 0) -> Line:
    return Line(bbox=(50.0, 100.0, 300.0, 110.0), spans=[Span(text, (50.0, 100.0, 300.0, 110.0), font, 10.0, flags)])


def test_only_emphasised_subsection_numbers_make_a_body_size_heading() -> None:
    from docparse.engines.layout.regions.refine import refine

    def label(line: Line, start: Label = Label.PARAGRAPH) -> Label:
        body = [_line("Running text of the page, long enough to set the body size.", 200.0 + 12 * i, 10.0) for i in range(5)]
        regions = [_region(start, line)] + [_region(Label.PARAGRAPH, ln) for ln in body]
        return refine(regions, 800.0)[0].label

    assert label(_styled("2.4. Preparation of the solution", "GulliverIT")) is Label.HEADING
    assert label(_styled("2.4. Preparation of the solution", "Times-Roman", flags=2), Label.TABLE) is Label.HEADING
    # not emphasised, one level of numbering (a list item), a sentence: what they were before
    assert label(_styled("2.4. Preparation of the solution", "Times-Roman")) is Label.LIST
    assert label(_styled("1. Mix the samples", "GulliverIT")) is Label.LIST
    assert label(_styled("2.4. The samples were mixed.", "GulliverIT")) is Label.LIST
