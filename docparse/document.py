"""The document model: Document -> Page -> Block, with one Label vocabulary.

Data only. Renderers live in ``docparse.render`` and are reached through function-local
imports in the ``to_*`` conveniences, so ``render -> document`` never becomes a circle.

Coordinates: every ``bbox`` is ``(x0, y0, x1, y1)`` in PDF points, origin at the top-left of the
page *as displayed* (after /Rotate). Model-pixel boxes are converted in ``docparse.geometry``.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

SCHEMA_VERSION = "1.0"

BBox = tuple[float, float, float, float]


def block_id(page_index: int, index: int) -> str:
    """The stable id of the ``index``-th block of a page: "p3-b12" (both 0-based)."""
    return f"p{page_index}-b{index}"


class Label(str, enum.Enum):
    """What a block is. Every engine and every QwenVL tag maps onto these."""

    TITLE = "title"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST = "list"
    TABLE = "table"
    CHART = "chart"
    FORMULA = "formula"
    IMAGE = "image"
    CAPTION = "caption"
    FOOTNOTE = "footnote"
    HEADER = "header"
    FOOTER = "footer"
    PAGE_NUMBER = "page_number"
    CODE = "code"
    MUSIC = "music"
    CHEMISTRY = "chemistry"

    def __str__(self) -> str:  # so f-strings and templates print "heading", not "Label.HEADING"
        return self.value


#: Page furniture: not part of the reading order, left out of Markdown by default.
FURNITURE_LABELS = frozenset({Label.HEADER, Label.FOOTER, Label.PAGE_NUMBER})


class PageStatus(str, enum.Enum):
    OK = "ok"  # converted fully
    PARTIAL = "partial"  # converted, but cut short (token limit, loop guard) or with a degraded path
    FAILED = "failed"  # the engine raised on this page; ``Page.error`` says why
    EMPTY = "empty"  # nothing on the page (blank, or no text and no OCR available)

    def __str__(self) -> str:
        return self.value


@dataclass
class ListItem:
    """One item of a list block. ``level`` is the nesting depth (0 = top level)."""

    text: str
    bbox: BBox | None = None
    level: int = 0
    marker: str | None = None  # "•", "1.", "a)" ... as printed, when known


@dataclass
class Block:
    """One region of a page with a label, a box and its content.

    ``text`` is always filled when the block has words (tables and formulas too), so any consumer
    can fall back to plain text. ``html`` holds table markup (cells, rowspan/colspan), ``latex``
    display formulas, ``items`` list items, ``level`` heading depth (1 = top).
    """

    id: str
    label: Label
    bbox: BBox
    text: str = ""
    page: int = 0
    html: str | None = None
    latex: str | None = None
    level: int | None = None
    items: list[ListItem] = field(default_factory=list)
    format: str | None = None  # "abc" for music, "smiles" for chemistry, "monospace" hints ...
    caption_for: str | None = None  # id of the image/table/chart/formula this caption belongs to
    order: int | None = None  # reading order within the page; None for furniture
    source: str = ""  # the engine (or pass) that produced the block
    meta: dict[str, Any] = field(default_factory=dict)  # engine extras: fonts, continued pages ...

    @property
    def is_furniture(self) -> bool:
        return self.label in FURNITURE_LABELS

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["label"] = self.label.value
        d["bbox"] = [round(float(v), 2) for v in self.bbox]
        for item in d["items"]:
            if item["bbox"] is not None:
                item["bbox"] = [round(float(v), 2) for v in item["bbox"]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Block":
        d = dict(d)
        d["label"] = Label(d["label"])
        d["bbox"] = tuple(float(v) for v in d["bbox"])
        d["items"] = [
            ListItem(**{**it, "bbox": tuple(it["bbox"]) if it.get("bbox") is not None else None})
            for it in d.get("items", [])
        ]
        return cls(**d)


@dataclass
class Page:
    """One page: its size in points, its blocks, and how its conversion went."""

    index: int  # 0-based
    width: float  # points, as displayed
    height: float
    blocks: list[Block] = field(default_factory=list)
    status: PageStatus = PageStatus.OK
    image_size: tuple[int, int] | None = None  # (width, height) of the model input, when rendered
    stop_reason: str | None = None  # "eos", "length", "loop" for generating engines
    error: str | None = None
    raw: str | None = None  # the engine's raw output (QwenVL HTML for the vlm engine)
    warnings: list[str] = field(default_factory=list)
    seconds: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # engine extras: token usage, attempts ...

    @property
    def reading_order(self) -> list[Block]:
        """Body blocks in reading order (furniture and unordered blocks left out)."""
        body = [b for b in self.blocks if b.order is not None]
        return sorted(body, key=lambda b: b.order)  # type: ignore[arg-type, return-value]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "index": self.index,
            "width": round(float(self.width), 2),
            "height": round(float(self.height), 2),
            "status": self.status.value,
            "image_size": list(self.image_size) if self.image_size else None,
            "stop_reason": self.stop_reason,
            "error": self.error,
            "raw": self.raw,
            "warnings": list(self.warnings),
            "seconds": None if self.seconds is None else round(self.seconds, 4),
            "blocks": [b.to_dict() for b in self.blocks],
        }
        if self.meta:
            out["meta"] = dict(self.meta)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Page":
        return cls(
            index=d["index"],
            width=d["width"],
            height=d["height"],
            status=PageStatus(d.get("status", "ok")),
            image_size=tuple(d["image_size"]) if d.get("image_size") else None,  # type: ignore[arg-type]
            stop_reason=d.get("stop_reason"),
            error=d.get("error"),
            raw=d.get("raw"),
            warnings=list(d.get("warnings", [])),
            seconds=d.get("seconds"),
            blocks=[Block.from_dict(b) for b in d.get("blocks", [])],
            meta=dict(d.get("meta") or {}),
        )


@dataclass
class SourceInfo:
    """Where the document came from."""

    path: str | None = None  # None for bytes / in-memory images
    name: str = "document"  # file stem, used to name outputs
    sha256: str | None = None
    page_count: int = 0  # pages in the source, not only the converted ones
    metadata: dict[str, Any] = field(default_factory=dict)  # PDF metadata: title, author ...


@dataclass
class EngineInfo:
    name: str
    model: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    source: SourceInfo
    engine: EngineInfo
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    schema_version: str = SCHEMA_VERSION

    # -- views -------------------------------------------------------------------------------
    @property
    def blocks(self) -> list[Block]:
        """All body blocks of all pages, in reading order (furniture left out)."""
        return [b for page in self.pages for b in page.reading_order]

    def iter_blocks(self, furniture: bool = True) -> Iterator[Block]:
        """Every block, page by page, in reading order; furniture after the body of its page."""
        for page in self.pages:
            yield from page.reading_order
            if furniture:
                yield from (b for b in page.blocks if b.order is None)

    @property
    def status(self) -> str:
        """"ok" when every page is ok or empty, "failed" when all failed, else "partial"."""
        statuses = {p.status for p in self.pages}
        if not self.pages or statuses <= {PageStatus.OK, PageStatus.EMPTY}:
            return "ok"
        if statuses == {PageStatus.FAILED}:
            return "failed"
        return "partial"

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "source": asdict(self.source),
            "engine": asdict(self.engine),
            "warnings": list(self.warnings),
            "pages": [p.to_dict() for p in self.pages],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        return cls(
            schema_version=d.get("schema_version", SCHEMA_VERSION),
            source=SourceInfo(**d["source"]),
            engine=EngineInfo(**d["engine"]),
            warnings=list(d.get("warnings", [])),
            pages=[Page.from_dict(p) for p in d.get("pages", [])],
        )

    @classmethod
    def from_json(cls, text: str) -> "Document":
        return cls.from_dict(json.loads(text))

    # -- conveniences (renderers imported lazily: document.py holds data only) ---------------
    def to_json(self, indent: int | None = 2) -> str:
        from docparse.render.json import render_json

        return render_json(self, indent=indent)

    def to_markdown(self, **options: Any) -> str:
        from docparse.render.markdown import render_markdown

        return render_markdown(self, **options)

    def to_html(self, **options: Any) -> str:
        from docparse.render.html import render_html

        return render_html(self, **options)

    def to_qwenvl(self) -> list[str]:
        """QwenVL HTML, one string per page, in each page's model pixel space."""
        from docparse.render.qwenvl import render_qwenvl_pages

        return render_qwenvl_pages(self)
