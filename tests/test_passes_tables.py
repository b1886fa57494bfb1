import pytest

from docparse.document import Label
from docparse.passes import run_passes
from docparse.passes.tables import column_count, merge_html, tables

from tests.test_passes_fixtures import FULL, LEFT, TABLE_HEAD, doc_of, make_report, row


def test_column_count_counts_spans() -> None:
    assert column_count("<table><tr><td colspan=2>a</td><td>b</td></tr></table>") == 3
    assert column_count(
        "<table><tr><td rowspan=2>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    ) == 2
    assert column_count("<p>no table</p>") is None


@pytest.mark.parametrize("repeat", [True, False])
def test_report_table_merged_across_pages(repeat: bool) -> None:
    doc = run_passes(make_report(repeat_header_row=repeat))
    head = doc.pages[1].blocks[4]
    tail = doc.pages[2].blocks[1]
    assert head.label == Label.TABLE and tail.label == Label.TABLE
    assert head.continuation.pages == [1, 2]
    assert head.continuation.part_ids == [tail.id]
    assert tail.continuation.head_id == head.id and tail.order is None
    assert tail.meta["header_row_dropped"] is repeat
    assert head.html is not None
    assert head.html.count("<tr>") == 5  # header + North, South, East, West
    assert head.html.count("Region") == 1
    assert head.text.splitlines() == ["Region Q1 Q2", "North 10 12", "South 8 9", "East 7 7", "West 5 6"]
    assert head.continuation.own_html.count("<tr>") == 3


def _two_pages(first: tuple, second: tuple, after_first: list | None = None) -> list:
    return [[(Label.PARAGRAPH, FULL, (72, 200), "Intro."), first, *(after_first or [])], [second]]


def test_different_column_count_is_not_merged() -> None:
    a = (Label.TABLE, FULL, (300, 740), "", {"html": TABLE_HEAD.format(row("a", "1", "2"))})
    b = (Label.TABLE, FULL, (72, 200), "", {"html": f"<table>{row('x', 'y')}</table>"})
    doc = tables(doc_of(_two_pages(a, b)))
    assert "pages" not in doc.pages[0].blocks[1].meta


def test_misaligned_table_is_not_merged() -> None:
    a = (Label.TABLE, FULL, (300, 740), "", {"html": TABLE_HEAD.format(row("a", "1", "2"))})
    b = (Label.TABLE, LEFT, (72, 200), "", {"html": TABLE_HEAD.format(row("b", "3", "4"))})
    doc = tables(doc_of(_two_pages(a, b)))
    assert not doc.pages[1].blocks[0].is_continuation


def test_table_not_ending_its_page_is_not_merged() -> None:
    a = (Label.TABLE, FULL, (300, 600), "", {"html": TABLE_HEAD.format(row("a", "1", "2"))})
    b = (Label.TABLE, FULL, (72, 200), "", {"html": TABLE_HEAD.format(row("b", "3", "4"))})
    after = [(Label.PARAGRAPH, FULL, (610, 700), "A closing remark.")]
    doc = tables(doc_of(_two_pages(a, b, after)))
    assert not doc.pages[1].blocks[0].is_continuation


def test_table_over_three_pages_has_one_head() -> None:
    html = TABLE_HEAD.format(row("a", "1", "2"))
    pages = [
        [(Label.TABLE, FULL, (300, 740), "", {"html": html})],
        [(Label.TABLE, FULL, (72, 740), "", {"html": html})],
        [(Label.TABLE, FULL, (72, 300), "", {"html": html})],
    ]
    doc = tables(doc_of(pages))
    head = doc.pages[0].blocks[0]
    assert head.continuation.pages == [0, 1, 2]
    assert head.continuation.part_ids == ["p1-b0", "p2-b0"]
    assert doc.pages[2].blocks[0].continuation.head_id == head.id
    assert head.html is not None and head.html.count("<tr>") == 4


def test_merge_html_keeps_differing_first_row() -> None:
    merged, dropped = merge_html(TABLE_HEAD.format(row("a", "1", "2")), f"<table>{row('b', '3', '4')}</table>")
    assert not dropped and merged.count("<tr>") == 3 and "<td>b</td>" in merged


def test_continuation_first_row_taken_for_a_header_becomes_data():
    from docparse.passes.tables import merge_html

    head = "<table><tr><th>Site</th><th>Week</th></tr><tr><td>S01</td><td>5</td></tr></table>"
    tail = "<table><tr><th>S09</th><th>7</th></tr><tr><td>S09</td><td>8</td></tr></table>"
    merged, dropped = merge_html(head, tail)
    assert not dropped
    assert merged.count("<th>") == 2 and "<td>S09</td><td>7</td>" in merged
