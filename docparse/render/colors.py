"""One colour per label, shared by the HTML overlay's CSS (``render.html``) and the drawn
overlays (``output.overlay``), so both views colour a label the same way."""

from __future__ import annotations

from docparse.document import Label

#: One colour per label (RGB hex), readable on white paper.
LABEL_COLORS: dict[Label, str] = {
    Label.TITLE: "#d62728",
    Label.HEADING: "#ff7f0e",
    Label.PARAGRAPH: "#1f77b4",
    Label.LIST: "#17becf",
    Label.TABLE: "#2ca02c",
    Label.CHART: "#bcbd22",
    Label.FORMULA: "#9467bd",
    Label.IMAGE: "#8c564b",
    Label.CAPTION: "#e377c2",
    Label.FOOTNOTE: "#7f7f7f",
    Label.HEADER: "#aaaaaa",
    Label.FOOTER: "#aaaaaa",
    Label.PAGE_NUMBER: "#aaaaaa",
    Label.CODE: "#393b79",
    Label.MUSIC: "#637939",
    Label.CHEMISTRY: "#843c39",
}


def label_color(label: Label) -> tuple[int, int, int]:
    """The label's colour as an (r, g, b) tuple (black for a label without one)."""
    hexcode = LABEL_COLORS.get(label, "#000000").lstrip("#")
    return (int(hexcode[0:2], 16), int(hexcode[2:4], 16), int(hexcode[4:6], 16))
