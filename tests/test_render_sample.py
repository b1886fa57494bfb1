"""A hand-built document used by the renderer tests: every label, nested lists, a table with a
colspan, a formula, code, furniture, captions linked to a figure and to a table, hostile text."""

from __future__ import annotations

from docparse.document import Block, Document, EngineInfo, Label, ListItem, Page, PageStatus, SourceInfo

HOSTILE_TEXT = "A <script>alert('x')</script> Title"
HOSTILE_TABLE = (
    '<table><tr><th colspan="2" onclick="alert(1)" style="color:red">Merged</th></tr>'
    '<tr><td><img src=x onerror=alert(1)>cell</td><td><a href="javascript:alert(1)">link</a></td></tr>'
    '<tr><td><svg onload=alert(1)><circle r="1"/></svg>ok</td><td><a href=" JaVa\tScRiPt:alert(2)">b</a></td></tr>'
    '<tr><td><iframe src="data:text/html,<script>alert(3)</script>"></iframe>2</td>'
    '<td><img src="data:text/html;base64,PHNjcmlwdD4=">3</td></tr></table>'
)
SIMPLE_TABLE = "<table><tr><th>Name</th><th>Value</th></tr><tr><td>a|b</td><td>1</td></tr></table>"
CHART_TABLE = "<table><tr><th>Year</th><th>Sales</th></tr><tr><td>2024</td><td>10</td></tr></table>"
CODE = "def f():\n    return '<b>'  # ```"


def sample_document() -> Document:
    b = Block
    p0 = [
        b("p0-b0", Label.HEADER, (50, 10, 550, 30), "Journal of <i>Tests</i>"),
        b("p0-b1", Label.TITLE, (50, 40, 550, 70), HOSTILE_TEXT, order=0),
        b("p0-b2", Label.HEADING, (50, 80, 550, 95), "# Not a heading", level=2, order=1),
        b(
            "p0-b3",
            Label.PARAGRAPH,
            (50, 100, 550, 140),
            "Plain *stars* and _under_ and [link](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
            "1. not a list\n- not a bullet & &amp; entity",
            order=2,
        ),
        b(
            "p0-b4",
            Label.LIST,
            (50, 150, 550, 220),
            "First\nNested a\nNested b\nDeep\nSecond",
            items=[
                ListItem("First", (50, 150, 550, 160), 0, "1."),
                ListItem("Nested a", (60, 162, 550, 172), 1, "•"),
                ListItem("Nested b", (60, 174, 550, 184), 1, "•"),
                ListItem("Deep", (70, 186, 550, 196), 2, "-"),
                ListItem("Second", (50, 198, 550, 208), 0, "2."),
            ],
            order=3,
        ),
        b("p0-b5", Label.CAPTION, (50, 225, 550, 235), "Table 1: simple", caption_for="p0-b6", order=4),
        b("p0-b6", Label.TABLE, (50, 240, 550, 280), "Name Value a|b 1", html=SIMPLE_TABLE, order=5),
        b("p0-b7", Label.TABLE, (50, 290, 550, 340), "Merged cell link ok", html=HOSTILE_TABLE, order=6),
        b("p0-b8", Label.FORMULA, (200, 350, 400, 370), "E = mc2", latex="E = mc^2", order=7),
        b("p0-b9", Label.CODE, (50, 380, 550, 420), CODE, order=8),
        b("p0-b10", Label.IMAGE, (100, 430, 500, 600), "", order=9),
        b("p0-b11", Label.CAPTION, (100, 605, 500, 620), "Figure 1: a plot", caption_for="p0-b10", order=10),
        b("p0-b12", Label.CHART, (100, 625, 500, 700), "Year Sales 2024 10", html=CHART_TABLE, order=11),
        b("p0-b13", Label.FOOTNOTE, (50, 705, 550, 715), "1 A footnote.", order=12),
        b("p0-b14", Label.MUSIC, (50, 718, 300, 740), "X:1\nK:C\nCDEF", format="abc", order=13),
        b("p0-b15", Label.CHEMISTRY, (300, 718, 550, 740), "C1=CC=CC=C1", format="smiles", order=14),
        b("p0-b16", Label.FOOTER, (50, 760, 500, 775), "Footer text"),
        b("p0-b17", Label.PAGE_NUMBER, (500, 760, 550, 775), "1"),
    ]
    for block in p0:
        block.page = 0
    p1 = [
        b("p1-b0", Label.PAGE_NUMBER, (280, 10, 320, 20), "2", page=1),
        b("p1-b1", Label.PARAGRAPH, (50, 50, 550, 80), "Second page.", page=1, order=0),
        b("p1-b2", Label.FORMULA, (50, 90, 550, 110), "a + b = c", page=1, order=1),
    ]
    return Document(
        source=SourceInfo(path="/tmp/x.pdf", name="sample", sha256="0" * 64, page_count=3),
        engine=EngineInfo(name="test", settings={"dpi": 200}),
        pages=[
            Page(0, 600, 800, blocks=p0, image_size=(616, 812)),
            Page(1, 600, 800, blocks=p1),
            Page(2, 600, 800, status=PageStatus.FAILED, error="<b>boom</b> <script>x</script>"),
        ],
        warnings=["a warning"],
    )


def test_sample_covers_every_label() -> None:
    labels = {b.label for page in sample_document().pages for b in page.blocks}
    assert labels == set(Label)
