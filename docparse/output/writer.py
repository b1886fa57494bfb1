"""One converted document's output folder: every file atomically, the stamp last (by the caller).

Layout of ``OUT/<name>/`` for a source ``<name>.pdf``::

    <name>.md  <name>.html  <name>.json       the formats asked for
    assets/p1-b3.png ...                      figure crops (page 1-based), linked from md/html
    qwenvl/page-0001.html                     QwenVL HTML per page, in the page's model pixel space
    pages/page-0001.png                       the model-input page image (--save-page-images, --overlay)
    overlay/page-0001.png                     page images with boxes drawn (--overlay)
    .docparse-done.json                       written last: what was converted, from what, how

The strings come from ``docparse.render``; this module only decides where they go.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from docparse.document import Document
from docparse.errors import InputError
from docparse.options import parse_formats
from docparse.output.assets import CROP_LABELS, save_image_crops
from docparse.output.files import atomic_write, prepare_output_folder, safe_child
from docparse.output.overlay import save_overlays
from docparse.output.page_images import page_filename, save_page_images
from docparse.output.reopen import source_pdf
from docparse.render.html import render_html
from docparse.render.json import render_json
from docparse.render.markdown import render_markdown
from docparse.render.qwenvl import render_qwenvl_pages

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

ASSETS_DIR = "assets"
PAGES_DIR = "pages"
OVERLAY_DIR = "overlay"
QWENVL_DIR = "qwenvl"


def write_outputs(
    document: Document,
    pdf: "pymupdf.Document | None",
    out_dir: Path,
    formats: Iterable[str],
    *,
    save_page_images: bool = False,
    overlay: bool = False,
) -> list[str]:
    """Write the formats of ``document`` into ``out_dir``; returns the files written (relative,
    POSIX). ``pdf`` is the open source the crops and page images are cut from; without it
    (a document whose source is gone) figures show their text and no page images are written."""
    formats = list(formats)
    name = document.source.name
    written: list[str] = []
    out_dir.mkdir(parents=True, exist_ok=True)

    def put(rel: str, data: str | bytes) -> None:
        atomic_write(safe_child(out_dir, *rel.split("/")), data)
        written.append(rel)

    images: dict[str, str] = {}
    if pdf is not None and ("md" in formats or "html" in formats):
        crops = save_image_crops(document, pdf, safe_child(out_dir, ASSETS_DIR))
        images = {block_id: f"{ASSETS_DIR}/{file}" for block_id, file in crops.items()}
        written.extend(images.values())

    page_images: dict[int, str] = {}
    if pdf is not None and (overlay or save_page_images):
        page_images = _save_pages(document, pdf, out_dir, overlay)
        written.extend(page_images.values())
        if overlay:
            written.extend(f"{OVERLAY_DIR}/{Path(p).name}" for p in page_images.values())

    if "md" in formats:
        put(f"{name}.md", render_markdown(document, images=images))
    if "html" in formats:
        put(f"{name}.html", render_html(document, images=images, overlay=overlay, page_images=page_images or None))
    if "json" in formats:
        put(f"{name}.json", render_json(document))
    if "qwenvl" in formats:
        for page, html in zip(document.pages, render_qwenvl_pages(document)):
            put(f"{QWENVL_DIR}/{page_filename(page.index, '.html')}", html)
    return written


def _save_pages(document: Document, pdf: "pymupdf.Document", out_dir: Path, overlay: bool) -> dict[int, str]:
    """Each page at its model input size in ``pages/`` (with ``qwenvl/page-NNNN.html`` a page
    image + QwenVL HTML pair for fine-tuning); with ``overlay`` also a copy with the boxes drawn
    in ``overlay/``. Returns page index -> path of the page image relative to ``out_dir``."""
    pages_dir = safe_child(out_dir, PAGES_DIR)
    saved = save_page_images(document, pdf, pages_dir)
    if overlay:
        save_overlays(document, pages_dir, safe_child(out_dir, OVERLAY_DIR), saved)
    return {index: f"{PAGES_DIR}/{name}" for index, name in saved.items()}


def save_document(
    document: Document,
    out_dir: Path,
    formats: Iterable[str] = ("md", "html", "json"),
    *,
    save_page_images: bool = False,
    overlay: bool = False,
    source: Any = None,
    password: str | None = None,
) -> list[Path]:
    """``Document.save``: ``write_outputs`` into ``out_dir`` (created), cutting crops and page
    images from the document's source (see ``output.reopen``). A source that cannot be opened is a
    ``UserWarning`` and the files are written without pictures. Returns the paths written."""
    formats = parse_formats(formats)  # 'md,html', ['md'], 'all'; unknown names: OptionsError
    out_dir = Path(out_dir)
    prepare_output_folder(out_dir)
    needs_pixels = save_page_images or overlay or (
        ("md" in formats or "html" in formats)
        and any(b.label in CROP_LABELS for page in document.pages for b in page.blocks)
    )
    if not needs_pixels:
        written = write_outputs(document, None, out_dir, formats)
    else:
        try:
            with source_pdf(document, source, password) as pdf:
                written = write_outputs(document, pdf, out_dir, formats, save_page_images=save_page_images,
                                        overlay=overlay)
        except InputError as exc:
            warnings.warn(f"written without pictures: {exc}", UserWarning, stacklevel=3)
            written = write_outputs(document, None, out_dir, formats)
    return [out_dir.joinpath(*rel.split("/")) for rel in written]

