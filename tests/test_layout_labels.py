"""Layout-model classes, heading levels, list markers, page numbers."""

from docparse.document import Label
from docparse.engines.layout.labels import (
    heading_levels,
    indent_levels,
    is_page_number,
    model_label,
    numbering_depth,
    split_marker,
)


def test_model_classes_map_to_labels():
    assert model_label("section-header") is Label.HEADING
    assert model_label("page-footer") is Label.FOOTER
    assert model_label("picture") is Label.IMAGE
    assert model_label("no-such-class") is None


def test_numbering_depth():
    assert numbering_depth("2 Methods") == 1
    assert numbering_depth("2.3 Data") == 2
    assert numbering_depth("2.3.1. Details") == 3
    assert numbering_depth("Appendix A.1 Proofs") == 2
    assert numbering_depth("A Study of Things") is None
    assert numbering_depth("Introduction") is None


def test_heading_levels_from_numbers_then_font_ranks():
    levels = heading_levels(
        [("1 Intro", 14, True), ("1.1 Scope", 12, True), ("Related work", 16, True), ("Notes", 12, False)]
    )
    assert levels[:2] == [2, 3]
    assert levels[2] == 2  # largest unnumbered style ranks first
    assert levels[3] > levels[2]
    assert all(2 <= lv <= 6 for lv in levels)


def test_split_marker():
    assert split_marker("• first item") == ("•", "first item")
    assert split_marker("1. one") == ("1.", "one")
    assert split_marker("(a) alpha") == ("(a)", "alpha")
    assert split_marker("iv) four") == ("iv)", "four")
    assert split_marker("[12] A. Author. A paper.") == ("[12]", "A. Author. A paper.")
    assert split_marker("Plain sentence.") == (None, "Plain sentence.")
    assert split_marker("3.5 million people")[0] is None


def test_indent_levels():
    assert indent_levels([72, 90, 90, 72, 108]) == [0, 1, 1, 0, 2]
    assert indent_levels([]) == []


def test_page_numbers():
    for text in ["12", "- 12 -", "Page 3", "3 of 10", "iv", "7 / 20"]:
        assert is_page_number(text), text
    for text in ["Chapter 2", "Results in 2019 were good"]:
        assert not is_page_number(text), text
