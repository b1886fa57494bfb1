from docparse.document import Label
from docparse.passes.footnotes import footnote_marker, footnotes
from docparse.passes.furniture import furniture

from tests.test_passes_fixtures import FULL, LEFT, doc_of, find, make_report


def test_footnote_marker() -> None:
    assert footnote_marker("¹ See the annex.") == ("1", True)
    assert footnote_marker("† Deceased.") == ("†", True)
    assert footnote_marker("12 The source is x.") == ("12", False)
    assert footnote_marker("[3] Smith, 2020.") == ("3", False)
    assert footnote_marker("2 000 units were sold.") is None
    assert footnote_marker("Plain text.") is None


def test_report_footnote_labelled_and_linked_marker_kept() -> None:
    doc = footnotes(furniture(make_report()))  # the footer below it must be furniture first
    fn = find(doc, "1 The pipeline")
    ref = find(doc, "This report")
    assert fn.label == Label.FOOTNOTE
    assert fn.text.startswith("1 ")  # marker kept with the footnote
    assert fn.meta["marker"] == "1" and fn.meta["ref"] == ref.id
    assert ref.meta["footnotes"] == [fn.id]
    assert "pipeline1" in ref.text  # marker kept in the body text


def test_numbered_item_at_bottom_without_evidence_stays() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 600), "Steps follow."),
        (Label.PARAGRAPH, LEFT, (700, 714), "1. Open the valve."),
    ]]
    doc = footnotes(doc_of(pages))
    assert doc.pages[0].blocks[1].label == Label.PARAGRAPH


def test_superscript_and_small_font_footnotes() -> None:
    pages = [[
        (Label.PARAGRAPH, FULL, (72, 600), "Body text.", {"meta": {"font_size": 10}}),
        (Label.PARAGRAPH, FULL, (700, 712), "² A superscript marker."),
        (Label.PARAGRAPH, FULL, (714, 726), "3 Smaller print.", {"meta": {"font_size": 8}}),
    ]]
    doc = footnotes(doc_of(pages))
    assert [b.label for b in doc.pages[0].blocks[1:]] == [Label.FOOTNOTE, Label.FOOTNOTE]
    assert "ref" not in doc.pages[0].blocks[1].meta


def test_marker_block_above_body_text_is_not_a_footnote() -> None:
    pages = [[
        (Label.PARAGRAPH, FULL, (500, 512), "¹ Looks like a footnote."),
        (Label.PARAGRAPH, FULL, (520, 700), "But body text follows below it."),
    ]]
    doc = footnotes(doc_of(pages))
    assert doc.pages[0].blocks[0].label == Label.PARAGRAPH


def test_duplicate_markers_warn() -> None:
    pages = [[
        (Label.PARAGRAPH, FULL, (72, 600), "Body."),
        (Label.FOOTNOTE, FULL, (700, 712), "* One."),
        (Label.FOOTNOTE, FULL, (714, 726), "* Two."),
    ]]
    doc = footnotes(doc_of(pages))
    assert any("two footnotes" in w for w in doc.warnings)


def test_engine_footnote_in_one_column_gets_marker_and_ref() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 600), "Insurance covers accidents1) and more."),
        (Label.FOOTNOTE, LEFT, (610, 640), "1) 손해보험의 표준약관 규정"),
        (Label.PARAGRAPH, (316, 558), (72, 760), "The right column runs lower than the footnote."),
    ]]
    doc = footnotes(doc_of(pages))
    fn = doc.pages[0].blocks[1]
    assert fn.label == Label.FOOTNOTE and fn.meta["marker"] == "1" and fn.meta["ref"] == "p0-b0"


def test_one_item_list_at_bottom_becomes_footnote_with_marker() -> None:
    from docparse.document import ListItem

    pages = [[
        (Label.PARAGRAPH, FULL, (72, 600), "See the source.3", {"meta": {"font_size": 10}}),
        (Label.LIST, FULL, (700, 712), "The source is x.", {"items": [ListItem("The source is x.", None, 0, "3")]}),
    ]]
    doc = footnotes(doc_of(pages))
    fn = doc.pages[0].blocks[1]
    assert fn.label == Label.FOOTNOTE and fn.items == [] and fn.text == "3 The source is x."
    assert fn.meta["ref"] == "p0-b0"
