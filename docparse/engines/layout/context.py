"""What the stages of the layout engine share about one page, and the regions they pass on.

``PageContext``: one page as every stage sees it, built once by the text stage and passed
explicitly (nothing is stashed on the PyMuPDF page): the page worked on, its text lines and
words, whether that text came from OCR (and in which language), and the map from the work
page's unrotated points to the displayed page.

``Region``: a box with a label and its text lines, before blocks are made, in the work page's
unrotated coordinates (where PyMuPDF's text layer and layout model live). ``origin`` says which
stage made it; ``model_class`` is the layout model's class when the model did.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

from docparse.document import Label
from docparse.engines.layout.tables.grid import Table
from docparse.engines.layout.text import Line
from docparse.geometry import BBox


def _same_box(b: BBox) -> BBox:
    return b


def page_key(page: Any) -> tuple[int, int]:
    """(id of the document, page number): which page a look-ahead started by ``stream`` (image
    features, ``regions.runner``; OCR, ``scan.ocr_ahead``) belongs to."""
    return id(page.parent), int(page.number)


@dataclass
class PageContext:
    """One page as the stages share it (see the module docstring)."""

    #: the PyMuPDF page worked on: the document's page, or the upright OCR copy of a scan
    page: Any
    #: 0-based page index in the document (block ids and ``Block.page``)
    index: int
    #: text rows of the text layer or of the OCR, in ``page``'s unrotated points
    lines: list[Line] = field(default_factory=list)
    #: ``page.get_text("words")`` tuples of the same text (x0, y0, x1, y1, word, block, line, n)
    words: list[tuple] = field(default_factory=list)
    #: the text came from OCR: the page image is a scan, font sizes are glyph heights
    scanned: bool = False
    #: Tesseract language(s) the page was OCRed with ("eng", "eng+chi_sim"), for a second read
    #: of a part (a ruled table with its rules erased); None when the text was not OCRed
    ocr_language: str | None = None
    #: ``page``'s unrotated points -> the displayed document page's points (/Rotate and the OCR
    #: copy undone)
    to_display: Callable[[BBox], BBox] = _same_box
    #: the OCR text page ``lines`` and ``words`` were read from, held so it lives as long as the
    #: page (PyMuPDF's text page only weakly refers to its page); None without OCR
    ocr_textpage: Any = None
    #: boxes of the column strips a multi-column scan was OCRed in one by one (scan.columns):
    #: no text crosses from one into another; empty when the page was not
    column_strips: tuple[BBox, ...] = ()

    @property
    def height(self) -> float:
        """Height of the unrotated work page (the space text and model boxes live in)."""
        return unrotated_height(self.page)

    @property
    def area(self) -> float:
        """Area of the unrotated work page, square points."""
        return float(self.page.cropbox.width * self.page.cropbox.height)


class RegionOrigin(enum.Enum):
    """Which stage made a region. The value is what a block's ``meta["layout_class"]`` says
    for a region the model did not box (None: nothing is said)."""

    #: a box of the layout model; ``Region.model_class`` names its class
    MODEL = "model"
    #: lines clustered and labelled by the heuristics, or a table/picture they found
    HEURISTIC = None
    #: a picture drawn with vector shapes, found by the heuristics
    VECTOR_FIGURE = "vector-figure"
    #: an embedded image no model box covered
    EMBEDDED_IMAGE = "image"
    #: a chart drawn with vector shapes no model box covered
    VECTOR_CHART = "vector-chart"
    #: a model "table" box over a plot, cut to the plot
    TABLE_AS_CHART = "table-as-chart"
    #: a clean ruled grid found in a scan's pixels where the model saw no table
    RASTER_GRID = "raster-grid"
    #: the short first row of a model text box on a scan, split off as its heading
    TEXT_LEAD = "text-lead"


@dataclass
class Region:
    bbox: BBox
    label: Label
    lines: list[Line] = field(default_factory=list)
    table: Table | None = None
    origin: RegionOrigin = RegionOrigin.HEURISTIC
    #: the layout model's class ("text", "table", "picture", ...) when ``origin`` is MODEL
    model_class: str | None = None
    #: not a region after all (prose the model took for a table, one box over several columns
    #: of text): it collects its lines, then the heuristics read them again
    reread_as_text: bool = False

    @property
    def layout_class(self) -> str | None:
        """What the block's ``meta["layout_class"]`` says: the model's class, or how else the
        region was found; None for plain heuristic regions."""
        return self.model_class if self.origin is RegionOrigin.MODEL else self.origin.value

    def like(self, bbox: BBox, lines: list[Line]) -> "Region":
        """A piece of this region: same label and origin, its own box and lines."""
        return Region(bbox=bbox, label=self.label, lines=lines, origin=self.origin, model_class=self.model_class)


def model_region(bbox: BBox, label: Label, class_name: str, table: Table | None = None) -> Region:
    """A region from a layout-model box of class ``class_name``."""
    return Region(bbox=bbox, label=label, table=table, origin=RegionOrigin.MODEL, model_class=class_name)


def unrotated_height(page: Any) -> float:
    """Height of the unrotated page (the space text and model boxes live in)."""
    return float(page.cropbox.height)
