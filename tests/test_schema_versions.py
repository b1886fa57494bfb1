"""JSON of an earlier schema version keeps loading: ``Document.from_json`` upgrades it.

``data/schema_1_0/`` holds what docparse 0.1 (schema 1.0, continuation protocol in ``meta``)
wrote for ``samples/table_two_pages.pdf``: the JSON, its Markdown and its QwenVL HTML pages.
Read with this version, the document must render the same Markdown and QwenVL HTML.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from docparse.document import SCHEMA_VERSION, Block, Continuation, Document, EngineInfo, Label, Page, SourceInfo
from docparse.document_versions import LEGACY_CONTINUATION_KEYS, upgrade
from docparse.schema import document_schema
from tests.test_schema import validate

DATA = Path(__file__).parent / "data" / "schema_1_0"


def old_json() -> dict:
    return json.loads((DATA / "table_two_pages.json").read_text(encoding="utf-8"))


def test_the_fixture_is_schema_1_0_with_the_meta_protocol() -> None:
    data = old_json()
    assert data["schema_version"] == "1.0"
    metas = [b["meta"] for p in data["pages"] for b in p["blocks"]]
    assert any("continued_in" in m for m in metas) and any("continued_from" in m for m in metas)
    assert all("continuation" not in b for p in data["pages"] for b in p["blocks"])


def test_a_1_0_file_loads_as_the_current_model() -> None:
    doc = Document.from_json((DATA / "table_two_pages.json").read_text(encoding="utf-8"))
    assert doc.schema_version == SCHEMA_VERSION == "2.0"
    blocks = {b.id: b for p in doc.pages for b in p.blocks}
    head, stub = blocks["p0-b3"], blocks["p1-b0"]
    assert head.continuation == Continuation(
        part_ids=["p1-b0"], pages=[0, 1], own_text=head.continuation.own_text, own_html=head.continuation.own_html)
    assert head.continuation.own_html.count("<tr") < head.html.count("<tr")  # its own rows only
    assert stub.continuation == Continuation(head_id="p0-b3") and stub.is_continuation and not head.is_continuation
    for block in blocks.values():
        assert not set(LEGACY_CONTINUATION_KEYS) & set(block.meta), block.id
    assert "header_row_dropped" in stub.meta  # other meta stays where it was
    assert not validate(doc.to_dict(), document_schema(), document_schema())  # written back: valid 2.0


def test_a_1_0_file_renders_what_it_rendered() -> None:
    doc = Document.from_json((DATA / "table_two_pages.json").read_text(encoding="utf-8"))
    assert doc.to_markdown(embed_images=False) == (DATA / "table_two_pages.md").read_text(encoding="utf-8")
    for n, html in enumerate(doc.to_qwenvl(), start=1):
        assert html == (DATA / f"table_two_pages.page-{n:04d}.qwenvl.html").read_text(encoding="utf-8")


def test_current_json_round_trips_the_continuation() -> None:
    head = Block("p0-b0", Label.PARAGRAPH, (0, 0, 10, 10), "a b", order=0,
                 continuation=Continuation(part_ids=["p1-b0"], pages=[0, 1], own_text="a"))
    part = Block("p1-b0", Label.PARAGRAPH, (0, 0, 10, 10), "b", page=1, continuation=Continuation(head_id="p0-b0"))
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 10, 10, [head]), Page(1, 10, 10, [part])])
    data = json.loads(doc.to_json())
    assert data["schema_version"] == "2.0"
    assert data["pages"][0]["blocks"][0]["continuation"] == {
        "head_id": None, "part_ids": ["p1-b0"], "pages": [0, 1], "own_text": "a", "own_html": None}
    assert not validate(data, document_schema(), document_schema())
    again = Document.from_json(doc.to_json())
    assert again.to_dict() == doc.to_dict()
    # a 2.0 file whose meta happens to use a 1.x key keeps it there: only 1.x files are upgraded
    data["pages"][0]["blocks"][0]["meta"] = {"pages": "engine extra"}
    assert Document.from_dict(data).pages[0].blocks[0].meta == {"pages": "engine extra"}


def test_upgrade_leaves_its_input_alone_and_refuses_newer_versions() -> None:
    data = old_json()
    before = copy.deepcopy(data)
    assert upgrade(data)["schema_version"] == "2.0"
    assert data == before
    with pytest.raises(ValueError, match="newer than this docparse reads"):
        Document.from_dict({**data, "schema_version": "3.0"})
    with pytest.raises(ValueError, match="unknown schema version"):
        Document.from_dict({**data, "schema_version": "v2"})
    unversioned = {k: v for k, v in data.items() if k != "schema_version"}  # taken as 1.0
    assert Document.from_dict(unversioned).to_dict() == Document.from_dict(data).to_dict()
