"""Building blocks from a dialect: ids, reading order, boxes in page points, caption links.

Dialects with boxes give them in model-input pixels (``add(..., px=box)``); dialects without
boxes add blocks with ``px=None``: the block then covers the whole page and
``meta["bbox"] = "none"`` says so, until ``align.attach_boxes`` finds its words on the page.
"""

from __future__ import annotations


from docparse.document import FURNITURE_LABELS, Block, Label, block_id
from docparse.geometry import PageSpace
from docparse.profiles.base import Reading
from docparse.qwenvl.tags import CAPTIONED_LABELS, link_neighbour_captions
from docparse.patterns import MODEL_CAPTION_START

PixelBox = tuple[float, float, float, float]

#: Labels a caption may belong to (the QwenVL reader's set).
CAPTIONED = CAPTIONED_LABELS
def looks_like_caption(text: str) -> bool:
    """"Figure 2-2: ...", "Fig. 1.", "Table 8:", "图 3" ..."""
    return bool(MODEL_CAPTION_START.match(text)) and len(text) < 600


class BlockBuilder:
    """Collects one page's blocks in reading order (furniture gets no order)."""

    def __init__(self, space: PageSpace, page_index: int, source: str) -> None:
        self.space = space
        self.page_index = page_index
        self.source = source
        self.blocks: list[Block] = []
        self.warnings: list[str] = []
        self._order = 0
        self._clamped = 0

    def add(self, label: Label, text: str, px: PixelBox | None = None, bbox_how: str = "model", **fields: object) -> Block:
        meta = dict(fields.pop("meta", None) or {})  # type: ignore[arg-type]
        if px is None:
            bbox = (0.0, 0.0, float(self.space.width_pt), float(self.space.height_pt))
            meta["bbox"] = "none"
        else:
            x0, y0, x1, y1 = (float(v) for v in px)
            if min(x0, y0, x1, y1) < 0 or max(x0, x1) > self.space.width_px or max(y0, y1) > self.space.height_px:
                self._clamped += 1
            bbox = tuple(float(v) for v in self.space.to_points((x0, y0, x1, y1)))  # type: ignore[assignment]
            if bbox_how != "model":
                meta["bbox"] = bbox_how
        order = None
        if label not in FURNITURE_LABELS:
            order = self._order
            self._order += 1
        block = Block(
            id=block_id(self.page_index, len(self.blocks)),
            label=label,
            bbox=bbox,  # type: ignore[arg-type]
            text=text,
            page=self.page_index,
            order=order,
            source=self.source,
            meta=meta,
            **fields,  # type: ignore[arg-type]
        )
        self.blocks.append(block)
        return block

    def link_captions(self) -> None:
        """A caption belongs to the picture/table next to it: the one before, else the one after."""
        link_neighbour_captions(self.blocks)

    def reading(self, meta: dict | None = None, truncated: bool = False) -> Reading:
        self.link_captions()
        warnings = list(self.warnings)
        if self._clamped:
            warnings.append(f"{self._clamped} box(es) reached outside the image and were clamped")
        return Reading(blocks=self.blocks, warnings=warnings, meta=dict(meta or {}), truncated=truncated)
