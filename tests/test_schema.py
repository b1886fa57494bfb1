"""The published JSON schema: in sync with ``document_schema()``, well formed, and it accepts what
``render_json`` writes and rejects what it must not.

jsonschema is not a dependency, so a small validator for exactly the keywords the schema uses is
defined here (the test fails if the schema starts using another keyword). When jsonschema is
installed, it checks too.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from docparse.document import SCHEMA_VERSION, Label, PageStatus
from docparse.render.json import render_json
from docparse.schema import SCHEMA_ID, document_schema, schema_json
from tests.test_render_sample import sample_document

ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
ASSERTIONS = {"type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
              "enum", "const", "minimum", "pattern", "anyOf", "$ref"}  # fmt: skip
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
}


def validate(instance: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    """Errors of ``instance`` against ``schema`` (draft 2020-12 semantics for the keywords above)."""
    unknown = set(schema) - ANNOTATIONS - ASSERTIONS
    assert not unknown, f"schema keyword(s) the test validator does not know: {unknown} at {path}"
    errors: list[str] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        errors += validate(instance, root["$defs"][ref.split("/")[-1]], root, path)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[k](instance) for k in kinds):
            return errors + [f"{path}: {type(instance).__name__} is not {kinds}"]
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: {instance!r} != const {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} not in enum")
    if "minimum" in schema and TYPES["number"](instance) and instance < schema["minimum"]:
        errors.append(f"{path}: {instance} < {schema['minimum']}")
    if "pattern" in schema and isinstance(instance, str) and not re.search(schema["pattern"], instance):
        errors.append(f"{path}: {instance!r} does not match {schema['pattern']}")
    if "anyOf" in schema and not any(not validate(instance, s, root, path) for s in schema["anyOf"]):
        errors.append(f"{path}: matches none of anyOf")
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing {key!r}")
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected property {key!r}")
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, value in enumerate(instance):
                errors += validate(value, schema["items"], root, f"{path}[{i}]")
    return errors


def check(instance: Any) -> list[str]:
    schema = document_schema()
    return validate(instance, schema, schema)


def sample_json() -> dict[str, Any]:
    return json.loads(render_json(sample_document()))


def test_published_file_matches_code() -> None:
    published = resources.files("docparse").joinpath("document.schema.json").read_text(encoding="utf-8")
    assert published == schema_json(), "regenerate: python -m docparse.schema > docparse/document.schema.json"
    assert json.loads(published) == document_schema()


def test_schema_header() -> None:
    schema = document_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID and schema["$id"].endswith(SCHEMA_VERSION)
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    assert schema["$defs"]["block"]["properties"]["label"]["enum"] == [label.value for label in Label]
    assert schema["$defs"]["page"]["properties"]["status"]["enum"] == [s.value for s in PageStatus]


def test_schema_covers_every_field_of_the_model() -> None:
    """additionalProperties is false everywhere, so a field added to document.py without the
    schema fails here (and the other way round, through 'required')."""
    assert check(sample_json()) == []


def test_json_output_of_minimal_document_is_valid() -> None:
    from docparse.document import Document, EngineInfo, SourceInfo

    assert check(json.loads(render_json(Document(SourceInfo(), EngineInfo("layout"))))) == []


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d["pages"][0]["blocks"][0].__setitem__("label", "bogus"), "enum"),
        (lambda d: d["pages"][0]["blocks"][0].__setitem__("bbox", [1, 2, 3]), "fewer than 4"),
        (lambda d: d["pages"][0]["blocks"][0].__setitem__("bbox", [1, 2, 3, "4"]), "is not"),
        (lambda d: d["pages"][0]["blocks"][0].__setitem__("extra", 1), "unexpected property"),
        (lambda d: d["pages"][0]["blocks"][1].pop("text"), "missing 'text'"),
        (lambda d: d["pages"][0].__setitem__("status", "done"), "enum"),
        (lambda d: d["pages"][0].__setitem__("image_size", [1, 2, 3]), "more than 2"),
        (lambda d: d.__setitem__("schema_version", "0.9"), "const"),
        (lambda d: d["source"].__setitem__("sha256", "xyz"), "does not match"),
        (lambda d: d["pages"][0]["blocks"][4]["items"][0].__setitem__("bbox", [0, 0]), "anyOf"),
        (lambda d: d["pages"][0]["blocks"][1].__setitem__("order", -1), "< 0"),
    ],
)
def test_invalid_documents_are_rejected(mutate: Any, fragment: str) -> None:
    data = sample_json()
    mutate(data)
    errors = check(data)
    assert errors and any(fragment in e for e in errors), errors


def test_with_jsonschema_when_installed() -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (optional)")
    validator_cls = jsonschema.Draft202012Validator
    validator_cls.check_schema(document_schema())
    validator_cls(document_schema()).validate(sample_json())
