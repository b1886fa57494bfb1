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
    doc = doc_of([[(Label.FOOTER, (54, 300), (300, 312), "odd place")]])
    furniture(doc)
    assert doc.pages[0].blocks[0].order is None


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
