"""Which picture each figure gets when a ``Document`` is rendered to one string
(``Document.to_markdown()`` / ``to_html()``): links into a folder of crops, or the crops embedded.

Embedding is the default without a folder: a string has no folder next to it, so a relative link
would point at nothing, and leaving figures out (what 0.1 did) loses content silently. The data
URIs are made here from docparse's own PNG crops; nothing from the page's text or a model's
output can become one (the sanitizer drops ``data:`` from table markup).
"""

from __future__ import annotations

import base64
import warnings
from typing import Any

from docparse.document import Document
from docparse.errors import DocparseError
from docparse.output.assets import CROP_DPI, CROP_LABELS, crop_pngs, image_links
from docparse.output.reopen import source_pdf


def figure_images(
    document: Document,
    image_dir: str | None = None,
    embed: bool = True,
    source: Any = None,
    password: str | None = None,
    dpi: float = CROP_DPI,
) -> dict[str, str]:
    """Block id -> ``src`` of its picture: ``image_dir/p1-b3.png`` links when ``image_dir`` is
    given (the crops are the caller's to write, e.g. with ``Document.save``), else (``embed``)
    ``data:image/png;base64,`` URIs cut from the source, else nothing.

    A source that cannot be opened (gone, changed, converted from bytes) is a ``UserWarning``
    and no pictures: the figures then show their text, the rest of the document is unchanged.
    """
    if image_dir is not None:
        return image_links(document, image_dir)
    if not embed or not any(b.label in CROP_LABELS for page in document.pages for b in page.blocks):
        return {}
    try:
        with source_pdf(document, source, password) as pdf:
            crops = crop_pngs(document, pdf, CROP_LABELS, dpi)
    except DocparseError as exc:
        warnings.warn(f"figures shown as text, not pictures: {exc}", UserWarning, stacklevel=3)
        return {}
    return {block_id: data_uri(png) for block_id, png in crops.items()}


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` of PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
