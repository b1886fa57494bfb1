"""Hand-built Documents for the pass tests: a Letter-size (612 x 792 pt) two-column report.

Three pages, each with the running header "Annual Report 2024" at y ~30 and a running footer,
page numbers "1", "2", "Page 3 of 9" at the bottom, a paragraph split across columns at "docu-" /
"ment" and across pages at "state-of-the-" / "art", a figure and a table with captions, a
footnote, a table continued from page 2 to page 3 (with or without a repeated header row) and
a bulleted list with one nested item. Block indices follow the engine's reading order.
"""

from __future__ import annotations

from docparse.document import Block, Document, EngineInfo, Label, Page, SourceInfo, block_id

W, H = 612.0, 792.0
LEFT = (54.0, 296.0)  # left column x-range
RIGHT = (316.0, 558.0)
FULL = (54.0, 558.0)

TABLE_HEAD = "<table><thead><tr><th>Region</th><th>Q1</th><th>Q2</th></tr></thead><tbody>{}</tbody></table>"


def row(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def doc_of(pages: list[list[tuple]], width: float = W, height: float = H) -> Document:
    """A Document from per-page lists of (label, (x0, x1), (y0, y1), text, extras) tuples."""
    out = []
    for p, specs in enumerate(pages):
        blocks = []
        for i, spec in enumerate(specs):
            label, (x0, x1), (y0, y1), text, *rest = spec
            extra = dict(rest[0]) if rest else {}
            meta = dict(extra.pop("meta", {}))  # each block its own dict
            blocks.append(
                Block(
                    id=block_id(p, i), label=label, bbox=(x0, y0, x1, y1), text=text, page=p,
                    order=i, source="test", meta=meta, **extra,
                )
            )
        out.append(Page(index=p, width=width, height=height, blocks=blocks))
    return Document(source=SourceInfo(name="report", page_count=len(out)), engine=EngineInfo("test"), pages=out)


def header() -> tuple:
    return (Label.PARAGRAPH, (54.0, 200.0), (24.0, 36.0), "Annual Report 2024")


def footer() -> tuple:
    return (Label.PARAGRAPH, (54.0, 220.0), (752.0, 762.0), "Acme Corp - confidential")


def make_report(repeat_header_row: bool = True) -> Document:
    body = {"meta": {"font_size": 10.0}}
    page0 = [
        header(),
        (Label.TITLE, FULL, (60.0, 90.0), "Annual Report 2024"),
        (Label.HEADING, LEFT, (110.0, 124.0), "1 Introduction"),
        (Label.PARAGRAPH, LEFT, (130.0, 400.0),
         "This report describes how our document pipeline1 reads every page of a new docu-", body),
        (Label.IMAGE, LEFT, (420.0, 600.0), ""),
        (Label.CAPTION, LEFT, (606.0, 620.0), "Figure 1: Revenue by quarter."),
        (Label.PARAGRAPH, RIGHT, (110.0, 700.0),
         "ment and turns it into structured text. The results are state-of-the-", body),
        (Label.PARAGRAPH, FULL, (720.0, 740.0), "1 The pipeline runs on a CPU.", {"meta": {"font_size": 8.0}}),
        footer(),
        (Label.PARAGRAPH, (300.0, 306.0), (770.0, 780.0), "1"),
    ]
    page1 = [
        header(),
        (Label.PARAGRAPH, LEFT, (72.0, 390.0), "art and fast. Each page is read once.", body),
        (Label.PARAGRAPH, RIGHT, (72.0, 390.0), "Sales grew in every region this year.", body),
        (Label.CAPTION, FULL, (400.0, 414.0), "Table 1: Sales per region."),
        (Label.TABLE, FULL, (420.0, 740.0), "Region Q1 Q2\nNorth 10 12\nSouth 8 9",
         {"html": TABLE_HEAD.format(row("North", "10", "12") + row("South", "8", "9"))}),
        footer(),
        (Label.PARAGRAPH, (300.0, 306.0), (770.0, 780.0), "2"),
    ]
    tail_rows = row("East", "7", "7") + row("West", "5", "6")
    if repeat_header_row:
        tail_html = TABLE_HEAD.format(tail_rows)
        tail_text = "Region Q1 Q2\nEast 7 7\nWest 5 6"
    else:
        tail_html = f"<table><tbody>{tail_rows}</tbody></table>"
        tail_text = "East 7 7\nWest 5 6"
    page2 = [
        header(),
        (Label.TABLE, (55.0, 557.0), (72.0, 300.0), tail_text, {"html": tail_html}),
        (Label.PARAGRAPH, LEFT, (320.0, 334.0), "• Revenue grew in every region"),
        (Label.PARAGRAPH, LEFT, (338.0, 352.0), "• Costs fell"),
        (Label.PARAGRAPH, (72.0, 296.0), (356.0, 370.0), "– mostly in Europe"),
        (Label.PARAGRAPH, LEFT, (374.0, 388.0), "• Margins improved"),
        footer(),
        (Label.PARAGRAPH, (500.0, 558.0), (770.0, 780.0), "Page 3 of 9"),
    ]
    return doc_of([page0, page1, page2])


def find(doc: Document, text_start: str) -> Block:
    """The first block (furniture included) whose text starts with ``text_start``."""
    for page in doc.pages:
        for b in page.blocks:
            if b.text.startswith(text_start):
                return b
    raise AssertionError(f"no block starts with {text_start!r}")


def test_fixture_is_on_the_page() -> None:
    doc = make_report()
    for page in doc.pages:
        for b in page.blocks:
            x0, y0, x1, y1 = b.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height, b.id
