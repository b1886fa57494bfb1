"""The one structure both ground truth and predictions are read into before scoring.

A page (or, for ground truth written per document, the whole document) is a list of ``Item``s:
text, heading, table, formula or figure, with its text, heading level, table HTML, box and — for
ground truth — its reading-order rank and whether the text score sets it aside (captions,
footnotes, page furniture, display formulas: OmniDocBench scores those elsewhere or not at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docparse.geometry import BBox

#: Item kinds. Predictions use the first four; ground truth also has figures (boxes, no text).
KINDS = ("text", "heading", "table", "formula", "figure")

#: The layout vocabulary every source is mapped onto for box precision/recall. Title and
#: section headings are one class (OmniDocBench's ``title`` covers both) and list items are text
#: (OmniDocBench has no list class).
LAYOUT_LABELS = (
    "text", "heading", "table", "picture", "formula", "caption", "footnote",
    "header", "footer", "page_number", "code",
)


@dataclass
class Item:
    kind: str
    text: str = ""
    level: int | None = None  # headings: 1 = top (Markdown's #), a title is 1
    html: str | None = None  # tables
    bbox: BBox | None = None  # PDF points of the evaluated PDF, origin top-left
    label: str | None = None  # one of LAYOUT_LABELS, when the source says
    order: int | None = None  # ground truth: reading rank; None = not in the reading order
    ignore: bool = False  # ground truth: matched, then left out of the text/order scores


@dataclass
class PageItems:
    """The items of one page in reading order (``page`` None: the whole document)."""

    page: int | None
    items: list[Item] = field(default_factory=list)
    width: float = 0.0  # points
    height: float = 0.0
    has_boxes: bool = False  # boxes are meaningful (layout P/R is computed)
    has_text: bool = True  # text is meaningful (text, order and heading scores are computed)
    has_levels: bool = True  # heading levels are meaningful
    # (layout label, bbox) for layout P/R when they differ from the items' own (predictions
    # that know more boxes than text items: furniture, pymupdf4llm's page_boxes)
    layout_boxes: list[tuple[str, BBox]] | None = None

    def layout(self) -> list[tuple[str, BBox]]:
        if self.layout_boxes is not None:
            return self.layout_boxes
        return [(it.label, it.bbox) for it in self.items if it.label and it.bbox]


@dataclass
class GTDocument:
    """Ground truth for one PDF: where it is and its pages."""

    source: str  # "omnidocbench", "docling", "mineru", "cvat", "samples"
    name: str
    pdf: str  # path of the PDF the predictions are made from
    pages: list[PageItems] = field(default_factory=list)
