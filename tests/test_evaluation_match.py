"""Matching, page scoring, Markdown splitting and prediction adapters (no corpus needed)."""

from __future__ import annotations

import pytest

from docparse.document import Block, Continuation, Document, EngineInfo, Label, ListItem, Page, SourceInfo
from docparse.evaluation.evaluate import score_page
from docparse.evaluation.markdown import markdown_to_items, pipe_table_to_html
from docparse.evaluation.match import match_texts
from docparse.evaluation.metrics import teds
from docparse.evaluation.predictions import from_document, from_pymupdf4llm_chunks
from docparse.evaluation.types import Item, PageItems


def _groups(gt: list[str], pred: list[str]) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return {(tuple(sorted(g)), tuple(sorted(p))) for g, p in match_texts(gt, pred)}


def test_match_one_to_one_and_leftovers() -> None:
    groups = _groups(["alphabetagamma", "deltaepsilon"], ["deltaepsilon", "zzzzzz"])
    assert ((1,), (0,)) in groups
    assert ((0,), ()) in groups  # missed block
    assert ((), (1,)) in groups  # extra prediction


def test_match_split_and_merged_paragraphs() -> None:
    # a GT paragraph split in two predictions -> one group
    split = _groups(["thequickbrownfoxjumpsoverthelazydog"], ["thequickbrownfox", "jumpsoverthelazydog"])
    assert split == {((0,), (0, 1))}
    # two GT paragraphs run into one prediction -> one group
    merged = _groups(["thequickbrownfox", "jumpsoverthelazydog"], ["thequickbrownfoxjumpsoverthelazydog"])
    assert merged == {((0, 1), (0,))}


def _gt_page(*items: Item) -> PageItems:
    return PageItems(page=0, items=list(items), has_boxes=False)


def test_score_page_text_order_and_set_aside_blocks() -> None:
    gt = _gt_page(
        Item("heading", "1 Introduction", level=1, order=0),
        Item("text", "Soil moisture drives irrigation.", order=1),
        Item("text", "Sensors are cheap now.", order=2),
        Item("text", "Page 3", ignore=True),  # furniture
    )
    same = _gt_page(
        Item("heading", "1 Introduction", level=1),
        Item("text", "Soil moisture drives irrigation."),
        Item("text", "Sensors are cheap now."),
    )
    s = score_page(gt, same)
    assert s.text == 0.0 and s.order == 0.0
    assert s.headings.precision == 1.0 and s.levels.recall == 1.0
    # emitting the furniture costs nothing; swapping two paragraphs costs order, not text
    swapped = _gt_page(same.items[0], same.items[2], same.items[1], Item("text", "Page 3"))
    s = score_page(gt, swapped)
    assert s.text == 0.0
    assert s.order == pytest.approx(2 / 3)
    # two swapped letters: 2 edits over the 13 + 28 + 18 normalized characters of the page
    typo = _gt_page(same.items[0], Item("text", "Soil moisture drives irrigatoin."), same.items[2])
    assert score_page(gt, typo).text == pytest.approx(2 / 59)


def test_score_page_tables() -> None:
    html = "<table><tr><td>a</td><td>b</td></tr></table>"
    gt = _gt_page(Item("table", "a b", html=html))
    assert score_page(gt, _gt_page(Item("table", "a b", html=html))).tables == [(1.0, 1.0)]
    assert score_page(gt, _gt_page()).tables == [(0.0, 0.0)]


def test_markdown_split() -> None:
    md = (
        "# Title\n\nFirst **bold** paragraph\ncontinues here.\n\n- item one\n- item two\n\n"
        "$$\nE = mc^2\n$$\n\n|A|B|\n|---|---|\n|1|2|\n\n"
        "**==> picture [10 x 10] intentionally omitted <==**\n"
    )
    items = markdown_to_items(md)
    assert [(it.kind, it.text) for it in items[:4]] == [
        ("heading", "Title"),
        ("text", "First bold paragraph continues here."),
        ("text", "item one"),
        ("text", "item two"),
    ]
    assert items[0].level == 1
    assert items[4].kind == "formula" and items[4].text == "E = mc^2"
    assert items[5].kind == "table" and len(items) == 6
    expected = "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>"
    assert teds(items[5].html, expected) == 1.0
    assert pipe_table_to_html(["|x|", "|---|"]).count("<th>") == 1


def test_from_document_reading_order_and_boxes() -> None:
    blocks = [
        Block("p0-b0", Label.HEADER, (0, 0, 100, 10), "running head"),
        Block("p0-b1", Label.HEADING, (0, 20, 100, 30), "Intro", level=1, order=0),
        Block("p0-b2", Label.LIST, (0, 40, 100, 60), "a\nb", order=1,
              items=[ListItem("a", (0, 40, 100, 50)), ListItem("b", (0, 50, 100, 60))]),
    ]
    doc = Document(SourceInfo(), EngineInfo("test"), pages=[Page(0, 100, 100, blocks=blocks)])
    (page,) = from_document(doc)
    assert [(it.kind, it.text) for it in page.items] == [("heading", "Intro"), ("text", "a"), ("text", "b")]
    assert ("header", (0.0, 0.0, 100.0, 10.0)) in page.layout()
    assert len(page.layout()) == 4  # header, heading, two list items


def test_from_pymupdf4llm_chunks() -> None:
    chunks = [{"metadata": {"page_number": 2}, "text": "## Head\n\nBody text.\n",
               "page_boxes": [{"class": "section-header", "bbox": (1, 2, 3, 4)}]}]
    (page,) = from_pymupdf4llm_chunks(chunks)
    assert page.page == 1 and page.has_boxes
    assert page.layout() == [("heading", (1.0, 2.0, 3.0, 4.0))]
    assert [it.kind for it in page.items] == ["heading", "text"]


def test_order_inside_one_merged_prediction() -> None:
    gt = _gt_page(
        Item("text", "The first paragraph of the page.", order=0),
        Item("text", "A second paragraph follows it.", order=1),
        Item("text", "And the third one ends the page.", order=2),
    )
    in_order = _gt_page(Item("text", " ".join(it.text for it in gt.items)))
    assert score_page(gt, in_order).order == 0.0
    shuffled = _gt_page(Item("text", " ".join(gt.items[k].text for k in (0, 2, 1))))
    s = score_page(gt, shuffled)
    assert s.order == pytest.approx(2 / 3)  # the block order is seen inside the one prediction
    assert s.text > 0.0  # and the text, compared in GT order, pays for it too


def test_from_document_splits_merges_across_pages_back_into_pages() -> None:
    head = Block("p0-b0", Label.PARAGRAPH, (0, 80, 100, 100), "first half second half", order=0,
                 continuation=Continuation(part_ids=["p1-b0"], pages=[0, 1], own_text="first half"))
    stub = Block("p1-b0", Label.PARAGRAPH, (0, 0, 100, 20), "second half", page=1,
                 continuation=Continuation(head_id="p0-b0"))
    after = Block("p1-b1", Label.PARAGRAPH, (0, 30, 100, 50), "next one", page=1, order=0)
    doc = Document(SourceInfo(), EngineInfo("test"), pages=[
        Page(0, 100, 100, blocks=[head]), Page(1, 100, 100, blocks=[stub, after])])
    p0, p1 = from_document(doc)
    assert [it.text for it in p0.items] == ["first half"]
    assert [it.text for it in p1.items] == ["second half", "next one"]
