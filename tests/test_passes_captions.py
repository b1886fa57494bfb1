from docparse.document import Label
from docparse.passes.captions import caption_kind, captions

from tests.test_passes_fixtures import FULL, LEFT, RIGHT, doc_of, find, make_report


def test_caption_kind() -> None:
    assert caption_kind("Table 2: Results") == {Label.TABLE}
    assert caption_kind("Fig. 3. A cat") == {Label.IMAGE, Label.CHART}
    assert caption_kind("Listing 1 Code") == {Label.CODE}
    assert caption_kind("Our results") is None


def test_report_captions_link_to_figure_and_table() -> None:
    doc = captions(make_report())
    fig_cap, tab_cap = find(doc, "Figure 1"), find(doc, "Table 1")
    assert fig_cap.caption_for == "p0-b4"
    assert tab_cap.caption_for == "p1-b4"
    assert doc.pages[1].blocks[4].meta["captions"] == [tab_cap.id]
    assert doc.warnings == []


def test_prefix_beats_distance() -> None:
    # A table caption that sits closer to a figure than to its table still goes to the table.
    pages = [[
        (Label.IMAGE, FULL, (72, 300)),
        (Label.CAPTION, FULL, (304, 318), "Table 4: Numbers."),
        (Label.TABLE, FULL, (340, 500), "a b", {"html": "<table><tr><td>a</td><td>b</td></tr></table>"}),
        (Label.CAPTION, FULL, (506, 520), "Figure 2: Picture."),
    ]]
    pages[0][0] = (Label.IMAGE, FULL, (72, 300), "")
    doc = captions(doc_of(pages))
    blocks = doc.pages[0].blocks
    assert blocks[1].caption_for == blocks[2].id
    assert blocks[3].caption_for == blocks[0].id


def test_two_columns_each_caption_its_own_figure() -> None:
    pages = [[
        (Label.IMAGE, LEFT, (100, 300), ""),
        (Label.IMAGE, RIGHT, (100, 300), ""),
        (Label.CAPTION, LEFT, (306, 320), "Figure 1: Left."),
        (Label.CAPTION, RIGHT, (306, 320), "Figure 2: Right."),
    ]]
    doc = captions(doc_of(pages))
    b = doc.pages[0].blocks
    assert (b[2].caption_for, b[3].caption_for) == (b[0].id, b[1].id)


def test_second_caption_block_joins_the_same_figure() -> None:
    pages = [[
        (Label.IMAGE, FULL, (100, 300), ""),
        (Label.CAPTION, FULL, (306, 320), "Figure 1: A long caption"),
        (Label.CAPTION, FULL, (322, 336), "that goes on in a second block."),
    ]]
    doc = captions(doc_of(pages))
    b = doc.pages[0].blocks
    assert b[1].caption_for == b[0].id and b[2].caption_for == b[0].id
    assert b[0].meta["captions"] == [b[1].id, b[2].id]


def test_paragraph_with_caption_prefix_is_promoted_but_citation_is_not() -> None:
    pages = [[
        (Label.IMAGE, FULL, (100, 300), ""),
        (Label.PARAGRAPH, FULL, (306, 320), "Figure 5: The plant at night."),
        (Label.PARAGRAPH, FULL, (340, 400), "Figure 5 shows the plant at night."),
    ]]
    doc = captions(doc_of(pages))
    b = doc.pages[0].blocks
    assert b[1].label == Label.CAPTION and b[1].caption_for == b[0].id
    assert b[2].label == Label.PARAGRAPH


def test_engine_link_is_kept_and_orphan_caption_warns() -> None:
    pages = [[
        (Label.IMAGE, FULL, (100, 300), ""),
        (Label.IMAGE, FULL, (320, 500), ""),
        (Label.CAPTION, FULL, (506, 520), "Figure 1: Given by the model.", {"caption_for": "p0-b0"}),
    ], [
        (Label.CAPTION, FULL, (506, 520), "Figure 9: Nothing here."),
    ]]
    doc = captions(doc_of(pages))
    assert doc.pages[0].blocks[2].caption_for == "p0-b0"
    assert doc.pages[1].blocks[0].caption_for is None
    assert any("p1-b0" in w for w in doc.warnings)


def test_example_caption_goes_to_code_or_monospaced_text_never_a_table() -> None:
    pages = [[
        (Label.TABLE, FULL, (72, 200), "a", {"html": "<table><tr><td>a</td></tr></table>"}),
        (Label.CAPTION, FULL, (300, 312), "Example 2-1   Query the view"),
        (Label.PARAGRAPH, FULL, (316, 400), "SELECT * FROM T", {"meta": {"mono": True}}),
        (Label.CAPTION, FULL, (500, 512), "Example 2-2   Not linked"),
        (Label.PARAGRAPH, FULL, (516, 600), "Plain prose.", {"meta": {"mono": False}}),
    ]]
    doc = captions(doc_of(pages))
    b = doc.pages[0].blocks
    assert b[1].caption_for == b[2].id
    assert b[3].caption_for is None
    assert "captions" not in b[0].meta


def test_engine_link_of_the_wrong_kind_is_redone() -> None:
    pages = [[
        (Label.TABLE, FULL, (72, 200), "a", {"html": "<table><tr><td>a</td></tr></table>"}),
        (Label.CAPTION, FULL, (210, 222), "Figure 3: A plot.", {"caption_for": "p0-b0"}),
        (Label.IMAGE, FULL, (300, 500), ""),
    ]]
    doc = captions(doc_of(pages))
    assert doc.pages[0].blocks[1].caption_for == "p0-b2"


def test_caption_that_is_a_citing_sentence_is_demoted() -> None:
    pages = [[
        (Label.CAPTION, FULL, (72, 100), "Table 3-2 lists the nine built-in global variables."),
        (Label.CAPTION, FULL, (110, 120), "Table 3-2   Built-in global variables"),
        (Label.TABLE, FULL, (130, 300), "a", {"html": "<table><tr><td>a</td></tr></table>"}),
    ]]
    doc = captions(doc_of(pages))
    b = doc.pages[0].blocks
    assert b[0].label == Label.PARAGRAPH and b[0].caption_for is None
    assert b[1].caption_for == b[2].id
