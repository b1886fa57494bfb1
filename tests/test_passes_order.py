import time

import pytest

from docparse.document import Document, Label
from docparse.errors import OptionsError
from docparse.passes import DEFAULT_PASSES, PASS_NAMES, run_passes
from docparse.passes.order import order

from tests.test_passes_fixtures import FULL, doc_of, make_report


def test_default_pass_order() -> None:
    assert PASS_NAMES == ["furniture", "footnotes", "captions", "tables", "paragraphs", "lists", "order"]


def test_run_passes_renumbers_every_page() -> None:
    doc = run_passes(make_report())
    for page in doc.pages:
        orders = [b.order for b in page.blocks if b.order is not None]
        assert sorted(orders) == list(range(len(orders)))
        for b in page.blocks:
            if b.is_furniture or b.is_continuation:
                assert b.order is None
    # Page 1: the joined paragraph continues from page 0, so its body starts with the right column.
    assert [b.text[:10] for b in doc.pages[1].reading_order] == ["Sales grew", "Table 1: S", "Region Q1 "]
    assert doc.warnings == []
    # Markdown-level view: the merged content appears once.
    texts = [b.text for b in doc.blocks]
    assert sum("state-of-the-art" in t for t in texts) == 1
    assert sum("West 5 6" in t for t in texts) == 1


def test_footnotes_go_last_and_unordered_blocks_keep_position() -> None:
    pages = [[
        (Label.FOOTNOTE, FULL, (700, 712), "1 Note."),
        (Label.PARAGRAPH, FULL, (72, 100), "First."),
        (Label.PARAGRAPH, FULL, (110, 140), "Second."),
    ]]
    doc = doc_of(pages)
    for b in doc.pages[0].blocks:
        b.order = None
    order(doc)
    assert [b.text for b in doc.pages[0].reading_order] == ["First.", "Second.", "1 Note."]


def test_a_footnote_with_text_below_it_stays_where_it_is_read() -> None:
    # a small heading the layout model took for a note, mid-column: read in place;
    # the real note at the foot of the page still goes last
    pages = [[
        (Label.PARAGRAPH, FULL, (72, 100), "First."),
        (Label.FOOTNOTE, (54.0, 200.0), (110, 120), "3.6. Sorption isotherm"),
        (Label.PARAGRAPH, FULL, (130, 160), "Second."),
        (Label.FOOTNOTE, (54.0, 280.0), (700, 712), "1 Note."),
        (Label.PARAGRAPH, (300.0, 558.0), (690, 740), "Right column end."),
    ]]
    doc = doc_of(pages)
    for k, b in enumerate(doc.pages[0].blocks):
        b.order = k
    order(doc)
    assert [b.text for b in doc.pages[0].reading_order] == [
        "First.", "3.6. Sorption isotherm", "Second.", "Right column end.", "1 Note."
    ]


def test_duplicate_orders_warn() -> None:
    doc = doc_of([[(Label.PARAGRAPH, FULL, (72, 100), "a"), (Label.PARAGRAPH, FULL, (110, 140), "b")]])
    for b in doc.pages[0].blocks:
        b.order = 3
    order(doc)
    assert any("duplicate" in w for w in doc.warnings)
    assert [b.order for b in doc.pages[0].blocks] == [0, 1]


def test_enabled_subset_and_unknown_name() -> None:
    doc = run_passes(make_report(), enabled=["furniture"])
    assert doc.pages[0].blocks[0].label == Label.HEADER
    assert doc.pages[0].blocks[3].continuation is None  # paragraphs did not run
    with pytest.raises(OptionsError):
        run_passes(make_report(), enabled=["nope"])


def test_failing_pass_becomes_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(doc: Document) -> Document:
        raise RuntimeError("boom")

    monkeypatch.setattr("docparse.passes.DEFAULT_PASSES", [("furniture", broken), *DEFAULT_PASSES[1:]])
    doc = run_passes(make_report())
    assert any("furniture failed" in w and "boom" in w for w in doc.warnings)
    assert [b.order for b in doc.pages[0].blocks if b.order is not None]  # later passes still ran


def test_passes_are_fast_on_a_long_document() -> None:
    big = make_report()
    pages = []
    for n in range(100):
        for p in make_report().pages:
            p.index = len(pages)
            for b in p.blocks:
                b.page = p.index
                b.id = f"p{p.index}-{b.id.split('-')[1]}"
            pages.append(p)
    big.pages = pages
    t = time.perf_counter()
    run_passes(big)
    assert time.perf_counter() - t < 5.0
    running = [b for p in big.pages for b in p.blocks if b.bbox[1] < 40]
    assert len(running) == 300 and all(b.label == Label.HEADER for b in running)


def test_empty_document() -> None:
    doc = run_passes(doc_of([]))
    assert doc.pages == [] and doc.warnings == []
