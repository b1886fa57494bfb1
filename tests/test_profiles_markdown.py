"""The shared Markdown dialect reader and the JSON/Dolphin parsers on the constructs the families write."""

from __future__ import annotations

from docparse.document import Label
from docparse.geometry import PageSpace
from docparse.profiles import dotsocr, nanonets, olmocr
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.jsonish import loads_tolerant
from docparse.profiles.markdown import MarkdownDialect, read_markdown, unwrap_fence

SPACE = PageSpace(612.0, 792.0, 1008, 1288)


def read(text: str, dialect: MarkdownDialect = MarkdownDialect()):
    builder = BlockBuilder(SPACE, 0, "test")
    read_markdown(text, builder, dialect)
    return builder.reading().blocks


def test_display_math_in_both_notations_becomes_formulas_with_latex():
    blocks = read("Text with \\(x\\) inline.\n\n\\[\n\\frac{a}{b}\n\\]\n\n$$E = mc^2$$\n\n$$\na+b\n=c\n$$")
    assert [b.label for b in blocks] == [Label.PARAGRAPH, Label.FORMULA, Label.FORMULA, Label.FORMULA]
    assert blocks[0].text == "Text with \\(x\\) inline."
    assert [b.latex for b in blocks[1:]] == ["\\frac{a}{b}", "E = mc^2", "a+b\n=c"]


def test_code_and_mermaid_fences_keep_their_lines():
    blocks = read("```python\ndef f():\n    return 1\n```\n\n```mermaid\ngraph TD; A-->B\n```")
    assert [(b.label, b.format) for b in blocks] == [(Label.CODE, "python"), (Label.CODE, "mermaid")]
    assert blocks[0].text == "def f():\n    return 1"


def test_html_table_over_several_lines_with_text_after_it():
    blocks = read('<table>\n<tr><th colspan="2">H</th></tr>\n\n<tr><td>a</td><td>b</td></tr>\n</table> After.')
    assert [b.label for b in blocks] == [Label.TABLE, Label.PARAGRAPH]
    assert blocks[0].html == '<table><tr><th colspan="2">H</th></tr><tr><td>a</td><td>b</td></tr></table>'
    assert blocks[1].text == "After."


def test_unclosed_table_takes_the_rest_of_the_page():
    (table,) = read("<table><tr><td>1</td><td>2</td></tr><tr><td>3")
    assert table.label == Label.TABLE and table.text == "1\t2\n3"


def test_lists_with_levels_markers_and_continuations():
    (block,) = read("- one\n  - nested\n    more of it\n- two")
    assert block.label == Label.LIST and block.meta["ordered"] is False
    assert [(i.text, i.level) for i in block.items] == [("one", 0), ("nested more of it", 1), ("two", 0)]
    (ordered,) = read("1. first\n2) second")
    assert ordered.meta["ordered"] and [i.marker for i in ordered.items] == ["1.", "2)"]


def test_title_headings_rules_and_captions():
    blocks = read("# Title\n\n---\n\n## Section\n\nTable 2: Results.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                  "Table 3 shows more, in running text.")
    assert [b.label for b in blocks] == [Label.TITLE, Label.HEADING, Label.CAPTION, Label.TABLE, Label.PARAGRAPH]
    assert blocks[1].level == 2 and blocks[2].caption_for == blocks[3].id


def test_nanonets_tags_watermark_page_number_signature_and_check_boxes():
    text = ("<watermark>OFFICIAL COPY</watermark>\nName: ☑ yes ☐ no\n<signature>J. Smith</signature>"
            "<page_number>9/22</page_number>")
    blocks = nanonets.read_nanonets(text, SPACE).blocks
    assert [(b.label, b.meta.get("role")) for b in blocks] == [
        (Label.PARAGRAPH, "watermark"), (Label.PARAGRAPH, None), (Label.PARAGRAPH, "signature"),
        (Label.PAGE_NUMBER, None)]
    assert blocks[1].text == "Name: ☑ yes ☐ no" and blocks[3].order is None


def test_olmocr_front_matter_variants():
    fields, body, warnings = olmocr.split_front_matter("---\nprimary_language: null\nis_table: true\nfoo: 1\n---\nText")
    assert fields == {"primary_language": None, "is_table": True} and body == "Text"
    assert any("unknown field 'foo'" in w for w in warnings)
    fields, body, warnings = olmocr.split_front_matter("---\nprimary_language: en\nis_rot")
    assert fields == {"primary_language": "en"} and body == "" and any("not closed" in w for w in warnings)
    placeholder = olmocr.read_olmocr("---\n---\n![A chart](page_100_200_300_400.png)", SPACE).blocks[0]
    assert placeholder.meta["bbox"] == "placeholder"
    assert placeholder.bbox == SPACE.to_points((100, 200, 400, 600))


def test_tolerant_json_fences_lead_in_trailing_commas_and_truncation():
    assert loads_tolerant('Here:\n```json\n[{"a": 1,},]\n```') == ([{"a": 1}], False)
    value, salvaged = loads_tolerant('[{"a": 1}, {"b": 2}, {"c": "cut')
    assert value == [{"a": 1}, {"b": 2}] and salvaged
    assert loads_tolerant("no json here") == (None, False)


def test_unwrap_fence_only_strips_one_whole_answer_fence():
    assert unwrap_fence("```markdown\n# T\n```") == "# T\n"
    assert unwrap_fence("```python\nx\n```") == "```python\nx\n```"


def test_dotsocr_list_items_merge_and_page_footer_numbers():
    raw = ('[{"bbox":[10,10,500,40],"category":"List-item","text":"- a"},'
           '{"bbox":[10,50,500,80],"category":"List-item","text":"- b"},'
           '{"bbox":[10,1200,60,1230],"category":"Page-footer","text":"12"},'
           '{"bbox":[10,90,500,120],"category":"Weird","text":"x"}]')
    reading = dotsocr.read_dotsocr(raw, SPACE)
    labels = [b.label for b in reading.blocks]
    assert labels == [Label.LIST, Label.PAGE_NUMBER, Label.PARAGRAPH]
    assert [(i.text, i.marker) for i in reading.blocks[0].items] == [("a", "-"), ("b", "-")]
    assert any("Weird" in w for w in reading.warnings)
