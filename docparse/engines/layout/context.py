"""What the stages of the layout engine share about one page, and the regions they pass on.

``Region``: a box with a label and its text lines, before blocks are made, in the page's
unrotated coordinates (where PyMuPDF's text layer and layout model live).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docparse.document import Label
from docparse.engines.layout.tables.grid import Table
from docparse.engines.layout.text import Line

BBox = tuple[float, float, float, float]


@dataclass
class Region:
    bbox: BBox
    label: Label
    lines: list[Line] = field(default_factory=list)
    table: Table | None = None
    source_class: str | None = None  # the layout model's class, when the model made it


def unrotated_height(page: Any) -> float:
    """Height of the unrotated page (the space text and model boxes live in)."""
    return float(page.cropbox.height)
