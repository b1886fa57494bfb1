from docparse.document import Label
from docparse.passes.furniture import furniture, is_page_number

from tests.test_passes_fixtures import doc_of, find, make_report


def test_page_number_patterns() -> None:
    for text in ["1", "12", "- 3 -", "Page 3 of 9", "page 4", "3 / 9", "iv", "xii"]:
        assert is_page_number(text), text
    for text in ["Annual Report 2024", "I", "did", "civil", "12 apples", "Figure 3", ""]:
        assert not is_page_number(text), text


def test_running_header_footer_and_page_numbers_are_labelled() -> None:
    doc = furniture(make_report())
    for page in doc.pages:
        top = [b for b in page.blocks if b.text == "Annual Report 2024" and b.bbox[1] < 40]
        assert [b.label for b in top] == [Label.HEADER]
        foot = [b for b in page.blocks if b.text.startswith("Acme Corp")]
        assert [b.label for b in foot] == [Label.FOOTER]
        assert all(b.order is None for b in page.blocks if b.is_furniture)
    for text in ["1", "2", "Page 3 of 9"]:
        b = find(doc, text) if text != "1" else doc.pages[0].blocks[-1]
        assert b.label == Label.PAGE_NUMBER, text
        assert b.order is None
    assert doc.warnings == []


def test_title_repeating_header_text_stays_a_title() -> None:
    doc = furniture(make_report())
    title = doc.pages[0].blocks[1]
    assert title.label == Label.TITLE and title.order is not None


def test_body_text_and_footnote_are_not_furniture() -> None:
    doc = furniture(make_report())
    assert find(doc, "1 The pipeline").label == Label.PARAGRAPH
    assert find(doc, "Sales grew").label == Label.PARAGRAPH


def test_varying_digits_repeat_as_one_footer() -> None:
    pages = [
        [(Label.PARAGRAPH, (54, 300), (100, 400), "Body text."),
         (Label.PARAGRAPH, (54, 300), (750, 762), f"Report 2024 | section {p + 1} | draft {p + 7}")]
        for p in range(3)
    ]
    doc = furniture(doc_of(pages))
    assert [p.blocks[1].label for p in doc.pages] == [Label.FOOTER] * 3
    assert [p.blocks[0].label for p in doc.pages] == [Label.PARAGRAPH] * 3


def test_chapter_headings_at_page_top_are_not_a_running_header() -> None:
    pages = [[(Label.HEADING, (54, 300), (72, 90), f"Chapter {p + 1}")] for p in range(3)]
    doc = furniture(doc_of(pages))
    assert all(p.blocks[0].label == Label.HEADING for p in doc.pages)


def test_repeat_at_a_different_height_is_not_furniture() -> None:
    pages = [
        [(Label.PARAGRAPH, (54, 300), (24, 36), "Draft")],
        [(Label.PARAGRAPH, (54, 300), (100, 112), "Draft")],
    ]
    doc = furniture(doc_of(pages))
    assert [p.blocks[0].label for p in doc.pages] == [Label.PARAGRAPH, Label.PARAGRAPH]


def test_engine_labelled_furniture_leaves_reading_order() -> None:
    doc = doc_of([[(Label.FOOTER, (54, 300), (760, 772), "in the bottom margin")]])
    furniture(doc)
    assert doc.pages[0].blocks[0].order is None  # (mid-page it would need evidence: below)


def test_decreasing_page_numbers_warn() -> None:
    pages = [[(Label.PARAGRAPH, (300, 306), (770, 780), n)] for n in ["5", "4"]]
    doc = furniture(doc_of(pages))
    assert any("do not increase" in w for w in doc.warnings)


def test_page_number_line_beside_changing_chapter_title() -> None:
    pages = [
        [(Label.PARAGRAPH, (54, 300), (100, 400), "Body text."),
         (Label.PARAGRAPH, (54, 330), (755, 764), f"{n}\nChapter {c}")]
        for n, c in [(11, "2. Roles and duties"), (77, "4. Implementing access control")]
    ]
    doc = furniture(doc_of(pages))
    assert [p.blocks[1].label for p in doc.pages] == [Label.FOOTER, Label.FOOTER]
    assert doc.pages[0].blocks[1].meta["furniture"] == "page_number_line"
    assert doc.warnings == []


# -- furniture needs evidence (issue 13, item 16) ----------------------------------------------------
LINE = "The committee met on Tuesday to review the annual budget proposal."


def test_engine_footer_in_the_body_area_is_body_text() -> None:
    """The layout model calls a page's only line "page-footer" wherever it sits."""
    for y in (150.0, 400.0, 600.0):
        doc = doc_of([[(Label.FOOTER, (72.0, 400.0), (y, y + 12), LINE)]])
        furniture(doc)
        b = doc.pages[0].blocks[0]
        assert b.label == Label.PARAGRAPH, y
        assert b.meta["furniture_rejected"] == "footer"
        assert any("kept as body text" in w for w in doc.warnings)
        assert LINE in doc.to_markdown()


def test_engine_footer_with_evidence_stays_furniture() -> None:
    in_band = doc_of([[(Label.FOOTER, (72.0, 400.0), (760.0, 772.0), LINE)]])
    furniture(in_band)
    assert in_band.pages[0].blocks[0].label == Label.FOOTER
    assert in_band.pages[0].blocks[0].meta["furniture"] == "engine"
    # the page's only text is furniture: the empty Markdown says why
    assert any("all text on this page" in w for w in in_band.pages[0].warnings)
    repeated = doc_of([[(Label.HEADER, (72.0, 400.0), (300.0, 312.0), "Draft 3 - internal")]] * 2)
    furniture(repeated)
    assert [p.blocks[0].label for p in repeated.pages] == [Label.HEADER, Label.HEADER]
    number = doc_of([[(Label.FOOTER, (300.0, 320.0), (400.0, 412.0), "- 7 -")]])
    furniture(number)
    assert number.pages[0].blocks[0].is_furniture  # a page number is evidence wherever it sits
    assert not [w for w in number.warnings if "body text" in w]


def test_a_rejected_footer_takes_its_place_in_the_reading_order() -> None:
    """The engine ordered its "footers" after the body; as body text they are read where they
    stand (cvat f95360: a section heading mid-column, a fragment of a paragraph's last line)."""
    left_top = (Label.PARAGRAPH, (32.0, 283.0), (60.0, 300.0), "Left column, first paragraph.")
    left_bottom = (Label.PARAGRAPH, (32.0, 283.0), (340.0, 700.0), "Left column, second paragraph.")
    right = (Label.PARAGRAPH, (301.0, 553.0), (60.0, 240.0), "Right column paragraph ending in an oven.")
    right_after = (Label.PARAGRAPH, (301.0, 553.0), (300.0, 500.0), "Right column, next paragraph.")
    heading = (Label.FOOTER, (40.0, 200.0), (310.0, 318.0), "2.5. Characterization of the solution")
    fragment = (Label.FOOTER, (309.0, 320.0), (232.0, 238.0), "in an")
    doc = doc_of([[left_top, left_bottom, right, right_after, heading, fragment]])
    furniture(doc)
    order = [b.text for b in doc.pages[0].reading_order]
    assert order == [
        left_top[3], heading[3], left_bottom[3], right[3], fragment[3], right_after[3],
    ]
    assert [b.order for b in doc.pages[0].reading_order] == list(range(6))
