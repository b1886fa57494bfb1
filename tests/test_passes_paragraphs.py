from docparse.document import Label
from docparse.passes.footnotes import footnotes
from docparse.passes.furniture import furniture
from docparse.passes.paragraphs import Vocabulary, join_texts, keep_hyphen, paragraphs

from tests.test_passes_fixtures import LEFT, RIGHT, doc_of, find, make_report

EMPTY = Vocabulary([])


def test_report_paragraph_joined_across_column_and_page() -> None:
    doc = paragraphs(footnotes(furniture(make_report())))  # the footnote is skipped like a float
    head = find(doc, "This report")
    assert "a new document and turns it" in head.text
    assert "state-of-the-art and fast." in head.text
    assert head.text.endswith("Each page is read once.")
    assert head.continuation.pages == [0, 1]
    assert head.continuation.part_ids == ["p0-b6", "p1-b1"]
    assert head.continuation.own_text.endswith("new docu-")
    for stub_id in ("p0-b6", "p1-b1"):
        stub = next(b for p in doc.pages for b in p.blocks if b.id == stub_id)
        assert stub.continuation.head_id == head.id and stub.order is None
    # The next paragraph starts a sentence: not joined.
    assert not find(doc, "Sales grew").is_continuation


def test_keep_hyphen_rules() -> None:
    assert keep_hyphen("state-of-the", "art", EMPTY)  # compound
    assert not keep_hyphen("docu", "ment", EMPTY)  # suffix
    assert not keep_hyphen("infor", "mation", EMPTY)  # syllable break
    assert keep_hyphen("well", "known", EMPTY)  # two words
    assert keep_hyphen("e", "mail", EMPTY)
    assert keep_hyphen("Anglo", "Saxon", EMPTY)
    assert keep_hyphen("COVID", "19", EMPTY)


def test_document_vocabulary_decides() -> None:
    vocab = Vocabulary(["Our framework uses a multi-layer design.", "We need some rethinking of the whole."])
    assert keep_hyphen("multi", "layer", vocab)  # written hyphenated elsewhere
    assert not keep_hyphen("re", "thinking", vocab)  # "rethinking" occurs unhyphenated
    # A fragment at a line end does not count as a word of the document.
    vocab2 = Vocabulary(["a new docu-", "ment here"])
    assert "docu" not in vocab2.words and "ment" not in vocab2.words


def test_join_texts() -> None:
    assert join_texts("a new docu-", "ment is", EMPTY) == "a new document is"
    assert join_texts("are state-of-the-", "art and", EMPTY) == "are state-of-the-art and"
    assert join_texts("and the", "rest", EMPTY) == "and the rest"
    assert join_texts("soft hyphen docu\u00ad", "ment", EMPTY) == "soft hyphen document"
    assert join_texts("a pause—", "then", EMPTY) == "a pause—then"


def test_sentence_end_or_capital_start_is_not_joined() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 700), "The first column ends a sentence."),
        (Label.PARAGRAPH, RIGHT, (72, 700), "and this looks like a continuation."),
        (Label.PARAGRAPH, LEFT, (72, 700), "No punctuation here"),
    ], [
        (Label.PARAGRAPH, LEFT, (72, 300), "New paragraph on a new page."),
    ]]
    doc = paragraphs(doc_of(pages))
    assert all(not b.is_continuation for p in doc.pages for b in p.blocks)


def test_same_column_blocks_are_not_joined() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 200), "A label without a stop"),
        (Label.PARAGRAPH, LEFT, (210, 400), "lowercase text below it in the same column."),
    ]]
    doc = paragraphs(doc_of(pages))
    assert doc.pages[0].blocks[0].text == "A label without a stop"


def test_heading_between_is_not_skipped_and_fonts_must_agree() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 700), "ends without a stop", {"meta": {"font_size": 10}}),
        (Label.PARAGRAPH, RIGHT, (72, 700), "but bigger text.", {"meta": {"font_size": 14}}),
    ], [
        (Label.PARAGRAPH, LEFT, (72, 700), "ends again without a stop"),
        (Label.HEADING, RIGHT, (72, 90), "2 Methods"),
        (Label.PARAGRAPH, RIGHT, (100, 700), "lowercase start"),
    ]]
    doc = paragraphs(doc_of(pages))
    assert all(not b.is_continuation for p in doc.pages for b in p.blocks)


def test_caseless_script_and_caption_like_paragraph_between() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 700), "현행 감염병 분류체계를 개"),
        (Label.PARAGRAPH, RIGHT, (72, 300), "정된 법에서 변경되었다."),
        (Label.PARAGRAPH, RIGHT, (310, 700), "We rationalize the selectivity and"),
    ], [
        (Label.PARAGRAPH, LEFT, (72, 90), "Scheme 2. Influence of the substituent"),
        (Label.PARAGRAPH, LEFT, (100, 300), "the effect of the silyl group."),
    ]]
    doc = paragraphs(doc_of(pages))
    b = doc.pages[0].blocks
    assert b[0].text == "현행 감염병 분류체계를 개 정된 법에서 변경되었다."
    assert b[2].text == "We rationalize the selectivity and the effect of the silyl group."
    assert not doc.pages[1].blocks[0].is_continuation


def test_cjk_joins_without_space() -> None:
    assert join_texts("这是一个", "句子。", EMPTY) == "这是一个句子。"
    assert join_texts("한국어", "문장", EMPTY) == "한국어 문장"


def test_line_end_hyphens_inside_a_block() -> None:
    from docparse.passes.paragraphs import dehyphenate_lines

    vocab = Vocabulary(["The metric is gravi-\nmetric and well-\nknown.", "An operation."])
    assert "metric" in vocab.words and "gravi" not in vocab.words
    assert dehyphenate_lines("a gravi-\nmetric test", vocab) == "a gravimetric test"
    assert dehyphenate_lines("the state-of-the-\nart", vocab) == "the state-of-the-art"
    assert dehyphenate_lines("a well-\nknown fact", vocab) == "a well-known fact"
    assert dehyphenate_lines("a co-\noperation", vocab) == "a co-operation"
    assert dehyphenate_lines("COVID-\n19 cases", vocab) == "COVID-19 cases"
    assert dehyphenate_lines("no hyphen\nhere", vocab) == "no hyphen\nhere"


def test_paragraph_pass_fixes_line_ends_in_block_text_and_items() -> None:
    pages = [[
        (Label.PARAGRAPH, LEFT, (72, 200), "The infor-\nmation is here."),
        (Label.TABLE, LEFT, (210, 300), "keep-\nthis"),
    ]]
    doc = paragraphs(doc_of(pages))
    assert doc.pages[0].blocks[0].text == "The information is here."
    assert doc.pages[0].blocks[1].text == "keep-\nthis"


def test_no_join_over_pages_left_out_of_the_range() -> None:
    doc = doc_of([[(Label.PARAGRAPH, LEFT, (72, 700), "ends with the")], [(Label.PARAGRAPH, LEFT, (72, 700), "next page")]])
    doc.pages[1].index = 5
    for b in doc.pages[1].blocks:
        b.page = 5
    paragraphs(doc)
    assert doc.pages[0].blocks[0].text == "ends with the"
