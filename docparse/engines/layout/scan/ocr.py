"""Tesseract OCR through PyMuPDF, for pages without a text layer.

A page is rendered as displayed and OCRed into a one-page PDF with an invisible text layer
(``pixmap.pdfocr_tobytes``), so rotated scans read upright and the rest of the engine (layout
model included) treats the OCR text like any text layer. Keep the returned page alive while
using its text page.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import tempfile
from typing import Any, Iterator

from docparse.engines.layout.params import OCR_DPI



@functools.lru_cache(maxsize=1)
def tessdata() -> str | None:
    """The Tesseract language-data folder, or None when Tesseract is not installed."""
    if not shutil.which("tesseract"):
        return None
    try:
        import pymupdf

        found = pymupdf.get_tessdata()
    except Exception:  # pymupdf raises when it cannot locate tessdata
        return None
    return found if found and os.path.isdir(found) else None


def tesseract_available() -> bool:
    return tessdata() is not None


def language_installed(language: str) -> bool:
    """True when every "+"-joined language of ``language`` has its traineddata file."""
    folder = tessdata()
    if folder is None:
        return False
    return all(os.path.exists(os.path.join(folder, f"{lang}.traineddata")) for lang in language.split("+"))


def upright_ocr_page(page: Any, language: str = "eng", dpi: int = OCR_DPI) -> Any:
    """A one-page PDF of ``page`` as displayed (rotation applied) with an OCR text layer.

    The returned page keeps its document alive (PyMuPDF pages hold their parent); its size is
    the displayed page's size in points.
    """
    return _ocr_pixmap(page.get_pixmap(dpi=dpi), language)


def _ocr_pixmap(pix: Any, language: str) -> Any:
    """Page 1 of the one-page PDF Tesseract makes of ``pix`` (image plus invisible text layer)."""
    return open_ocr_pdf(ocr_pdf_bytes(pix, language, tessdata()))


def ocr_pdf_bytes(pix: Any, language: str, folder: str | None) -> bytes:
    """The one-page PDF (image plus invisible OCR text layer) Tesseract makes of ``pix``, with
    the language data in ``folder``; also what ``scan.ocr_ahead``'s child process runs."""
    with quiet_native_stderr():  # Tesseract prints "Line cannot be recognized!!" and the like
        # uncompressed: the copy's image is rendered again (layout model, ruling lines) and
        # deflating it only to inflate it costs CPU; the pixels are the same
        return pix.pdfocr_tobytes(compress=False, language=language, tessdata=folder)


def open_ocr_pdf(data: bytes) -> Any:
    """Page 1 of an OCR PDF made by ``ocr_pdf_bytes``."""
    import pymupdf

    return pymupdf.open("pdf", data)[0]


def ocr_clip_page(page: Any, clip: Any, language: str = "eng", dpi: int = OCR_DPI) -> Any:
    """A one-page PDF of the rectangle ``clip`` of ``page`` (unrotated points) with an OCR text
    layer, its size ``clip``'s in points (up to rounding of the render); a column strip of a scan
    (``scan.columns``). Close its ``parent`` when done."""
    return _ocr_pixmap(page.get_pixmap(dpi=dpi, clip=clip), language)


def ocr_gray_words(gray: Any, language: str, dpi: int = OCR_DPI) -> list[tuple]:
    """Words Tesseract reads in a grey image (uint8 rows x cols), in the image's pixels:
    ``(x0, y0, x1, y1, text, block, line, word)``."""
    import pymupdf

    h, w = gray.shape
    grey = pymupdf.Pixmap(pymupdf.csGRAY, w, h, gray.tobytes(), 0)
    pix = pymupdf.Pixmap(pymupdf.csRGB, grey)  # MuPDF's OCR reads nothing from a grey pixmap
    pix.set_dpi(dpi, dpi)
    page = _ocr_pixmap(pix, language)
    sx, sy = w / page.rect.width, h / page.rect.height  # OCR page points -> image pixels
    words = [(x0 * sx, y0 * sy, x1 * sx, y1 * sy, *rest) for x0, y0, x1, y1, *rest in page.get_text("words")]
    page.parent.close()
    return words


def ocr_words_in(page: Any, clip: Any, language: str, dpi: int = OCR_DPI) -> list[tuple]:
    """Words Tesseract reads in the rectangle ``clip`` of ``page`` (unrotated page points),
    in page points: ``(x0, y0, x1, y1, text)``."""
    ocr_page = _ocr_pixmap(page.get_pixmap(dpi=dpi, clip=clip), language)
    sx, sy = clip.width / ocr_page.rect.width, clip.height / ocr_page.rect.height  # OCR points -> page points
    words = [
        (clip.x0 + x0 * sx, clip.y0 + y0 * sy, clip.x0 + x1 * sx, clip.y0 + y1 * sy, text)
        for x0, y0, x1, y1, text, *_ in ocr_page.get_text("words")
    ]
    ocr_page.parent.close()
    return words


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what native code (Tesseract) writes straight to file descriptor 2.

    Its diagnostics are noise to a user watching a progress bar; Python's own ``sys.stderr`` is
    flushed first and restored after, so our warnings and errors still show.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # no real stderr (captured by a test runner)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
