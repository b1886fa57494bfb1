"""The three-paragraph page the hybrid-verification tests convert (in-process and remote)."""

from __future__ import annotations

from pathlib import Path

PARAS = [
    "Soil moisture was recorded every morning at six sites along the river bank during spring.",
    "The readings show a steady decline after the second week, most of all at the upper sites.",
    "We attribute the decline to the early end of the snow melt and to the warm dry wind.",
]


def three_paragraph_pdf(folder: Path) -> Path:
    """A one-page PDF of ``PARAS`` with a text layer, saved in ``folder``."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for n, text in enumerate(PARAS):
        page.insert_textbox(pymupdf.Rect(72, 100 + 70 * n, 540, 160 + 70 * n), text, fontsize=11)
    doc.save(folder / "three.pdf")
    return folder / "three.pdf"
