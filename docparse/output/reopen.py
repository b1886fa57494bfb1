"""The source of a converted ``Document``, opened again for its pixels (figure crops, a block's
image, page images), after ``docparse.convert`` has closed it.

The ``Document`` keeps the source's path and sha256, not the file: the file at that path must
still be the one converted (same sha256), or crops would come from another document. Sources
converted from bytes or a PIL image have no path; the caller passes them again as ``source``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

from docparse.document import Document
from docparse.errors import InputError
from docparse.source import open_source

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf


@contextlib.contextmanager
def source_pdf(document: Document, source: Any = None, password: str | None = None) -> Iterator["pymupdf.Document"]:
    """The open source of ``document`` as a ``pymupdf.Document`` (an image source as its one-page
    PDF), closed on exit unless the caller passed it open.

    ``source``: a path, bytes, a PIL image or an open ``pymupdf.Document``; default: the path the
    document was converted from. Raises ``InputError`` (one line) when there is none, it cannot
    be read, or it is not the file that was converted.
    """
    if _is_open_pdf(source):
        yield source
        return
    if source is None:
        if not document.source.path:
            raise InputError(
                f"{document.source.name}: converted from bytes or an image in memory, so there is no file "
                "to cut images from; pass the same input again as source="
            )
        source = document.source.path
    opened = open_source(source, password=password)
    try:
        expected = document.source.sha256
        if expected and opened.info.sha256 != expected:
            raise InputError(f"{source} is not the file this document was converted from (its sha256 differs)")
        yield opened.doc
    finally:
        opened.close()


def _is_open_pdf(obj: object) -> bool:
    import pymupdf  # heavy, and needed only here: not at import time of docparse.output

    return isinstance(obj, pymupdf.Document)
