"""The JSON Schema (draft 2020-12) of docparse's JSON output (``render_json`` / ``Document.to_dict``).

``document_schema()`` is the source of truth; ``docparse/document.schema.json`` is the
published copy (shipped in the wheel, printed by ``docparse schema``), regenerated with
``python -m docparse.schema > docparse/document.schema.json``; a test keeps the two equal.
The ``$id`` carries the schema version, so a consumer can tell which model a file follows.

Only a small set of keywords is used (type, properties, required, additionalProperties, items,
minItems, maxItems, enum, const, minimum, pattern, anyOf, $ref into $defs), so the schema is easy to
read and to check without a validator library.
"""

from __future__ import annotations

import json
from typing import Any

from docparse.document import SCHEMA_VERSION, Label, PageStatus

SCHEMA_ID = f"urn:docparse:schema:document:{SCHEMA_VERSION}"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema, also accepting null (types only; enums list null explicitly)."""
    out = dict(schema)
    kind = out["type"]
    out["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    return out


def _obj(properties: dict[str, Any], description: str, required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_INT0 = {"type": "integer", "minimum": 0}
_NUM = {"type": "number"}
_FREE_OBJECT = {"type": "object", "description": "Free-form: engine or source specific."}
_BBOX = {"$ref": "#/$defs/bbox"}


def document_schema() -> dict[str, Any]:
    """The JSON Schema of one document in docparse's JSON output."""
    list_item = _obj(
        {
            "text": _STR,
            "bbox": {"anyOf": [_BBOX, {"type": "null"}]},
            "level": {**_INT0, "description": "Nesting depth, 0 = top level."},
            "marker": _nullable({"type": "string", "description": "The printed marker: '•', '1.', 'a)'."}),
        },
        "One item of a list block.",
    )
    continuation = _obj(
        {
            "head_id": _nullable({"type": "string", "description": "On a later part: the id of the head "
                                  "(the first part, which carries the merged content)."}),
            "part_ids": {"type": "array", "items": _STR, "description": "On the head: ids of its later parts."},
            "pages": {"type": "array", "items": _INT0, "description": "On the head: every page it spans, 0-based."},
            "own_text": _nullable({"type": "string", "description": "On the head: its text before the merge."}),
            "own_html": _nullable({"type": "string", "description": "On the head: its table markup before the merge."}),
        },
        "How a paragraph, list or table that runs over a page or column break was merged.",
    )
    block = _obj(
        {
            "id": {"type": "string", "description": "Stable id 'p<page>-b<index>', both 0-based."},
            "label": {"enum": [label.value for label in Label]},
            "bbox": _BBOX,
            "text": {"type": "string", "description": "Plain text; filled whenever the block has words."},
            "page": _INT0,
            "html": _nullable({"type": "string", "description": "Table markup (tables, charts as tables)."}),
            "latex": _nullable({"type": "string", "description": "LaTeX of a display formula."}),
            "level": _nullable({"type": "integer", "minimum": 1, "description": "Heading depth, 1 = top."}),
            "items": {"type": "array", "items": {"$ref": "#/$defs/list_item"}},
            "format": _nullable({"type": "string", "description": "'abc' (music), 'smiles' (chemistry) ..."}),
            "caption_for": _nullable({"type": "string", "description": "Id of the block this caption belongs to."}),
            "order": _nullable({**_INT0, "description": "Reading order within the page; null for furniture."}),
            "source": {"type": "string", "description": "The engine or pass that produced the block."},
            "continuation": {"anyOf": [{"$ref": "#/$defs/continuation"}, {"type": "null"}]},
            "meta": _FREE_OBJECT,
        },
        "One region of a page with a label, a box and its content.",
    )
    page = _obj(
        {
            "index": {**_INT0, "description": "0-based page index in the source."},
            "width": {"type": "number", "minimum": 0, "description": "Points, as displayed."},
            "height": {"type": "number", "minimum": 0},
            "status": {"enum": [status.value for status in PageStatus]},
            "image_size": {
                "type": ["array", "null"],
                "description": "[width, height] of the model input in pixels, when one was rendered.",
                "items": {"type": "integer", "minimum": 1},
                "minItems": 2,
                "maxItems": 2,
            },
            "stop_reason": _nullable(_STR),
            "error": _nullable(_STR),
            "raw": _nullable({"type": "string", "description": "The engine's raw output (QwenVL HTML ...)."}),
            "warnings": {"type": "array", "items": _STR},
            "seconds": _nullable({"type": "number", "minimum": 0}),
            "blocks": {"type": "array", "items": {"$ref": "#/$defs/block"}},
            "meta": {**_FREE_OBJECT, "description": "Engine extras, e.g. the remote engine's token usage and "
                     "attempts; present only when not empty."},
        },
        "One page: its size, its blocks and how its conversion went.",
        required=["index", "width", "height", "status", "image_size", "stop_reason", "error", "raw", "warnings",
                  "seconds", "blocks"],
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "docparse document",
        **_obj(
            {
                "schema_version": {"const": SCHEMA_VERSION},
                "source": _obj(
                    {
                        "path": _nullable(_STR),
                        "name": _STR,
                        "sha256": _nullable({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
                        "page_count": _INT0,
                        "metadata": _FREE_OBJECT,
                    },
                    "Where the document came from.",
                ),
                "engine": _obj(
                    {"name": _STR, "model": _nullable(_STR), "settings": _FREE_OBJECT},
                    "The engine that converted the document.",
                ),
                "warnings": {"type": "array", "items": _STR},
                "pages": {"type": "array", "items": {"$ref": "#/$defs/page"}},
            },
            f"docparse JSON output, schema version {SCHEMA_VERSION}. Boxes are [x0, y0, x1, y1] in PDF "
            "points, origin at the top-left of the page as displayed.",
        ),
        "$defs": {
            "bbox": {
                "type": "array",
                "description": "[x0, y0, x1, y1] in points.",
                "items": _NUM,
                "minItems": 4,
                "maxItems": 4,
            },
            "list_item": list_item,
            "continuation": continuation,
            "block": block,
            "page": page,
        },
    }


def schema_json() -> str:
    """The schema as published (``docparse/document.schema.json``)."""
    return json.dumps(document_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(schema_json(), end="")
