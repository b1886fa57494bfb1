"""QwenVL HTML writer: exact output, escaping, label hints, per-page rendering, and the property
read_qwenvl(write_qwenvl(blocks)) == blocks for every block the dialect can express."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docparse.document import Block, Document, EngineInfo, Label, ListItem, Page, SourceInfo, block_id
from docparse.geometry import DEFAULT_MAX_PIXELS, PageSpace, model_input_size
from docparse.qwenvl.reader import read_qwenvl
from docparse.qwenvl.tables import sanitize_table_html
from docparse.qwenvl.writer import write_qwenvl
from docparse.render.qwenvl import FALLBACK_DPI, render_qwenvl_pages

EXAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "qwenvl-examples"
SPACE = PageSpace(500, 600, 1000, 1200)  # 2 pixels per point


def _b(i: int, label: Label, bbox=(10, 20, 110, 40), text: str = "", **kw) -> Block:
    return Block(id=block_id(0, i), label=label, bbox=bbox, text=text, order=kw.pop("order", i), **kw)


# -- exact output ------------------------------------------------------------------------------------
def test_exact_output_in_pixel_space() -> None:
    blocks = [
        _b(0, Label.HEADING, (10, 20, 110, 40), "Intro", level=2),
        _b(1, Label.PARAGRAPH, (10.2, 50, 110.6, 80.25), "Hello & <world>"),
    ]
    assert write_qwenvl(blocks, SPACE) == (
        "<html><body>\n"
        '<h2 data-bbox="20 40 220 80">Intro</h2>\n'
        '<p data-bbox="20 100 221 160">Hello &amp; &lt;world&gt;</p>\n'
        "</body></html>"
    )
    assert write_qwenvl(blocks, SPACE, fenced=True).startswith("```html\n<html><body>\n")
    assert write_qwenvl(blocks, SPACE, fenced=True).endswith("</body></html>\n```")


def test_reading_order_then_furniture_and_hints() -> None:
    blocks = [
        _b(0, Label.FOOTER, (10, 580, 100, 590), "Confidential", order=None),
        _b(1, Label.PARAGRAPH, (10, 100, 100, 120), "second", order=1),
        _b(2, Label.PAGE_NUMBER, (240, 580, 260, 590), "7", order=None),
        _b(3, Label.PARAGRAPH, (10, 50, 100, 70), "first", order=0),
        _b(4, Label.HEADER, (10, 5, 100, 15), "Running head", order=None),
    ]
    html = write_qwenvl(blocks, SPACE)
    assert html.index("first") < html.index("second") < html.index("Confidential") < html.index(">7<")
    assert '<p data-bbox="20 1160 200 1180" data-label="footer">Confidential</p>' in html
    back = read_qwenvl(html, SPACE)
    assert [(b.label, b.text, b.order) for b in back.blocks] == [
        (Label.PARAGRAPH, "first", 0), (Label.PARAGRAPH, "second", 1), (Label.FOOTER, "Confidential", None),
        (Label.PAGE_NUMBER, "7", None), (Label.HEADER, "Running head", None),
    ]  # fmt: skip
    plain = write_qwenvl(blocks, SPACE, label_hints=False)
    assert "data-label" not in plain
    assert {b.label for b in read_qwenvl(plain, SPACE).blocks} == {Label.PARAGRAPH}


def test_text_and_tables_are_escaped_and_sanitized() -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    blocks = [
        _b(0, Label.PARAGRAPH, text=evil),
        _b(1, Label.TABLE, html='<table onclick="x()"><tr><td style="a" onmouseover="y">1<script>z()</script></td>'
           '<td><a href="javascript:alert(3)">2</a></td></tr></table>', text="1\t2"),
        _b(2, Label.CHART, html="<table><tr><td>a</td></tr><script>q()</script></table>"),
        _b(3, Label.CODE, text="if a < b:\n    print('</p><script>')"),
        _b(4, Label.FORMULA, latex=r"a < b \land c > d", text=r"a < b \land c > d"),
    ]  # fmt: skip
    html = write_qwenvl(blocks, SPACE)
    assert "<script" not in html.lower()
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        assert tag.name not in ("script", "a", "iframe", "style")
        assert set(tag.attrs) <= {"data-bbox", "data-label", "class", "format", "rowspan", "colspan"}
        assert "javascript" not in " ".join(map(str, tag.attrs.values())).lower()
    back = read_qwenvl(write_qwenvl(blocks, SPACE), SPACE)
    assert back.warnings == []
    assert back.blocks[0].text == evil
    assert back.blocks[1].html == "<table><tr><td>1</td><td>2</td></tr></table>"
    assert back.blocks[3].text == "if a < b:\n    print('</p><script>')"
    assert back.blocks[4].latex == r"a < b \land c > d"


def test_title_and_h1_hints() -> None:
    blocks = [
        _b(0, Label.HEADING, (10, 10, 100, 30), "Top heading", level=1),  # would read as a title
        _b(1, Label.TITLE, (10, 500, 100, 520), "Low title"),  # would read as a heading
        _b(2, Label.HEADING, (10, 530, 100, 540), "Plain h1", level=1),  # reads as heading: no hint
    ]
    html = write_qwenvl(blocks, SPACE)
    assert '<h1 data-bbox="20 20 200 60" data-label="heading">Top heading</h1>' in html
    assert 'data-label="title">Low title</h1>' in html
    assert '<h1 data-bbox="20 1060 200 1080">Plain h1</h1>' in html
    back = read_qwenvl(html, SPACE)
    assert [(b.label, b.level) for b in back.blocks] == [(Label.HEADING, 1), (Label.TITLE, None), (Label.HEADING, 1)]


def test_lists_tables_without_html_and_empty_blocks() -> None:
    blocks = [
        _b(0, Label.LIST, text="alpha\nbeta"),  # no items: one per line
        _b(1, Label.LIST, items=[ListItem("• a", marker="•"), ListItem("• b", marker="•")]),
        _b(2, Label.TABLE, text="a\tb\nc\td"),  # no html: built from the text
        _b(3, Label.PARAGRAPH, text="   "),  # empty: not written
    ]
    html = write_qwenvl(blocks, SPACE)
    assert "<ol" in html and "<ul" in html and "   " not in html
    back = read_qwenvl(html, SPACE)
    assert [i.text for i in back.blocks[0].items] == ["alpha", "beta"]
    assert back.blocks[1].meta["ordered"] is False
    assert back.blocks[2].html == "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
    assert len(back.blocks) == 3


@pytest.mark.parametrize(
    "name",
    [
        "cookbook_docparsing_example6_qwenvl_html_72B.html",
        "blog_docparsing2_qwenvl_html_formulas.html",
        "blog_docparsing4_qwenvl_html_paper.html",
        "blog_docparsing6_qwenvl_html_with_image_caption.html",
    ],
)
def test_real_outputs_survive_a_round_trip(name: str) -> None:
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared is absent)")
    space = PageSpace(1014, 1532, 1008, 1540) if "cookbook" in name else PageSpace(1200, 1700, 2408, 3416)
    first = read_qwenvl(path.read_text(encoding="utf-8"), space)
    again = read_qwenvl(write_qwenvl(first.blocks, space, fenced=True), space)
    assert again.warnings == []
    assert [_essence(b) for b in again.blocks] == [_essence(b) for b in first.blocks]
    for a, b in zip(first.blocks, again.blocks):
        assert a.bbox == pytest.approx(b.bbox, abs=max(space.sx, space.sy))


def _essence(b: Block) -> tuple:
    return (b.id, b.label, b.text, b.level, b.html, b.latex, b.format, b.caption_for, b.order, b.meta)


# -- the per-page renderer -------------------------------------------------------------------------------
def test_render_qwenvl_pages() -> None:
    blocks = [_b(0, Label.PARAGRAPH, (72, 72, 300, 100), "Page text")]
    doc = Document(
        source=SourceInfo(name="x"),
        engine=EngineInfo(name="layout"),
        pages=[
            Page(index=0, width=612, height=792, image_size=(1008, 1316), blocks=blocks),
            Page(index=1, width=612, height=792, image_size=None, blocks=[_b(0, Label.TITLE, (72, 40, 500, 70), "T")]),
        ],
    )
    first, second = render_qwenvl_pages(doc)
    assert first.startswith("<html><body>") and "<!--" not in first
    size = model_input_size(612, 792, FALLBACK_DPI, max_pixels=DEFAULT_MAX_PIXELS)
    # page index 1 is the second page: the comment counts from 1, like everything a user reads
    assert second.startswith(f"<!-- docparse: page 2 has no model image; boxes are in a computed {size[0]}x{size[1]}")
    back = read_qwenvl(first, PageSpace(612, 792, 1008, 1316))
    assert back.blocks[0].text == "Page text" and back.blocks[0].bbox == pytest.approx((72, 72, 300, 100), abs=0.7)
    back2 = read_qwenvl(second, PageSpace(612, 792, *size))
    assert back2.warnings == [] and back2.blocks[0].label == Label.TITLE
    assert doc.to_qwenvl() == [first, second]


# -- the round-trip property --------------------------------------------------------------------------
_CATEGORIES = ("L", "N", "P", "S", "Zs")
_WORDS = (
    st.text(st.characters(categories=_CATEGORIES, exclude_characters="$\\"), min_size=1, max_size=30)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)  # whitespace-collapsed, as the reader gives text back


def _verbatim_ok(text: str) -> bool:
    lines = text.split("\n")
    return bool(lines[0].strip() and lines[-1].strip())


_LINE = st.text(st.characters(categories=_CATEGORIES, exclude_characters="\x85\u2028\u2029"), max_size=20)
_VERBATIM = st.lists(_LINE.map(str.rstrip), min_size=1, max_size=4).map("\n".join).filter(_verbatim_ok)
_LATEX = (
    st.text(st.sampled_from(list("abcxyz0123456789+-=^_{}()<>&\\ ")), min_size=1, max_size=25)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: s and "\\[" not in s and "\\]" not in s)
)


@st.composite
def _space(draw) -> PageSpace:
    w_px = draw(st.integers(10, 100)) * 28
    h_px = draw(st.integers(10, 100)) * 28
    return PageSpace(draw(st.floats(100, 2000)), draw(st.floats(100, 2000)), w_px, h_px)


@st.composite
def _box(draw, space: PageSpace) -> tuple[float, float, float, float]:
    xs = sorted(draw(st.floats(0, space.width_pt)) for _ in range(2))
    ys = sorted(draw(st.floats(0, space.height_pt)) for _ in range(2))
    return (xs[0], ys[0], xs[1], ys[1])


_CELL = st.tuples(_WORDS, st.booleans(), st.integers(1, 3), st.integers(1, 3))  # text, th?, rowspan, colspan


@st.composite
def _table_html(draw) -> str:
    rows = draw(st.lists(st.lists(_CELL, min_size=1, max_size=3), min_size=1, max_size=3))
    html = ""
    for row in rows:
        html += "<tr>"
        for text, th, rowspan, colspan in row:
            tag = "th" if th else "td"
            text = text.replace("&", "&amp;").replace("<", "&lt;")
            html += f'<{tag} rowspan="{rowspan}" colspan="{colspan}">{text}</{tag}>'
        html += "</tr>"
    if draw(st.booleans()):
        html = f"<thead>{html}</thead>"
    return sanitize_table_html(f"<table>{html}</table>")  # type: ignore[return-value]


def _table_text(html: str) -> str:
    rows = BeautifulSoup(html, "html.parser").find_all("tr")
    return "\n".join("\t".join(c.get_text() for c in tr.find_all(["td", "th"])) for tr in rows)


@st.composite
def _page(draw) -> tuple[PageSpace, list[Block], bool]:
    """A page of blocks the dialect can express, already in the order the writer emits them."""
    space = draw(_space())
    hints = draw(st.booleans())
    kinds = [
        "paragraph", "heading", "list", "table", "chart", "formula", "image", "image_caption", "image_ocr",
        "music", "chemistry",
    ]  # fmt: skip
    if hints:
        kinds += ["title", "code", "footnote", "table_caption"]
    body: list[Block] = []

    def add(label: Label, text: str = "", **kw) -> Block:
        bbox = kw.pop("bbox", None) or draw(_box(space))
        block = Block(id=block_id(0, len(body)), label=label, bbox=bbox, text=text, order=len(body), **kw)
        body.append(block)
        return block

    for kind in draw(st.lists(st.sampled_from(kinds), max_size=8)):
        if kind == "paragraph":
            add(Label.PARAGRAPH, draw(_WORDS))
        elif kind == "title":
            add(Label.TITLE, draw(_WORDS))
        elif kind == "heading":
            add(Label.HEADING, draw(_WORDS), level=draw(st.integers(1 if hints else 2, 6)))
        elif kind in ("code", "footnote"):
            add(Label.CODE, draw(_VERBATIM)) if kind == "code" else add(Label.FOOTNOTE, draw(_WORDS))
        elif kind == "list":
            levels = [0]
            for _ in range(draw(st.integers(0, 4))):
                levels.append(draw(st.integers(0, levels[-1] + 1)))
            items = [ListItem(draw(_WORDS), draw(st.none() | _box(space)), lvl) for lvl in levels]
            add(Label.LIST, "\n".join(it.text for it in items), items=items, meta={"ordered": draw(st.booleans())})
        elif kind in ("table", "chart"):
            html = draw(_table_html())
            add(Label.TABLE if kind == "table" else Label.CHART, _table_text(html), html=html)
        elif kind == "table_caption":
            table_html = draw(_table_html())
            table = add(Label.TABLE, _table_text(table_html), html=table_html)
            add(Label.CAPTION, draw(_WORDS), caption_for=table.id)
        elif kind == "formula":
            latex = draw(_LATEX)
            add(Label.FORMULA, latex, latex=latex)
        elif kind == "image":
            add(Label.IMAGE)
        elif kind == "image_ocr":
            add(Label.IMAGE, draw(_WORDS))
        elif kind == "image_caption":
            image = add(Label.IMAGE)
            x0, y0, x1, y1 = image.bbox
            inner = draw(st.sampled_from(["same", "inside"]))
            cap_box = image.bbox if inner == "same" else (x0, (y0 + y1) / 2, x1, y1)
            add(Label.CAPTION, draw(_WORDS), caption_for=image.id, bbox=cap_box)
        elif kind == "music":
            add(Label.MUSIC, draw(_VERBATIM), format="abc")
        elif kind == "chemistry":
            add(Label.CHEMISTRY, draw(_WORDS).replace(" ", ""), format="smiles")
    furniture = []
    if hints:
        for label in draw(st.lists(st.sampled_from([Label.HEADER, Label.FOOTER, Label.PAGE_NUMBER]), max_size=3)):
            index = len(body) + len(furniture)
            furniture.append(Block(id=block_id(0, index), label=label, bbox=draw(_box(space)), text=draw(_WORDS)))
    return space, body + furniture, hints


def _close(a, b, space: PageSpace) -> bool:
    if a is None or b is None:
        return a is None and b is None
    tol = (space.sx * 0.5 + 1e-6, space.sy * 0.5 + 1e-6)  # integer pixels: half a pixel each way
    return all(abs(u - v) <= tol[k % 2] for k, (u, v) in enumerate(zip(a, b)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page())
def test_round_trip_property(page: tuple[PageSpace, list[Block], bool]) -> None:
    space, blocks, hints = page
    html = write_qwenvl(blocks, space, fenced=hints, label_hints=hints)
    result = read_qwenvl(html, space)
    assert result.warnings == []
    got = result.blocks
    assert [b.label for b in got] == [b.label for b in blocks]
    for want, have in zip(blocks, got):
        assert have.id == want.id and have.text == want.text, (want, have)
        assert (have.order is None) == (want.order is None)
        assert have.level == (want.level if want.label == Label.HEADING else None)
        assert have.html == want.html and have.latex == want.latex and have.format == want.format
        assert have.caption_for == want.caption_for
        assert _close(have.bbox, want.bbox, space), (want.bbox, have.bbox)
        assert [(i.text, i.level) for i in have.items] == [(i.text, i.level) for i in want.items]
        assert all(_close(i.bbox, j.bbox, space) for i, j in zip(have.items, want.items))
        if want.label == Label.LIST:
            assert have.meta["ordered"] == want.meta["ordered"]
