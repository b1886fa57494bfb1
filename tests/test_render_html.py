from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from docparse.document import Block, Document, EngineInfo, Label, Page, SourceInfo
from docparse.output.assets import image_links
from docparse.render.html import render_html
from tests.test_render_sample import sample_document

BBOX_RE = re.compile(r"^-?\d+(\.\d{1,2})? -?\d+(\.\d{1,2})? -?\d+(\.\d{1,2})? -?\d+(\.\d{1,2})?$")
BOX_STYLE_RE = re.compile(r"^left:[\d.]+%;top:[\d.]+%;width:[\d.]+%;height:[\d.]+%$")


@pytest.fixture(scope="module")
def soup() -> BeautifulSoup:
    doc = sample_document()
    return BeautifulSoup(render_html(doc, images=image_links(doc, "assets")), "html.parser")


def assert_safe(soup: BeautifulSoup, allow_style: bool = False) -> None:
    assert soup.find("script") is None
    assert soup.find("iframe") is None
    assert soup.find("svg") is None
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (tag.name, name)
            text = " ".join(value) if isinstance(value, list) else str(value)
            compact = re.sub(r"[\x00-\x20]", "", text).lower()
            if name in ("href", "src"):
                assert not compact.startswith(("javascript:", "data:text", "vbscript:")), (tag.name, text)
            if name == "style":
                assert allow_style and (BOX_STYLE_RE.match(text) or text.startswith("aspect-ratio:")), text


def test_standalone_page_without_external_resources(soup: BeautifulSoup) -> None:
    assert soup.find("link") is None
    assert soup.find("style") is not None and "section.page" in soup.find("style").text
    assert soup.title.text == "sample"
    for tag in soup.find_all(src=True):
        assert not tag["src"].startswith(("http:", "https:", "//"))


def test_one_section_per_page(soup: BeautifulSoup) -> None:
    sections = soup.find_all("section", class_="page")
    assert [s["data-page"] for s in sections] == ["1", "2", "3"]
    assert sections[2]["data-status"] == "failed"
    error = sections[2].find(class_="page-error")
    assert "<b>boom</b>" in error.text and error.find("b") is None and error.find("script") is None


def test_every_block_has_id_bbox_and_label(soup: BeautifulSoup) -> None:
    doc = sample_document()
    for page in doc.pages:
        for block in page.blocks:
            el = soup.find(id=block.id)
            assert el is not None, block.id
            assert el["data-label"] == block.label.value
            assert BBOX_RE.match(el["data-bbox"]), el["data-bbox"]
            assert [float(v) for v in el["data-bbox"].split()] == pytest.approx(block.bbox, abs=0.006)
            if block.order is not None:
                assert el["data-order"] == str(block.order)


def test_bbox_rounded_to_hundredths() -> None:
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 100, 100, [Block("p0-b0", Label.PARAGRAPH, (1.23456, 2.0, 3.005, 99.999), "x", order=0)])])
    el = BeautifulSoup(render_html(doc), "html.parser").find(id="p0-b0")
    assert el["data-bbox"] == "1.23 2 3 100" or el["data-bbox"] == "1.23 2 3.01 100"


def test_element_per_label(soup: BeautifulSoup) -> None:
    assert soup.find(id="p0-b1").name == "h1"
    assert soup.find(id="p0-b2").name == "h2"
    assert soup.find(id="p0-b3").name == "p"
    assert soup.find(id="p0-b13").name == "aside" and "footnote" in soup.find(id="p0-b13")["class"]
    formula = soup.find(id="p0-b8")
    assert formula.name == "div" and "formula" in formula["class"] and formula["data-latex"] == "E = mc^2"
    assert formula.find("math").find("msup") is not None  # MathML, not "$$E = mc^2$$"
    assert "a + b = c" in soup.find(id="p1-b2").text  # no latex: the text
    code = soup.find(id="p0-b9")
    assert code.name == "pre" and code.code is not None
    assert code.code.text == "def f():\n    return '<b>'  # ```"  # verbatim, whitespace kept
    music = soup.find(id="p0-b14")
    assert music.name == "pre" and music["data-format"] == "abc"
    chem = soup.find(id="p0-b15")
    assert chem["data-format"] == "smiles" and chem.text == "C1=CC=CC=C1"


def test_furniture_in_header_and_footer_elements(soup: BeautifulSoup) -> None:
    header = soup.find(id="p0-b0")
    assert header.name == "header" and "furniture" in header["class"] and "header" in header["class"]
    assert header.text == "Journal of <i>Tests</i>" and header.find("i") is None
    footer = soup.find(id="p0-b16")
    assert footer.name == "footer" and "footer" in footer["class"]
    number = soup.find(id="p0-b17")
    assert number.name == "footer" and "page-number" in number["class"]
    top_number = soup.find(id="p1-b0")  # at the top of its page
    assert top_number.name == "header" and "page-number" in top_number["class"]
    # Header first and footers last within the page content.
    content = soup.find("section", attrs={"data-page": "1"}).find(class_="page-content")
    ids = [el["id"] for el in content.find_all(attrs={"data-label": True}, recursive=False)]
    assert ids[0] == "p0-b0" and ids[-2:] == ["p0-b16", "p0-b17"]


def test_nested_lists(soup: BeautifulSoup) -> None:
    top = soup.find(id="p0-b4")
    assert top.name == "ol"
    items = top.find_all("li", recursive=False)
    assert [li.contents[0].strip() for li in items] == ["First", "Second"]
    nested = items[0].find("ul", recursive=False)
    assert [li.contents[0].strip() for li in nested.find_all("li", recursive=False)] == ["Nested a", "Nested b"]
    deep = nested.find_all("li", recursive=False)[1].find("ul", recursive=False)
    assert deep.li.text == "Deep"
    assert BBOX_RE.match(items[0]["data-bbox"])


def test_ordered_list_start() -> None:
    from docparse.document import ListItem

    block = Block("p0-b0", Label.LIST, (0, 0, 10, 10), items=[ListItem("c", marker="3."), ListItem("d", marker="4.")], order=0)
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 100, 100, [block])])
    ol = BeautifulSoup(render_html(doc), "html.parser").find(id="p0-b0")
    assert ol.name == "ol" and ol["start"] == "3"


def test_figure_with_image_and_caption(soup: BeautifulSoup) -> None:
    figure = soup.find(id="p0-b10")
    assert figure.name == "figure"
    assert figure.img["src"] == "assets/p1-b10.png" and figure.img["alt"] == "Figure 1: a plot"
    caption = figure.find("figcaption")
    assert caption["id"] == "p0-b11" and caption.text == "Figure 1: a plot"
    assert len(soup.find_all(id="p0-b11")) == 1  # drawn once, inside the figure
    assert figure.find_all(recursive=False)[-1].name == "figcaption"  # below the image


def test_table_caption_above_table(soup: BeautifulSoup) -> None:
    figure = soup.find(id="p0-b6")
    assert figure.name == "figure"
    children = figure.find_all(recursive=False)
    assert children[0].name == "figcaption" and children[0]["id"] == "p0-b5"
    table = figure.find("table")
    assert [th.text for th in table.find_all("th")] == ["Name", "Value"]
    assert table.find("td").text == "a|b"


def test_chart_shows_crop_and_data(soup: BeautifulSoup) -> None:
    chart = soup.find(id="p0-b12")
    assert chart.img["src"] == "assets/p1-b12.png" and chart.find("table") is not None


def test_without_images_no_img_and_text_fallback() -> None:
    doc = sample_document()
    doc.pages[0].blocks[10].text = "OCR text of the image"
    s = BeautifulSoup(render_html(doc), "html.parser")
    assert s.find(id="p0-b10").find("img") is None
    assert "OCR text of the image" in s.find(id="p0-b10").text


def test_hostile_table_is_sanitized(soup: BeautifulSoup) -> None:
    table = soup.find(id="p0-b7").find("table")
    th = table.find("th")
    assert th["colspan"] == "2" and th.text == "Merged"
    assert "style" not in th.attrs and "onclick" not in th.attrs
    img = table.find("img")
    assert img is not None and set(img.attrs) == {"src"}
    links = table.find_all("a")
    assert [a.text for a in links] == ["link", "b"] and all("href" not in a.attrs for a in links)
    assert "ok" in table.text
    assert_safe(soup)


def test_hostile_text_is_escaped(soup: BeautifulSoup) -> None:
    assert soup.find(id="p0-b1").text == "A <script>alert('x')</script> Title"
    para = soup.find(id="p0-b3")
    assert para.find("img") is None and "<img src=x onerror=alert(1)>" in para.text


def test_hostile_ids_title_and_paths_are_escaped() -> None:
    block = Block('"><script>alert(1)</script>', Label.IMAGE, (0, 0, 10, 10), order=0)
    doc = Document(SourceInfo(name="</title><script>x</script>"), EngineInfo("t"), [Page(0, 100, 100, [block])])
    html = render_html(doc, images=image_links(doc, "assets"), overlay=True, page_images={0: "javascript:alert(1)"})
    s = BeautifulSoup(html, "html.parser")
    assert_safe(s, allow_style=True)
    assert s.title.text == "</title><script>x</script>"
    assert s.find(id='"><script>alert(1)</script>') is not None
    img = s.find("figure").img
    assert "/" not in img["src"][len("assets/"):] and ".." not in img["src"]
    assert s.find("img", class_="page-image") is None  # a javascript: page image is dropped


def test_overlay_with_page_images() -> None:
    doc = sample_document()
    html = render_html(doc, overlay=True, page_images={0: "pages/page-0001.png", 1: "pages/page-0002.png"}, title="T")
    s = BeautifulSoup(html, "html.parser")
    assert s.title.text == "T"
    assert "with-overlay" in s.body["class"]
    page = s.find("section", attrs={"data-page": "1"})
    assert page.find("img", class_="page-image")["src"] == "pages/page-0001.png"
    boxes = page.find_all("div", class_="box")
    assert len(boxes) == len(doc.pages[0].blocks)
    title_box = next(b for b in boxes if b["data-for"] == "p0-b1")
    assert "label-title" in title_box["class"] and title_box["data-n"] == "1"
    assert title_box["style"] == "left:8.333%;top:5.000%;width:83.333%;height:3.750%"
    assert ".box.label-title" in s.style.text  # label colours in CSS
    assert_safe(s, allow_style=True)


def test_no_overlay_without_flag(soup: BeautifulSoup) -> None:
    assert soup.find(class_="box") is None and soup.find(class_="page-view") is None
    assert_safe(soup, allow_style=False)


def test_document_convenience_matches() -> None:
    doc = sample_document()
    assert doc.to_html(image_dir="assets") == render_html(doc, images=image_links(doc, "assets"))
    assert doc.to_html(embed_images=False) == render_html(doc)


def test_non_finite_boxes_do_not_break_the_page() -> None:
    block = Block("p0-b0", Label.PARAGRAPH, (float("nan"), 1, float("inf"), 2), "x", order=0)
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 100, 100, [block])])
    s = BeautifulSoup(render_html(doc, overlay=True), "html.parser")
    assert s.find(id="p0-b0")["data-bbox"] == "0 1 0 2"
    assert BOX_STYLE_RE.match(s.find("div", class_="box")["style"])


def test_very_deep_list_is_bounded() -> None:
    from docparse.document import ListItem
    from docparse.render.structure import MAX_LIST_DEPTH

    items = [ListItem(f"i{n}", level=n) for n in range(3000)]
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 100, 100, [Block("p0-b0", Label.LIST, (0, 0, 1, 1), items=items, order=0)])])
    s = BeautifulSoup(render_html(doc), "html.parser")
    assert len(s.find(id="p0-b0").find_all("li")) == 3000
    depth = max(len(li.find_parents("ul")) for li in s.find_all("li"))
    assert depth == MAX_LIST_DEPTH + 1
    assert doc.to_markdown().count("\n") == 3000
