"""The JSON schema version of the document model, and reading JSON written by earlier versions.

A file records the ``schema_version`` it was written with; ``upgrade`` turns the dict of any
earlier version into the current one, step by step, so documents users saved keep loading.
This module imports nothing of docparse (``document.py`` imports it).

History:
- 1.0: the first published schema.
- 2.0: ``Block.continuation`` (head_id, part_ids, pages, own_text, own_html) replaced the
  ``meta`` keys continued_from, continued_in, pages, own_text, own_html.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = "2.0"

#: The 1.x meta keys of the continuation protocol -> their ``Continuation`` field.
LEGACY_CONTINUATION_KEYS = {
    "continued_from": "head_id",
    "continued_in": "part_ids",
    "pages": "pages",
    "own_text": "own_text",
    "own_html": "own_html",
}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a document's dict) in the current schema version; the input is not changed.
    A dict without ``schema_version`` is taken as 1.0 (the first version always wrote it, so
    only hand-made dicts lack it). Raises ``ValueError`` for a version this docparse cannot read."""
    version = str(data.get("schema_version", "1.0"))
    major = _major(version)
    if major > _major(SCHEMA_VERSION):
        raise ValueError(
            f"schema version {version} is newer than this docparse reads ({SCHEMA_VERSION}): upgrade docparse"
        )
    if major < 2:
        data = _from_1(data)
    return data


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    if not head.isdigit():
        raise ValueError(f"unknown schema version {version!r}")
    return int(head)


def _from_1(data: dict[str, Any]) -> dict[str, Any]:
    pages = [{**page, "blocks": [_block_from_1(b) for b in page.get("blocks", [])]} for page in data.get("pages", [])]
    return {**data, "pages": pages, "schema_version": "2.0"}


def _block_from_1(block: dict[str, Any]) -> dict[str, Any]:
    meta = dict(block.get("meta") or {})
    found = {field: meta.pop(key) for key, field in LEGACY_CONTINUATION_KEYS.items() if key in meta}
    continuation = block.get("continuation")
    if found and continuation is None:
        head_id = found.get("head_id")
        continuation = {
            "head_id": None if head_id is None else str(head_id),
            "part_ids": [str(i) for i in found.get("part_ids") or []],
            "pages": [int(p) for p in found.get("pages") or []],
            "own_text": found.get("own_text"),
            "own_html": found.get("own_html"),
        }
    return {**block, "meta": meta, "continuation": continuation}
