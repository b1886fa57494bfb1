"""The document model: Document -> Page -> Block, with one Label vocabulary.

Data only. Renderers (``docparse.render``, Document -> str) and files (``docparse.output``) are
reached through function-local imports in the conveniences (``to_*``, ``save``,
``block_image``): both import this module, and this module imports nothing else of docparse but
``document_versions`` (dict -> dict upgrades of older JSON, which imports nothing).

Coordinates: every ``bbox`` is ``(x0, y0, x1, y1)`` in PDF points, origin at the top-left of the
page *as displayed* (after /Rotate). Model-pixel boxes are converted in ``docparse.geometry``.
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from docparse.document_versions import SCHEMA_VERSION, upgrade  # the version to_dict writes; 1.x read too
from docparse.geometry import BBox

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


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
class Continuation:
    """How a paragraph, list or table that runs over a page or column break was merged.

    The first part, the *head*, carries the merged content (text, items, table rows); each later
    *part* stays on its page with its own box and content, out of the reading order
    (``order = None``), so per-page views (QwenVL HTML, page scoring) still have it.
    """

    head_id: str | None = None  # on a later part: the id of the head it was merged into
    part_ids: list[str] = field(default_factory=list)  # on the head: its later parts, in order
    pages: list[int] = field(default_factory=list)  # on the head: every page it spans (0-based)
    own_text: str | None = None  # on the head: its text before the merge (what its page prints)
    own_html: str | None = None  # on the head: its table markup before the merge

    @property
    def is_part(self) -> bool:
        """A later part (its content lives in the head), not the head."""
        return self.head_id is not None


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
    continuation: Continuation | None = None  # set when merged over a page/column break
    meta: dict[str, Any] = field(default_factory=dict)  # engine extras: fonts, verification ...

    @property
    def is_furniture(self) -> bool:
        return self.label in FURNITURE_LABELS

    @property
    def is_continuation(self) -> bool:
        """A later part of a block that continues an earlier one (its content is in the head)."""
        return self.continuation is not None and self.continuation.is_part

    def to_dict(self) -> dict[str, Any]:
        """The block as JSON-ready data (boxes rounded to 0.01 pt), as in the JSON output."""
        d = asdict(self)
        d["label"] = self.label.value
        d["bbox"] = [round(float(v), 2) for v in self.bbox]
        for item in d["items"]:
            if item["bbox"] is not None:
                item["bbox"] = [round(float(v), 2) for v in item["bbox"]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Block":
        """A block from current-version ``to_dict()`` data (``Document.from_dict`` upgrades older)."""
        d = dict(d)
        d["label"] = Label(d["label"])
        d["bbox"] = tuple(float(v) for v in d["bbox"])
        d["items"] = [
            ListItem(**{**it, "bbox": tuple(it["bbox"]) if it.get("bbox") is not None else None})
            for it in d.get("items", [])
        ]
        if d.get("continuation") is not None:
            d["continuation"] = Continuation(**d["continuation"])
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
        """The page as JSON-ready data; ``meta`` only when not empty."""
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
        """A page from ``to_dict()`` data of the current schema version."""
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
        """The document as JSON-ready data: what ``to_json`` writes, described by ``docparse.schema``."""
        return {
            "schema_version": self.schema_version,
            "source": asdict(self.source),
            "engine": asdict(self.engine),
            "warnings": list(self.warnings),
            "pages": [p.to_dict() for p in self.pages],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        """The document of ``to_dict()`` output, of this schema version or an earlier one (upgraded:
        the result is a current document). Raises ``ValueError`` for a newer major version."""
        d = upgrade(d)
        return cls(
            schema_version=SCHEMA_VERSION,
            source=SourceInfo(**d["source"]),
            engine=EngineInfo(**d["engine"]),
            warnings=list(d.get("warnings", [])),
            pages=[Page.from_dict(p) for p in d.get("pages", [])],
        )

    @classmethod
    def from_json(cls, text: str) -> "Document":
        """``from_dict`` of JSON text (``to_json()`` output, or a file of an earlier version)."""
        return cls.from_dict(json.loads(text))

    # -- conveniences -------------------------------------------------------------------------
    # docparse.render (pure: Document -> str) and docparse.output (files, crops) import this
    # module, so they are imported here when called: document.py itself holds data only.

    def to_json(self, indent: int | None = 2) -> str:
        """The document as JSON text: ``to_dict()``, described by the published JSON schema
        (``docparse schema``; version ``schema_version``). ``Document.from_json`` reads it back."""
        from docparse.render.json import render_json

        return render_json(self, indent=indent)

    def to_markdown(
        self,
        *,
        image_dir: str | None = None,
        embed_images: bool = True,
        source: Any = None,
        password: str | None = None,
        furniture: bool = False,
        page_separators: bool = False,
    ) -> str:
        """The document as Markdown (CommonMark with GFM tables; merged cells as HTML tables).

        Figures (image and chart blocks): with ``image_dir``, links ``image_dir/p1-b3.png`` to the
        crops ``save()`` (or ``docparse convert``) writes into ``assets/``. Without it, the crops
        are embedded as ``data:image/png;base64,`` URIs, cut from ``source`` (default: the file
        the document was converted from), so the string stands on its own; if that source cannot
        be opened, a ``UserWarning`` says so and figures show their text. ``embed_images=False``:
        no pictures, figures show their text (small output, no source needed).
        ``furniture``: keep headers, footers and page numbers. ``page_separators``: an
        ``<!-- page N -->`` comment (1-based) before each page.
        """
        from docparse.output.figures import figure_images
        from docparse.render.markdown import render_markdown

        images = figure_images(self, image_dir, embed_images, source, password)
        return render_markdown(self, furniture=furniture, images=images, page_separators=page_separators)

    def to_html(
        self,
        *,
        image_dir: str | None = None,
        embed_images: bool = True,
        source: Any = None,
        password: str | None = None,
        overlay: bool = False,
        page_images: dict[int, str] | None = None,
        title: str | None = None,
    ) -> str:
        """The document as one standalone HTML page (inline CSS, no script, nothing fetched):
        every block an element with ``data-bbox`` (points) and ``data-label``; text escaped,
        table markup passed through an allowlist sanitizer.

        Figures as in ``to_markdown``: links into ``image_dir``, else the crops embedded as
        ``data:image/png;base64,`` URIs from ``source`` (a ``UserWarning`` and text when it
        cannot be opened), or text only with ``embed_images=False``. ``overlay`` with
        ``page_images`` (page index -> image link): each page shown as its image with the boxes
        drawn over it. ``title``: the page title (default: the PDF's title, else the file name).
        """
        from docparse.output.figures import figure_images
        from docparse.render.html import render_html

        images = figure_images(self, image_dir, embed_images, source, password)
        return render_html(self, overlay=overlay, images=images, page_images=page_images, title=title)

    def to_qwenvl(self) -> list[str]:
        """QwenVL HTML, one string per page, in each page's model pixel space (``Page.image_size``;
        computed as the pipeline would when the page was never rendered, with a comment saying
        so): the format Qwen2.5-VL writes, e.g. to pair with page images for fine-tuning."""
        from docparse.render.qwenvl import render_qwenvl_pages

        return render_qwenvl_pages(self)

    def save(
        self,
        out_dir: str | os.PathLike,
        formats: Iterable[str] = ("md", "html", "json"),
        *,
        save_page_images: bool = False,
        overlay: bool = False,
        source: Any = None,
        password: str | None = None,
    ) -> list[Path]:
        """Write the document into ``out_dir`` as ``docparse convert`` lays out one document:
        ``<name>.md|.html|.json``, ``qwenvl/page-0001.html``, figure crops in ``assets/`` (linked
        from md/html), with ``save_page_images`` the model-input page images in ``pages/``, with
        ``overlay`` the boxes drawn in ``overlay/`` (and on the HTML's pages). Every file is
        written atomically (a temporary name, then a rename). ``formats``: any of "md", "html",
        "json", "qwenvl" (or "all"). Crops and page images are cut from ``source`` (default: the
        file converted; a ``UserWarning`` and no pictures when it cannot be opened).
        Returns the paths written. Raises ``OutputError`` when ``out_dir`` cannot be written.
        """
        from docparse.output.writer import save_document

        return save_document(self, Path(out_dir), formats, save_page_images=save_page_images, overlay=overlay,
                             source=source, password=password)

    def block_image(
        self, block: Block | str, *, dpi: float = 144, source: Any = None, password: str | None = None
    ) -> "Image.Image":
        """The picture of ``block`` (a ``Block`` of this document or its id): its box cut from its
        page of ``source`` (default: the file converted) at ``dpi``, as an RGB PIL image.
        Raises ``InputError`` when the source cannot be opened or is not the file converted,
        ``ValueError`` when the block has no area on its page."""
        from docparse.output.assets import crop_image

        return self._cut(crop_image, block, dpi, source, password)

    def block_png(
        self, block: Block | str, *, dpi: float = 144, source: Any = None, password: str | None = None
    ) -> bytes:
        """``block_image`` as PNG bytes (e.g. to store or send without PIL)."""
        from docparse.output.assets import crop_png

        return self._cut(crop_png, block, dpi, source, password)

    def _cut(self, crop: Any, block: Block | str, dpi: float, source: Any, password: str | None) -> Any:
        from docparse.output.reopen import source_pdf

        target = self._block(block)
        with source_pdf(self, source, password) as pdf:
            picture = crop(pdf, target, dpi)
        if picture is None:
            raise ValueError(f"block {target.id} has no area on page {target.page + 1} of the source")
        return picture

    def _block(self, block: Block | str) -> Block:
        """The block of this document with this id, its ``page`` taken from the page holding it."""
        wanted = block.id if isinstance(block, Block) else str(block)
        for page in self.pages:
            for candidate in page.blocks:
                if candidate.id == wanted:
                    return candidate if candidate.page == page.index else replace(candidate, page=page.index)
        raise ValueError(f"no block {wanted!r} in this document")
