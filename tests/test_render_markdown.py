from __future__ import annotations

import pytest

from docparse.document import Block, Document, EngineInfo, Label, ListItem, Page, SourceInfo
from docparse.output.assets import image_links
from docparse.render.markdown import escape_line, has_merged_cells, render_markdown, table_rows
from tests.test_render_sample import sample_document


@pytest.fixture(scope="module")
def md() -> str:
    doc = sample_document()
    return render_markdown(doc, images=image_links(doc, "assets"))


@pytest.fixture(scope="module")
def lines(md: str) -> list[str]:
    return md.splitlines()


def one(blocks: list[Block]) -> str:
    return render_markdown(Document(SourceInfo(), EngineInfo("t"), [Page(0, 600, 800, blocks)]))


def test_headings(lines: list[str]) -> None:
    assert lines[0] == "# A \\<script>alert('x')\\</script> Title"
    assert "## # Not a heading" in lines  # inline text: a "#" after the marker is just text
    assert one([Block("b", Label.HEADING, (0, 0, 1, 1), "1. Intro _x_", level=2, order=0)]) == "## 1. Intro \\_x\\_\n"
    assert one([Block("b", Label.HEADING, (0, 0, 1, 1), "Deep", level=9, order=0)]) == "###### Deep\n"
    assert one([Block("b", Label.HEADING, (0, 0, 1, 1), "C #", level=3, order=0)]) == "### C \\#\n"


def test_paragraph_escaping(lines: list[str]) -> None:
    i = lines.index("Plain \\*stars\\* and \\_under\\_ and [link\\](javascript:alert(1)) \\<img src=x onerror=alert(1)>")
    assert lines[i + 1] == "1\\. not a list"
    assert lines[i + 2] == "\\- not a bullet & \\&amp; entity"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("# x", "\\# x"),
        ("> quote", "\\> quote"),
        ("+ item", "\\+ item"),
        ("===", "\\==="),
        ("    indented", "indented"),
        ("12) step", "12\\) step"),
        ("2024. A year", "2024\\. A year"),
        ("3.14 is pi", "3.14 is pi"),
        ("`code` and ~~strike~~", "\\`code\\` and \\~\\~strike\\~\\~"),
        ("a\\b", "a\\b"),  # a backslash before a letter is literal
        ("C:\\path\\", "C:\\path\\\\"),  # ... but not at the end of a line (a hard break)
        ("a\\*", "a\\\\\\*"),
        ("snake_case and _emph_", "snake_case and \\_emph\\_"),
        ("see [1] and [2, 3]", "see [1] and [2, 3]"),
        ("[text](http://x) [ref][r] [def]: u", "[text\\](http://x) [ref\\][r] [def\\]: u"),
        ("a < b <c> <!-- x", "a < b \\<c> \\<!-- x"),
        ("|---|---|", "\\|---\\|---\\|"),
        (":-- | --:", ":-- \\| --:"),
        ("a | b", "a | b"),
        ("AT&T", "AT&T"),
        ("&copy;", "\\&copy;"),
    ],
)
def test_escape_line(text: str, expected: str) -> None:
    assert escape_line(text) == expected


def test_nested_list(lines: list[str]) -> None:
    i = lines.index("1. First")
    assert lines[i : i + 5] == ["1. First", "   - Nested a", "   - Nested b", "     - Deep", "2. Second"]


def test_list_without_items_uses_lines_and_escapes() -> None:
    out = one([Block("b", Label.LIST, (0, 0, 1, 1), "alpha\n# beta\n", order=0)])
    assert out == "- alpha\n- \\# beta\n"


def test_gfm_table_with_caption_before(lines: list[str]) -> None:
    i = lines.index("| Name | Value |")
    assert lines[i + 1] == "| --- | --- |"
    assert lines[i + 2] == "| a\\|b | 1 |"
    assert lines[i - 2] == "*Table 1: simple*" and lines[i - 1] == ""


def test_table_with_colspan_is_sanitized_html(md: str) -> None:
    table_line = next(line for line in md.splitlines() if line.startswith("<table>") and "Merged" in line)
    assert '<th colspan="2">Merged</th>' in table_line
    lowered = table_line.lower()
    for bad in ("onclick", "onerror", "onload", "style=", "javascript", "<svg", "<iframe", "<script", "data:text"):
        assert bad not in lowered, bad


def test_table_rows_and_merged_detection() -> None:
    assert table_rows("<table><tr><td>a</td><td>b\n c</td></tr></table>") == [["a", "b c"]]
    assert has_merged_cells('<table><tr><td rowspan="2">a</td></tr></table>')
    assert not has_merged_cells('<table><tr><td rowspan="1" colspan="x">a</td></tr></table>')
    assert has_merged_cells("<table><tr><td><table><tr><td>n</td></tr></table></td></tr></table>")


def test_ragged_table_is_padded() -> None:
    html = "<table><tr><td>a</td></tr><tr><td>b</td><td>c</td></tr></table>"
    out = one([Block("b", Label.TABLE, (0, 0, 1, 1), "a b c", html=html, order=0)])
    assert out.splitlines() == ["| a |  |", "| --- | --- |", "| b | c |"]


def test_table_without_html_falls_back_to_text() -> None:
    assert one([Block("b", Label.TABLE, (0, 0, 1, 1), "just | text", order=0)]) == "just | text\n"


def test_formulas(md: str) -> None:
    assert "$$\nE = mc^2\n$$" in md
    assert "$$\na + b = c\n$$" in md  # no latex: the text
    assert one([Block("b", Label.FORMULA, (0, 0, 1, 1), "x", latex="$$x^2$$", order=0)]) == "$$\nx^2\n$$\n"


def test_code_fence_longer_than_backticks_inside(md: str) -> None:
    assert "````\ndef f():\n    return '<b>'  # ```\n````" in md


def test_music_and_chemistry_fenced(md: str) -> None:
    assert "```abc\nX:1\nK:C\nCDEF\n```" in md
    assert "```smiles\nC1=CC=CC=C1\n```" in md


def test_image_link_then_caption(lines: list[str]) -> None:
    i = lines.index("![Figure 1: a plot](assets/p1-b10.png)")
    assert lines[i + 2] == "*Figure 1: a plot*"
    assert lines.count("*Figure 1: a plot*") == 1


def test_chart_image_and_data(lines: list[str]) -> None:
    i = lines.index("![Figure](assets/p1-b12.png)")
    assert lines[i + 2] == "| Year | Sales |"


def test_without_images_no_links_but_captions() -> None:
    out = render_markdown(sample_document())
    assert "![" not in out
    assert "*Figure 1: a plot*" in out


def test_image_dir_with_spaces_is_encoded() -> None:
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 9, 9, [Block("../x y", Label.IMAGE, (0, 0, 1, 1), order=0)])])
    out = render_markdown(doc, images=image_links(doc, "my assets (1)"))
    link = out.strip()
    assert link.startswith("![Figure](my%20assets%20%281%29/") and link.endswith(".png)")
    assert ".." not in link and " " not in link


def test_footnote_kept(lines: list[str]) -> None:
    assert "1 A footnote." in lines


def test_furniture_omitted_by_default(md: str) -> None:
    for text in ("Journal of", "Footer text"):
        assert text not in md
    assert "\n1\n" not in md and "\n2\n" not in md


def test_furniture_kept_on_request() -> None:
    out = render_markdown(sample_document(), furniture=True).splitlines()
    assert out[0] == "Journal of \\<i>Tests\\</i>"
    assert out.index("Footer text") < out.index("2") < out.index("Second page.")


def test_page_separators() -> None:
    out = render_markdown(sample_document(), page_separators=True).splitlines()
    assert out[0] == "<!-- page 1 -->"
    assert out.index("<!-- page 2 -->") < out.index("Second page.")
    assert "<!-- page 3 -->" in out  # the failed page is still marked
    assert "<!--" not in render_markdown(sample_document())


def test_unordered_body_block_is_kept_and_empty_doc() -> None:
    assert one([Block("b", Label.PARAGRAPH, (0, 0, 1, 1), "no order")]) == "no order\n"
    assert render_markdown(Document(SourceInfo(), EngineInfo("t"))) == ""


def test_ordered_list_keeps_numbers() -> None:
    items = [ListItem("c", marker="3."), ListItem("d", marker="4)"), ListItem("x", level=1, marker="a)")]
    assert one([Block("b", Label.LIST, (0, 0, 1, 1), items=items, order=0)]) == "3. c\n4. d\n   - x\n"


def test_document_convenience_matches() -> None:
    doc = sample_document()
    assert doc.to_markdown(image_dir="assets") == render_markdown(doc, images=image_links(doc, "assets"))
    assert doc.to_markdown(embed_images=False) == render_markdown(doc)


def test_image_text_kept_only_without_a_link() -> None:
    block = Block("p0-b0", Label.IMAGE, (0, 0, 1, 1), "Words in a picture", order=0)
    assert one([block]) == "Words in a picture\n"
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 600, 800, [block])])
    assert render_markdown(doc, images=image_links(doc, "a")) == "![Figure](a/p1-b0.png)\n"
