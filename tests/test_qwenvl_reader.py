"""QwenVL HTML reader: real model outputs, every tag of the dialect, broken output, hostile markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docparse.document import Label
from docparse.geometry import PageSpace
from docparse.qwenvl.reader import read_qwenvl
from docparse.qwenvl.tables import sanitize_table_html

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "qwenvl"
SHARED = REPO / ".." / "shared"
EXAMPLES = SHARED / "qwenvl-examples"
CORPUS_COPY = SHARED / "corpus" / "qwen2.5-vl" / "docparsing_example6.qwenvl_output.html"

P, H, IMG, CAP, FORM, T = Label.PARAGRAPH, Label.HEADING, Label.IMAGE, Label.CAPTION, Label.FORMULA, Label.TITLE
COOKBOOK_LABELS = [H, P, IMG, H, P, P, P, IMG, P]

#: file -> (labels in reading order). The blog images' sizes are not published: those pages are
#: read in a pixel space just large enough for their boxes (see ``_space_for``).
EXPECTED = {
    "blog_docparsing1_qwenvl_html.html": [P] * 16,
    "blog_docparsing2_qwenvl_html_formulas.html": [
        FORM, P, P, IMG, P, IMG, P, H, P, IMG, P, IMG, P, P, P, P, FORM, P, P, FORM, P, FORM,
    ],
    "blog_docparsing4_qwenvl_html_paper.html": [T, P, IMG, P, IMG, P, IMG, P, H, P, P, P, IMG, P],
    "blog_docparsing6_qwenvl_html_with_image_caption.html": [IMG, CAP, P, H, P, P, P, P, P, P],
    "cookbook_docparsing_example6_qwenvl_html_72B.html": COOKBOOK_LABELS,
}  # fmt: skip

COOKBOOK_SPACE = PageSpace(1014, 1532, 1008, 1540)  # original 1014x1532 image, model input 1008x1540


def _space_for(raw: str) -> PageSpace:
    nums = [int(v) for box in re.findall(r'data-bbox="([\d ]+)"', raw) for v in box.split()]
    w = (max(nums[0::2]) // 28 + 1) * 28
    h = (max(nums[1::2]) // 28 + 1) * 28
    return PageSpace(w / 2, h / 2, w, h)  # points = half the pixels


def _example(name: str) -> str:
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared is absent)")
    return path.read_text(encoding="utf-8")


def _fixture(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _check_invariants(result, space: PageSpace) -> None:
    """What every read must satisfy, whatever the input."""
    orders = []
    for i, b in enumerate(result.blocks):
        assert b.id == f"p0-b{i}"
        x0, y0, x1, y1 = b.bbox
        assert 0 <= x0 <= x1 <= space.width_pt + 1e-6 and 0 <= y0 <= y1 <= space.height_pt + 1e-6
        assert isinstance(b.text, str)
        if b.order is not None:
            orders.append(b.order)
        if b.html is not None:
            assert sanitize_table_html(b.html) == b.html  # canonical and allowlisted
        if b.caption_for is not None:
            assert any(o.id == b.caption_for for o in result.blocks)
    assert orders == list(range(len(orders)))
    assert all(isinstance(w, str) for w in result.warnings)


# -- the real model outputs ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_examples_read_cleanly(name: str) -> None:
    raw = _example(name)
    space = COOKBOOK_SPACE if "cookbook" in name else _space_for(raw)
    result = read_qwenvl(raw, space)
    assert [b.label for b in result.blocks] == EXPECTED[name]
    assert result.warnings == []
    assert not result.truncated
    assert all(b.text for b in result.blocks if b.label not in (IMG,))
    _check_invariants(result, space)


def test_corpus_copy_of_cookbook_output() -> None:
    if not CORPUS_COPY.is_file():
        pytest.skip(f"{CORPUS_COPY} is not present (../shared/corpus is absent)")
    result = read_qwenvl(CORPUS_COPY.read_text(encoding="utf-8"), COOKBOOK_SPACE)
    assert [b.label for b in result.blocks] == COOKBOOK_LABELS
    assert result.warnings == []


def test_cookbook_title_box_maps_to_the_original_image() -> None:
    result = read_qwenvl(_example("cookbook_docparsing_example6_qwenvl_html_72B.html"), COOKBOOK_SPACE)
    first = result.blocks[0]
    assert first.label == Label.HEADING and first.level == 2
    assert first.text == "Qwen2.5 Technical Report"
    assert first.bbox == pytest.approx((311.8, 93.5, 661.9, 131.3), abs=0.5)


def test_real_examples_details() -> None:
    paper = read_qwenvl(_example("blog_docparsing4_qwenvl_html_paper.html"), PageSpace(2296, 3304, 2296, 3304))
    # the empty <p data-bbox> before <address> lends its box to the author line
    author = paper.blocks[1]
    assert author.text == "Qwen Team" and author.meta == {"role": "author"}
    assert author.bbox == (1124, 406, 1360, 456)
    assert paper.blocks[0].label == Label.TITLE and paper.blocks[0].level is None

    raw = _example("blog_docparsing6_qwenvl_html_with_image_caption.html")
    caption = read_qwenvl(raw, PageSpace(1260, 1400, 1260, 1400))
    image, cap = caption.blocks[0], caption.blocks[1]
    assert cap.caption_for == image.id and cap.text.startswith("This is an image of a magazine cover")
    assert image.text == "" and cap.bbox == image.bbox

    formulas = read_qwenvl(_example("blog_docparsing2_qwenvl_html_formulas.html"), PageSpace(2072, 2856, 2072, 2856))
    first = formulas.blocks[0]
    assert first.latex == r"h=D \tan \theta \approx D \theta=D \frac{\lambda}{2 L}"
    assert "$D$" in formulas.blocks[1].text  # inline math kept verbatim
    with_words = formulas.blocks[16]  # the formula div that also holds "暗环条件为 $...$"
    assert with_words.latex.startswith(r"\delta=2 e+") and "暗环条件为" in with_words.text

    german = read_qwenvl(_example("blog_docparsing1_qwenvl_html.html"), PageSpace(2044, 2828, 2044, 2828))
    assert german.blocks[0].text == "${ }^{8}$ das Phon: 吋 (响度单位)"  # separators " \n " and <p></p> gone


# -- every element of the dialect ----------------------------------------------------------------
def test_all_elements_fixture() -> None:
    space = PageSpace(500, 600, 1000, 1200)
    result = read_qwenvl(_fixture("all_elements.html"), space)
    assert result.warnings == []
    labels = [b.label for b in result.blocks]
    assert labels == [
        Label.TITLE, P, H, P, Label.LIST, Label.TABLE, Label.CHART, FORM, FORM, IMG, CAP, IMG,
        Label.MUSIC, Label.CHEMISTRY, IMG,
    ]  # fmt: skip
    b = {i: blk for i, blk in enumerate(result.blocks)}
    assert b[0].bbox == (50, 20, 450, 45)  # pixels / 2
    assert b[1].meta["role"] == "author"
    assert b[2].level == 3 and b[2].text == "1.2 Methods"
    assert b[3].text == "Inline math $E=mc^2$ stays in the text."
    items = b[4].items
    assert [(i.text, i.level) for i in items] == [("first item", 0), ("second item", 0), ("nested item", 1)]
    assert items[2].bbox == (50, 165, 460, 180) and b[4].meta["ordered"] is True
    assert b[5].html == (
        "<table><thead><tr><th>Name</th><th>Value</th></tr></thead>"
        '<tbody><tr><td rowspan="2">a</td><td>1</td></tr><tr><td>2</td></tr></tbody></table>'
    )
    assert b[5].text == "Name\tValue\na\t1\n2"
    assert b[6].html == "<table><tr><td>2023</td><td>5</td></tr></table>" and b[6].text == "2023\t5"
    assert b[7].latex == r"\int_0^1 x\,dx = \frac{1}{2}" and b[7].meta["variant"] == "machine_printed"
    assert b[8].bbox == (260, 275, 460, 300) and b[8].meta["variant"] == "handwritten"  # from data-polygon
    assert b[10].caption_for == b[9].id and b[10].text == "A photo of a cat on a mat."
    assert b[11].text == "STOP"
    assert b[12].format == "abc" and b[12].text == "X:1\nK:C\nCDEF GABc|"
    assert b[13].format == "smiles" and b[13].text == "C1=CC=CC=C1"
    assert b[14].text == ""
    _check_invariants(result, space)


def test_envelopes_are_optional() -> None:
    space = PageSpace(100, 100, 100, 100)
    body = '<p data-bbox="1 2 30 40">hello</p>'
    for raw in (
        body,
        f"<html><body>{body}</body></html>",
        f"```html\n<html><body>\n{body}\n</body></html>\n```",
        f"Here is the page:\n```html\n{body}\n```\nAnything else?",
        f"```\n{body}\n```",
        f"<html><body>{body}</html></body>",  # the technical report's order
    ):
        result = read_qwenvl(raw, space)
        assert [(b.label, b.text, b.bbox) for b in result.blocks] == [(P, "hello", (1, 2, 30, 40))], raw
        assert result.warnings == [], raw


def test_ids_order_source_and_page() -> None:
    raw = (
        '<p data-bbox="1 1 9 9">a</p><p data-label="page_number" data-bbox="1 90 9 99">7</p>'
        '<p data-bbox="1 10 9 19">b</p>'
    )
    result = read_qwenvl(raw, PageSpace(100, 100, 100, 100), page_index=3, source="remote")
    assert [b.id for b in result.blocks] == ["p3-b0", "p3-b1", "p3-b2"]
    assert [b.order for b in result.blocks] == [0, None, 1]
    assert {b.source for b in result.blocks} == {"remote"} and {b.page for b in result.blocks} == {3}
    assert result.blocks[1].label == Label.PAGE_NUMBER


def test_headings_and_title_rule() -> None:
    space = PageSpace(100, 100, 100, 100)
    raw = "".join(f'<h{n} data-bbox="0 {50 + n} 10 {52 + n}">H{n}</h{n}>' for n in range(1, 7))
    result = read_qwenvl(raw, space)
    assert [(b.label, b.level) for b in result.blocks] == [(H, n) for n in range(1, 7)]  # h1 low on the page
    top = read_qwenvl('<h1 data-bbox="0 5 10 9">T</h1><h1 data-bbox="0 10 10 14">S</h1>', space)
    assert [b.label for b in top.blocks] == [T, H]  # only the first top h1 is the title
    after = read_qwenvl('<h2 data-bbox="0 1 10 4">A</h2><h1 data-bbox="0 5 10 9">B</h1>', space)
    assert [b.label for b in after.blocks] == [H, H]
    hinted = read_qwenvl('<h1 data-label="heading" data-bbox="0 5 10 9">T</h1>', space)
    assert (hinted.blocks[0].label, hinted.blocks[0].level) == (H, 1)


# -- broken output ---------------------------------------------------------------------------------
def test_truncated_mid_text_keeps_what_is_complete() -> None:
    result = read_qwenvl(_fixture("truncated.html"), PageSpace(1000, 1000, 1000, 1000))
    assert [b.text for b in result.blocks][:2] == ["Results", "The first paragraph is complete."]
    assert result.truncated and result.blocks[-1].meta.get("truncated") is True
    assert any("cut off" in w for w in result.warnings)


@pytest.mark.parametrize(
    "tail",
    ['<img src="path_to_image_5', '<p data-bbox="100 210 90', "<p", "</", "<", '<div class="image caption" data-b'],
)
def test_truncated_mid_tag_or_attribute(tail: str) -> None:
    raw = '```html\n<html><body>\n<p data-bbox="1 2 30 40">complete</p>\n' + tail
    result = read_qwenvl(raw, PageSpace(100, 100, 100, 100))
    assert [b.text for b in result.blocks] == ["complete"]
    assert result.truncated and any("unfinished tag" in w for w in result.warnings)


def test_boxes_swapped_outside_missing_garbled() -> None:
    space = PageSpace(50, 50, 100, 100)
    swapped = read_qwenvl('<p data-bbox="80 90 10 20">x</p>', space)
    assert swapped.blocks[0].bbox == (5, 10, 40, 45) and "swapped" in swapped.warnings[0]
    outside = read_qwenvl('<p data-bbox="-10 5 150 40">x</p>', space)
    assert outside.blocks[0].bbox == (0, 2.5, 50, 20) and "clamped" in outside.warnings[0]
    garbled = read_qwenvl('<p data-bbox="12 x 4">x</p>', space)
    assert garbled.blocks[0].bbox == (0, 0, 50, 50) and "unreadable" in garbled.warnings[0]
    missing = read_qwenvl("<h2>x</h2>", space)
    assert missing.blocks[0].bbox == (0, 0, 50, 50) and "no data-bbox" in missing.warnings[0]
    children = read_qwenvl('<div class="image"><img data-bbox="10 10 20 20"/></div>', space)
    assert children.blocks[0].bbox == (5, 5, 10, 10) and children.warnings == []
    dropped = read_qwenvl('<div class="image"></div><p></p><p data-bbox="1 1 2 2"></p><h3></h3>', space)
    assert dropped.blocks == [] and dropped.warnings == []
    floats = read_qwenvl('<p data-bbox="[10.5, 20, 30, 40]">x</p>', space)
    assert floats.blocks[0].bbox == (5.25, 10, 15, 20) and floats.warnings == []


def test_unknown_elements_become_paragraphs_with_a_warning() -> None:
    space = PageSpace(100, 100, 100, 100)
    result = read_qwenvl(
        '<div class="text" data-bbox="1 1 9 9">qwen3 style</div>'
        '<section><p data-bbox="1 10 9 19">in a section</p></section>'
        '<blockquote data-bbox="1 20 9 29">quoted</blockquote><foo data-bbox="1 30 9 39">custom</foo> loose'
        '<p data-label="nonsense" data-bbox="1 40 9 49">odd hint</p>',
        space,
    )
    assert [(b.label, b.text) for b in result.blocks] == [
        (P, "qwen3 style"), (P, "in a section"), (P, "quoted"), (P, "custom loose"), (P, "odd hint"),
    ]  # fmt: skip
    assert any('unknown element <div class="text">' in w for w in result.warnings)
    assert any("outside any block element" in w for w in result.warnings)
    assert any('unknown data-label "nonsense"' in w for w in result.warnings)
    assert result.blocks[3].bbox == (1, 30, 9, 39)


def test_latex_less_than_is_text_not_a_tag() -> None:
    raw = '<p data-bbox="1 1 9 9">if $x<y$ and $a <b$ then</p><p data-bbox="1 10 9 19">next</p>'
    result = read_qwenvl(raw, PageSpace(100, 100, 100, 100))
    assert [b.text for b in result.blocks] == ["if $x<y$ and $a <b$ then", "next"]


def test_prose_answer_becomes_one_paragraph() -> None:
    result = read_qwenvl("I cannot parse this image.", PageSpace(100, 100, 100, 100))
    assert [(b.label, b.text, b.bbox) for b in result.blocks] == [(P, "I cannot parse this image.", (0, 0, 100, 100))]
    assert result.warnings
    assert read_qwenvl("", PageSpace(100, 100, 100, 100)).blocks == []


# -- security ----------------------------------------------------------------------------------------
def test_hostile_table_is_sanitized() -> None:
    result = read_qwenvl(_fixture("hostile_table.html"), PageSpace(400, 400, 400, 400))
    (table,) = result.blocks
    assert table.html == (
        '<table><tr><td colspan="2">link cell</td></tr><tr><td>b</td><th>c &lt;script&gt;</th></tr></table>'
    )
    lowered = table.html.lower()
    for bad in ("script>", "onclick", "onerror", "onmouseover", "javascript", "style", "iframe", "href", "<a", "<img"):
        assert bad not in lowered.replace("&lt;script&gt;", "")


_ALLOWED_TAGS = {"table", "thead", "tbody", "tr", "th", "td"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            ["<tr>", "</tr>", "<td>", "</td>", "<th colspan='2'>", "<td rowspan=\"3\" onclick='x'>", "<script>",
             "</script>", "alert(1)", "<a href='javascript:x'>", "</a>", "<style>", "</style>", "<tbody>",
             "<thead>", "</tbody>", "<table>", "</table>", "<img src=x onerror=y>", "<svg onload=z>", "text",
             "&lt;", "<td style='x'>", "<caption>c</caption>", "<iframe>", "<!--", "-->", "<b>", "\"", "'"]
        ),
        max_size=40,
    )
)  # fmt: skip
def test_sanitizer_allowlist_property(parts: list[str]) -> None:
    html = sanitize_table_html("<table>" + "".join(parts) + "</table>")
    if html is None:
        return
    assert sanitize_table_html(html) == html  # idempotent
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name in _ALLOWED_TAGS
        assert set(tag.attrs) <= {"rowspan", "colspan"}
        assert all(str(v).isdigit() for v in tag.attrs.values())


# -- fuzz: never raises ------------------------------------------------------------------------------
FUZZ_SPACE = PageSpace(612, 792, 1008, 1316)


def _all_raw_examples() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(DATA.glob("*.html"))]
    if EXAMPLES.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.html"))]
    if CORPUS_COPY.is_file():
        texts.append(CORPUS_COPY.read_text(encoding="utf-8"))
    return texts


RAW_EXAMPLES = _all_raw_examples()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzz_random_text(raw: str) -> None:
    _check_invariants(read_qwenvl(raw, FUZZ_SPACE), FUZZ_SPACE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_truncated_real_outputs(data: st.DataObject) -> None:
    raw = data.draw(st.sampled_from(RAW_EXAMPLES))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    result = read_qwenvl(raw[:cut], FUZZ_SPACE)
    _check_invariants(result, FUZZ_SPACE)
    full = read_qwenvl(raw, FUZZ_SPACE)
    assert len(result.blocks) <= len(full.blocks) + 1  # a cut never invents content


_FRAGMENTS = [
    "<p", ">", "</p>", '<p data-bbox="1 2 3 4">', 'data-bbox="9 8 7 6"', '<div class="image caption">', "</div>",
    "<ol>", "<li>", "</li>", "</ol>", "<table>", "<tr><td>", "</table>", "$$", "$x<y$", "<h1>", "</h1>",
    '<div class="formula">', "<img/>", "```html\n", "```", "<html><body>", "</body></html>", "<style>", "&amp;",
    "<!--", "-->", 'data-label="footer"', '<div class="music sheet" format="abc notation">', "\n", " ", "text",
    '<p data-bbox="-5 99999 1e9 x">', "<address class=\"author\">", "<script>alert(1)</script>", "<", "\x00",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=60))
def test_fuzz_markup_fragments(parts: list[str]) -> None:
    _check_invariants(read_qwenvl("".join(parts), FUZZ_SPACE), FUZZ_SPACE)


def test_deep_nesting_does_not_raise() -> None:
    raw = "<div>" * 3000 + '<p data-bbox="1 1 5 5">deep</p>' + "</div>" * 3000
    result = read_qwenvl(raw, FUZZ_SPACE)
    _check_invariants(result, FUZZ_SPACE)
    raw_list = "<ol>" * 2000 + "<li>x</li>" + "</ol>" * 2000
    _check_invariants(read_qwenvl(raw_list, FUZZ_SPACE), FUZZ_SPACE)


# -- prompts ------------------------------------------------------------------------------------------
def test_prompts() -> None:
    from docparse.errors import OptionsError
    from docparse.qwenvl.prompts import DEFAULT_PROMPT, PROMPTS, get_prompt, messages

    cookbook = get_prompt(DEFAULT_PROMPT)
    assert cookbook.user == "QwenVL HTML " and cookbook.system == "You are a helpful assistant"
    assert get_prompt("qwenvl-html-caption").user == "QwenVL HTML with image caption"
    assert "QwenVL Document Parser HTML" in get_prompt("qwenvl-html-parser").system
    msgs = messages(cookbook, "page.png")
    assert msgs[1]["content"][0] == {"type": "text", "text": "QwenVL HTML "}  # text before the image
    assert msgs[1]["content"][1]["image"] == "page.png" and len(PROMPTS) == 3
    with pytest.raises(OptionsError, match="known: qwenvl-html"):
        get_prompt("markdown")


def test_engine_helper_uses_the_reader() -> None:
    from docparse.document import PageStatus
    from docparse.engines.base import PageInput, qwenvl_output

    page = PageInput(doc=None, index=2, width=504, height=770, image_size=(1008, 1540), render=lambda: None)
    out = qwenvl_output(page, _fixture("truncated.html"), stop_reason="length", source="vlm")
    assert out.status == PageStatus.PARTIAL and out.index == 2
    assert [b.id for b in out.blocks] == ["p2-b0", "p2-b1", "p2-b2"]
    assert out.blocks[0].bbox == (50, 25, 250, 45)  # pixels / 2
    assert any("cut off" in w for w in out.warnings)
