"""A paragraph merged across pages by the passes is printed once, and per page in QwenVL HTML."""

from docparse.document import Block, Continuation, Document, EngineInfo, Label, Page, SourceInfo


def merged_doc() -> Document:
    head = Block(id="p0-b0", label=Label.PARAGRAPH, bbox=(72, 600, 540, 720), page=0, order=0,
                 text="The study ran for twelve weeks at every site.",
                 continuation=Continuation(part_ids=["p1-b0"], pages=[0, 1], own_text="The study ran for twelve"))
    stub = Block(id="p1-b0", label=Label.PARAGRAPH, bbox=(72, 72, 540, 90), page=1, order=None,
                 text="weeks at every site.", continuation=Continuation(head_id="p0-b0"))
    nxt = Block(id="p1-b1", label=Label.PARAGRAPH, bbox=(72, 100, 540, 140), page=1, order=0,
                text="A second paragraph follows.")
    return Document(
        source=SourceInfo(name="x"), engine=EngineInfo(name="test"),
        pages=[Page(0, 612, 792, [head], image_size=(1092, 1428)),
               Page(1, 612, 792, [stub, nxt], image_size=(1092, 1428))],
    )


def test_markdown_and_html_print_merged_text_once():
    doc = merged_doc()
    md = doc.to_markdown()
    assert md.count("weeks at every site.") == 1
    assert "The study ran for twelve weeks at every site." in md
    assert doc.to_html().count("weeks at every site.") == 1


def test_qwenvl_pages_hold_only_their_own_text_in_order():
    page0, page1 = merged_doc().to_qwenvl()
    assert "The study ran for twelve" in page0 and "weeks" not in page0
    assert "weeks at every site." in page1
    assert page1.index("weeks at every site.") < page1.index("A second paragraph follows.")


def test_caption_of_a_continued_table_is_drawn_with_its_head():
    """It was linked to the stub, which is not drawn: the caption vanished (issue 13, item 16)."""
    table = "<table><tr><td>a</td><td>b</td></tr></table>"
    head = Block(id="p0-b0", label=Label.TABLE, bbox=(72, 600, 540, 720), page=0, order=0, text="a | b", html=table,
                 continuation=Continuation(part_ids=["p1-b0"], pages=[0, 1]))
    stub = Block(id="p1-b0", label=Label.TABLE, bbox=(72, 100, 540, 200), page=1, order=None, text="a | b",
                 html=table, continuation=Continuation(head_id="p0-b0"))
    caption = Block(id="p1-b1", label=Label.CAPTION, bbox=(72, 210, 540, 230), page=1, order=0,
                    text="Table 1 (continued): sales by region", caption_for="p1-b0")
    doc = Document(source=SourceInfo(name="x"), engine=EngineInfo(name="test"),
                   pages=[Page(0, 612, 792, [head]), Page(1, 612, 792, [stub, caption])])
    assert doc.to_markdown().count("sales by region") == 1
    assert "sales by region" in doc.to_html()
