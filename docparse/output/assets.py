"""Figure crops: image and chart blocks cut from the source's pages (linked from Markdown /
HTML as ``assets/p1-b3.png``, embedded as data URIs by ``Document.to_html()``, or handed to the
caller by ``Document.block_image``).

Boxes are in points of the page *as displayed*. PyMuPDF's ``get_pixmap(clip=...)`` takes the clip
in those same displayed coordinates (checked on rotated and cropped pages in the tests), so a block
box is used as the clip directly; derotating it would cut the wrong region.

File names come from block ids only, never from PDF text, are reduced to ``[A-Za-z0-9_-]`` and
always land inside ``out_dir``; their page number is 1-based like every number a user reads
(block ``p0-b3`` -> ``p1-b3.png``). Every file is written atomically.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from docparse.document import Block, Document, Label
from docparse.output.files import write_in_folder

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf
    from PIL import Image

#: Labels cropped by default: the blocks whose content is a picture.
CROP_LABELS = (Label.IMAGE, Label.CHART)
MIN_CROP_PT = 1.0  # boxes thinner than this (in points) are not worth a file
CROP_DPI = 144  # 2x screen resolution: sharp on a high-density display, small enough to embed

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# The ids docparse makes ("p3-b12", both 0-based; see document.block_id), numbers without leading
# zeros so that the renamed form stays one-to-one with the id.
_STANDARD_ID = re.compile(r"p(0|[1-9][0-9]{0,8})-b(0|[1-9][0-9]{0,8})")


def asset_filename(block_id: str, suffix: str = ".png") -> str:
    """The file name of a block's crop: "p1-b3.png" for block "p0-b3" (the page 1-based, as in
    every name a user reads). Another id gets a cleaned form with a short hash of the id, so two
    odd ids never collide and nothing escapes a folder."""
    standard = _STANDARD_ID.fullmatch(block_id)
    if standard:
        return f"p{int(standard.group(1)) + 1}-b{standard.group(2)}{suffix}"
    cleaned = _UNSAFE.sub("_", block_id).strip("_-")[:80]
    digest = hashlib.sha256(block_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned or 'block'}-{digest}{suffix}"


def image_links(doc: Document, image_dir: str, labels: Iterable[Label] = CROP_LABELS) -> dict[str, str]:
    """Block id -> ``image_dir/<asset file name>`` for every block of ``labels``: the links the
    renderers write when the crops are (or will be) saved in ``image_dir`` by ``save_image_crops``."""
    wanted = frozenset(Label(label) for label in labels)
    folder = image_dir.rstrip("/")
    return {b.id: f"{folder}/{asset_filename(b.id)}" for page in doc.pages for b in page.blocks if b.label in wanted}


def crop_image(pdf: "pymupdf.Document", block: Block, dpi: float = CROP_DPI) -> "Image.Image | None":
    """The block's box cut from its page of ``pdf`` as an RGB image, or None when the page is not
    in ``pdf`` or the box (clipped to the page) is thinner than ``MIN_CROP_PT``."""
    from PIL import Image

    pix = _crop_pixmap(pdf, block, dpi)
    return None if pix is None else Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def crop_png(pdf: "pymupdf.Document", block: Block, dpi: float = CROP_DPI) -> bytes | None:
    """``crop_image`` as PNG bytes (straight from MuPDF, no PIL round trip)."""
    pix = _crop_pixmap(pdf, block, dpi)
    return None if pix is None else pix.tobytes("png")


def _crop_pixmap(pdf: "pymupdf.Document", block: Block, dpi: float) -> "pymupdf.Pixmap | None":
    import pymupdf

    if not 0 <= block.page < pdf.page_count:
        return None
    pdf_page = pdf[block.page]
    clip = pymupdf.Rect(block.bbox) & pdf_page.rect  # displayed size, origin top-left
    if clip.is_empty or clip.width < MIN_CROP_PT or clip.height < MIN_CROP_PT:
        return None
    return pdf_page.get_pixmap(clip=clip, dpi=int(dpi), alpha=False, colorspace=pymupdf.csRGB)


def crop_pngs(
    doc: Document, pdf: "pymupdf.Document", labels: Iterable[Label] = CROP_LABELS, dpi: float = CROP_DPI
) -> dict[str, bytes]:
    """Block id -> PNG bytes of the crop, for every block of ``labels`` that has one."""
    wanted = frozenset(Label(label) for label in labels)
    crops: dict[str, bytes] = {}
    for page in doc.pages:
        for block in page.blocks:
            if block.label in wanted:
                data = crop_png(pdf, _on_page(block, page.index), dpi)
                if data is not None:
                    crops[block.id] = data
    return crops


def save_image_crops(
    doc: Document,
    pdf: "pymupdf.Document",
    out_dir: Path,
    dpi: float = CROP_DPI,
    labels: Iterable[Label] = CROP_LABELS,
) -> dict[str, str]:
    """Crop the boxes of ``labels`` blocks (images and charts by default; pass e.g.
    ``(*CROP_LABELS, Label.TABLE, Label.FORMULA)`` for more) from their pages into ``out_dir``.

    Returns block id -> file path relative to ``out_dir`` (POSIX). Blocks on pages the PDF does
    not have, or with empty boxes, are skipped.
    """
    saved: dict[str, str] = {}
    for block_id, data in crop_pngs(doc, pdf, labels, dpi).items():
        name = asset_filename(block_id)
        write_in_folder(Path(out_dir), name, data)
        saved[block_id] = name
    return saved


def _on_page(block: Block, page_index: int) -> Block:
    """The block as found on page ``page_index``: its page is where it is listed (a block built
    by hand may leave ``Block.page`` at its default)."""
    return block if block.page == page_index else replace(block, page=page_index)
