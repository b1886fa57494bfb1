"""Whole pages rendered from the source: ``pages/page-0001.png`` (``--save-page-images``,
``--overlay``), at the page's model input size by default, so that with the page's QwenVL HTML it
makes a fine-tuning pair (page image + QwenVL HTML in the same pixel space)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Union

from docparse.document import Document
from docparse.geometry import DEFAULT_DPI, model_input_size
from docparse.output.files import write_in_folder
from docparse.source import render_page

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf
    from PIL import Image


def page_filename(page_index: int, suffix: str) -> str:
    """"page-0001<suffix>" for page index 0 (1-based in names, like the rest of the outputs)."""
    return f"page-{int(page_index) + 1:04d}{suffix}"


def page_image_filename(page_index: int) -> str:
    """"page-0001.png" for page index 0."""
    return page_filename(page_index, ".png")


def png_bytes(image: "Image.Image") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


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
        write_in_folder(out_dir, name, png_bytes(image))
        saved[page.index] = name
    return saved
