"""Image files cut from the source: figure crops (linked from Markdown / HTML) and page images.

Boxes are in points of the page *as displayed*. PyMuPDF's ``get_pixmap(clip=...)`` takes the clip
in those same displayed coordinates (checked on rotated and cropped pages in the tests), so a block
box is used as the clip directly; derotating it would cut the wrong region.

File names come from block ids (or page indices) only, never from PDF text, are reduced to
``[A-Za-z0-9_-]`` and always land inside ``out_dir``. Every file is written to a temporary name
and renamed, so no half-written image ever exists.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Union

from docparse.document import Document, Label

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf
    from PIL import Image

#: Labels cropped by default: the blocks whose content is a picture.
CROP_LABELS = (Label.IMAGE, Label.CHART)
MIN_CROP_PT = 1.0  # boxes thinner than this (in points) are not worth a file

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def asset_filename(block_id: str, suffix: str = ".png") -> str:
    """The file name of a block's crop: the id itself when it is plain ("p0-b3.png"), else a
    cleaned id with a short hash (so two odd ids never collide and nothing escapes a folder)."""
    cleaned = _UNSAFE.sub("_", block_id).strip("_-")[:80]
    if cleaned == block_id and cleaned:
        return cleaned + suffix
    digest = hashlib.sha256(block_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned or 'block'}-{digest}{suffix}"


def page_image_filename(page_index: int) -> str:
    """"page-0001.png" for page index 0 (1-based in names, like the rest of the outputs)."""
    return f"page-{int(page_index) + 1:04d}.png"


def save_image_crops(
    doc: Document,
    pdf: "pymupdf.Document",
    out_dir: Path,
    dpi: int = 144,
    labels: Iterable[Label] = CROP_LABELS,
) -> dict[str, str]:
    """Crop the boxes of ``labels`` blocks (images and charts by default; pass e.g.
    ``(*CROP_LABELS, Label.TABLE, Label.FORMULA)`` for more) from their pages into ``out_dir``.

    Returns block id -> file path relative to ``out_dir`` (POSIX). Blocks on pages the PDF does
    not have, or with empty boxes, are skipped.
    """
    import pymupdf

    wanted = frozenset(Label(label) for label in labels)
    out_dir = Path(out_dir)
    saved: dict[str, str] = {}
    for page in doc.pages:
        blocks = [b for b in page.blocks if b.label in wanted]
        if not blocks or not 0 <= page.index < pdf.page_count:
            continue
        pdf_page = pdf[page.index]
        page_rect = pdf_page.rect  # displayed size, origin top-left
        for block in blocks:
            clip = pymupdf.Rect(block.bbox) & page_rect
            if clip.is_empty or clip.width < MIN_CROP_PT or clip.height < MIN_CROP_PT:
                continue
            pix = pdf_page.get_pixmap(clip=clip, dpi=int(dpi), alpha=False, colorspace=pymupdf.csRGB)
            name = asset_filename(block.id)
            _atomic_write(out_dir, name, pix.tobytes("png"))
            saved[block.id] = name
    return saved


def save_page_images(
    doc: Document,
    pdf: "pymupdf.Document",
    out_dir: Path,
    size: Union[str, int, float] = "model",
) -> dict[int, str]:
    """Render each page of ``doc`` into ``out_dir`` as ``page-NNNN.png``.

    ``size="model"``: exactly the page's model input size ``page.image_size`` (the image a
    QwenVL engine saw; with the page's QwenVL HTML it makes a fine-tuning pair). Pages without an
    ``image_size`` get one computed as the pipeline would (``model_input_size`` at the default
    dpi). A number: that dpi. Returns page index -> file path relative to ``out_dir``.
    """
    from docparse.geometry import model_input_size
    from docparse.source import DEFAULT_DPI, render_page

    if isinstance(size, str) and size != "model":
        raise ValueError(f"size must be 'model' or a dpi number, got {size!r}")
    out_dir = Path(out_dir)
    saved: dict[int, str] = {}
    for page in doc.pages:
        if not 0 <= page.index < pdf.page_count:
            continue
        pdf_page = pdf[page.index]
        if size == "model":
            target = page.image_size or model_input_size(pdf_page.rect.width, pdf_page.rect.height, DEFAULT_DPI)
        else:
            dpi = float(size)
            target = (max(1, round(pdf_page.rect.width * dpi / 72)), max(1, round(pdf_page.rect.height * dpi / 72)))
        image = render_page(pdf_page, (int(target[0]), int(target[1])))
        name = page_image_filename(page.index)
        _atomic_write(out_dir, name, _png_bytes(image))
        saved[page.index] = name
    return saved


def _png_bytes(image: "Image.Image") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _atomic_write(out_dir: Path, name: str, data: bytes) -> Path:
    """Write ``out_dir/name`` atomically; ``name`` must stay inside ``out_dir``."""
    from docparse.outputs import atomic_write, safe_child

    path = safe_child(Path(out_dir), name)
    if path.parent != Path(out_dir).resolve():
        raise ValueError(f"asset path escapes the output folder: {name!r}")
    atomic_write(path, data)
    return path
