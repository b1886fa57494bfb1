from docparse.document import Label, ListItem
from docparse.passes.lists import lists, split_marker

from tests.test_passes_fixtures import LEFT, RIGHT, doc_of, make_report


def test_split_marker() -> None:
    assert split_marker("• item") == ("•", "item")
    assert split_marker("12. item") == ("12.", "item")
    assert split_marker("(iv) item") == ("(iv)", "item")
    assert split_marker("b) item") == ("b)", "item")
    assert split_marker("e.g. not a marker") == (None, "e.g. not a marker")
    assert split_marker("A. Smith wrote") == (None, "A. Smith wrote")


def test_report_bullets_grouped_with_nesting() -> None:
    doc = lists(make_report())
    page = doc.pages[2]
    lst = [b for b in page.blocks if b.label == Label.LIST]
    assert len(lst) == 1
    items = lst[0].items
    assert [(it.marker, it.text, it.level) for it in items] == [
        ("•", "Revenue grew in every region", 0),
        ("•", "Costs fell", 0),
        ("–", "mostly in Europe", 1),
        ("•", "Margins improved", 0),
    ]
    assert lst[0].bbox == (54.0, 320.0, 296.0, 388.0)
    assert lst[0].meta["merged"] == ["p2-b3", "p2-b4", "p2-b5"]
    assert not any(b.id in lst[0].meta["merged"] for b in page.blocks)
    assert "  – mostly in Europe" in lst[0].text


def test_wrapped_item_continuation_is_appended() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (100, 114), "1. First step is long and"),
        (Label.PARAGRAPH, (66, 296), (116, 130), "wraps onto a second block"),
        (Label.PARAGRAPH, LEFT, (134, 148), "2. Second step"),
        (Label.PARAGRAPH, LEFT, (200, 300), "A normal paragraph after the list."),
    ]]
    doc = lists(doc_of(pages))
    blocks = doc.pages[0].blocks
    assert [b.label for b in blocks] == [Label.LIST, Label.PARAGRAPH]
    assert [it.text for it in blocks[0].items] == ["First step is long and wraps onto a second block", "Second step"]


def test_single_numbered_paragraph_is_not_a_list_but_bullet_is() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (100, 114), "1. Introduction to the topic"),
        (Label.PARAGRAPH, RIGHT, (300, 314), "• a lone bullet"),
    ]]
    doc = lists(doc_of(pages))
    assert [b.label for b in doc.pages[0].blocks] == [Label.PARAGRAPH, Label.LIST]


def test_list_blocks_with_items_merge_and_split_text_lines() -> None:
    pages = [[
        (Label.LIST, LEFT, (100, 130), "", {"items": [ListItem("one", None, 0, "-"), ListItem("two", None, 1, "-")]}),
        (Label.LIST, LEFT, (134, 160), "- three\n- four\ncontinued"),
    ]]
    doc = lists(doc_of(pages))
    (lst,) = doc.pages[0].blocks
    assert [(it.text, it.level) for it in lst.items] == [("one", 0), ("two", 1), ("three", 0), ("four continued", 0)]


def test_list_continued_on_next_page_is_joined_unless_it_restarts() -> None:
    pages = [
        [(Label.PARAGRAPH, LEFT, (600, 614), "• alpha"), (Label.PARAGRAPH, LEFT, (618, 632), "• beta")],
        [(Label.PARAGRAPH, LEFT, (72, 86), "• gamma"), (Label.PARAGRAPH, LEFT, (300, 400), "Text."),
         (Label.PARAGRAPH, LEFT, (600, 614), "• end")],
        [(Label.PARAGRAPH, LEFT, (72, 86), "1. new"), (Label.PARAGRAPH, LEFT, (90, 104), "2. list")],
    ]
    doc = lists(doc_of(pages))
    head = doc.pages[0].blocks[0]
    assert [it.text for it in head.items] == ["alpha", "beta", "gamma"]
    assert head.continuation.pages == [0, 1]
    assert doc.pages[1].blocks[0].continuation.head_id == head.id
    assert not doc.pages[2].blocks[0].is_continuation


def test_indented_new_sentence_or_code_under_an_item_stays_separate() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (100, 114), "• The first point ends here."),
        (Label.PARAGRAPH, (66, 296), (120, 160), "The monitoring of it is a paragraph of its own."),
        (Label.PARAGRAPH, LEFT, (170, 184), "• Run this"),
        (Label.PARAGRAPH, (66, 296), (188, 200), "select * from t", {"meta": {"mono": True}}),
    ]]
    doc = doc_of(pages)
    doc.pages[0].blocks[2].meta["mono"] = False
    doc = lists(doc)
    labels = [b.label for b in doc.pages[0].blocks]
    assert labels == [Label.LIST, Label.PARAGRAPH, Label.LIST, Label.PARAGRAPH]
