"""Three-column pages (issue 14 item 2): generated born-digital pages with their LaTeX source as
ground truth (tests/data/multicol). (Scans of them and the corpus newspaper: test_layout_three_columns_ocr.py.)

Asserted on real reading results: no line holds words of two columns, paragraphs come in
column order, headings are blocks of their own with their text, and a table whose first
column spans two rows has that cell once (rowspan) and one value in every other cell.
"""

from __future__ import annotations

import functools

import pytest

from docparse.api import convert
from docparse.document import Document, Label
from docparse.engines.layout import LayoutEngine
from tests.multicol_pages import (
    DATA,
    PAGES,
    body,
    grid_cells,
    letters,
    mixed_lines,
    reading_positions,
    truth,
    truth_cells,
)


@functools.lru_cache(maxsize=None)
def _read(name: str, use_model: bool = True) -> Document:
    return convert(str(DATA / f"{name}.pdf"), engine=LayoutEngine(use_layout_model=use_model))


@pytest.mark.parametrize("name", PAGES)
def test_no_line_mixes_two_columns(name: str) -> None:
    entries = truth(name)["reading_order"]
    assert mixed_lines(_read(name), entries) == []


@pytest.mark.parametrize("name", PAGES)
def test_no_line_mixes_two_columns_without_the_model(name: str) -> None:
    entries = truth(name)["reading_order"]
    assert mixed_lines(_read(name, use_model=False), entries) == []


@pytest.mark.parametrize("name", PAGES)
def test_body_in_column_order(name: str) -> None:
    """Every heading, paragraph, formula and table of the source found, in the source's order."""
    entries = truth(name)["reading_order"]
    positions = reading_positions(_read(name), entries)
    missing = [e.get("text", e["kind"])[:40] for e, p in zip(entries, positions) if p is None]
    assert missing == []
    assert positions == sorted(positions), [e.get("text", e["kind"])[:30] for e in entries]
    assert len(set(positions)) == len(positions)  # one block each: nothing of two entries run together


@pytest.mark.parametrize("name", PAGES)
def test_headings_are_blocks_of_their_own(name: str) -> None:
    entries = truth(name)["reading_order"]
    doc = _read(name)
    headings = [letters(b.text) for b in body(doc) if b.label is Label.HEADING]
    expected = [letters(e["text"]) for e in entries if e["kind"] == "heading"]
    assert headings == expected


@pytest.mark.parametrize("name", PAGES)
def test_row_spanning_cells_once_one_value_per_cell(name: str) -> None:
    tables = [e for e in truth(name)["reading_order"] if e["kind"] == "table"]
    found = [grid_cells(b.html or "") for b in body(_read(name)) if b.label is Label.TABLE]
    assert len(found) == len(tables)
    for expected in tables:
        assert truth_cells(expected) in found
    spans = [c for e in tables for c in e["cells"] if c["rowspan"] > 1]
    assert spans, "the pages hold row-spanning cells"


def test_ground_truth_matches_the_source() -> None:
    """The committed JSON is what make_pages.py writes from its content, and the .tex holds it."""
    from tests.data.multicol.make_pages import PAGES as SOURCES, page_tex, page_truth

    for page in SOURCES:
        assert truth(page["name"]) == page_truth(page)
        assert (DATA / f"{page['name']}.tex").read_text(encoding="utf-8") == page_tex(page)


def test_a_wrapped_line_is_no_second_row() -> None:
    """Two slots with a second line each, no spanning cell and no numbers: a row of wrapped text
    stays one row; the same slots with numbers beside a centred cell become two rows."""
    from docparse.engines.layout.tables.stacked import Slot, unstack_rows

    wrapped = [
        Slot(0, 1, 0, 1, (0, 0, 40, 10), "Fixed"),
        Slot(0, 1, 1, 2, (50, 0, 90, 10), "leaves on"),
        Slot(0, 1, 1, 2, (50, 12, 90, 22), "the hour"),
        Slot(0, 1, 2, 3, (100, 0, 140, 10), "costs the"),
        Slot(0, 1, 2, 3, (100, 12, 140, 22), "most fuel"),
    ]
    assert [(s.row0, s.row1) for s in unstack_rows(wrapped)] == [(0, 1)] * 5
    spanning = [Slot(0, 1, 0, 1, (0, 6, 40, 16), "Harbour")] + wrapped[1:]
    assert [(s.row0, s.row1) for s in unstack_rows(spanning)] == [(0, 2), (0, 1), (1, 2), (0, 1), (1, 2)]
