from __future__ import annotations

import json
import math
from pathlib import Path

from docparse.document import Document, Label
from docparse.render.json import render_json
from tests.test_render_sample import sample_document
from tests.test_schema import check


def test_json_is_the_document_model() -> None:
    doc = sample_document()
    text = render_json(doc)
    data = json.loads(text)
    assert data == json.loads(json.dumps(doc.to_dict()))
    assert data["schema_version"] == doc.schema_version
    assert Document.from_json(text).to_dict() == doc.to_dict()  # round trip


def test_indent_and_unicode() -> None:
    doc = sample_document()
    doc.pages[0].blocks[1].text = "Überschrift — 表"
    compact = render_json(doc, indent=None)
    assert "\n" not in compact
    assert "Überschrift — 表" in compact  # not \u-escaped
    assert render_json(doc).startswith('{\n  "schema_version"')
    assert doc.to_json() == render_json(doc)


def test_engine_extras_become_json_values() -> None:
    doc = sample_document()
    block = doc.pages[0].blocks[1]
    block.meta = {"fonts": {"Helvetica"}, "path": Path("/a/b"), "score": math.nan, "label": Label.TABLE, "raw": b"x"}
    data = json.loads(render_json(doc))
    meta = data["pages"][0]["blocks"][1]["meta"]
    assert meta == {"fonts": ["Helvetica"], "path": "/a/b", "score": None, "label": "table", "raw": "x"}
    assert check(data) == []


def test_output_validates_against_schema() -> None:
    assert check(json.loads(render_json(sample_document()))) == []
