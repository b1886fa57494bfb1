"""Which way up a scanned page is: Tesseract's orientation detection (OSD).

A scan fed in sideways or upside down (and not fixed by the PDF's /Rotate) reads as garbage to
OCR. Tesseract's ``--psm 0`` mode guesses the page's orientation from the shapes of its letters;
we trust a turn only when Tesseract is confident, because on pages with little or handwritten
text it guesses (confidences below 1 on such pages, 2.8 and more on a sideways printed page).

OSD needs the ``tesseract`` program and ``osd.traineddata`` (Debian's tesseract-ocr package
brings both); without them every page counts as upright.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from typing import Any

from docparse.engines.layout.params import OSD_DPI, OSD_MAX_SIDE_PX, OSD_MIN_CONFIDENCE, OSD_TIMEOUT_S
from docparse.engines.layout.scan.ocr import language_installed, tessdata

#: OSD on one thread: it runs beside the page's OCR, which takes the other core (OpenMP would
#: spin on both); the answer does not depend on the thread count
OSD_THREADS = "1"


def osd_available() -> bool:
    return shutil.which("tesseract") is not None and language_installed("osd")


def detect_rotation(page: Any, dpi: int = OSD_DPI) -> int:
    """Clockwise degrees (0, 90, 180, 270) that turn ``page`` as displayed upright; 0 when unsure."""
    return start_rotation(page, dpi).result()


class RotationProbe:
    """Tesseract's orientation detection of one page, running as a child process while the
    caller goes on (the OCR of the page as displayed, which an upright answer keeps); ``result``
    waits for the answer. On a machine with a core to spare the detection costs no wall time."""

    def __init__(self, proc: subprocess.Popen | None, image: str | None) -> None:
        self._proc, self._image = proc, image
        self._answer: int | None = None if proc is not None else 0

    def result(self) -> int:
        """The rotation :func:`detect_rotation` answers; 0 when the detection failed."""
        if self._answer is None:
            try:
                out, _ = self._proc.communicate(timeout=OSD_TIMEOUT_S)  # type: ignore[union-attr]
                self._answer = parse_osd(out.decode("utf-8", "replace"))
            except (OSError, subprocess.SubprocessError, ValueError):
                self._proc.kill()  # type: ignore[union-attr]
                self._proc.communicate()  # type: ignore[union-attr]
                self._answer = 0  # orientation is a nicety: never fail the page over it
            finally:
                self._discard_image()
        return self._answer

    def _discard_image(self) -> None:
        if self._image is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._image)
            self._image = None

    def __del__(self) -> None:  # a probe never asked for its answer: no stray process or file
        if self._answer is None and self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.kill()
                self._proc.communicate()
        self._discard_image()


def start_rotation(page: Any, dpi: int = OSD_DPI) -> RotationProbe:
    """Start the orientation detection of ``page`` (rendered here: PyMuPDF in the caller's
    thread) in a Tesseract child process; a probe that answers 0 when OSD is unavailable."""
    if not osd_available():
        return RotationProbe(None, None)
    image = None
    try:
        longest = max(page.rect.width, page.rect.height, 1.0)
        dpi = max(1, min(dpi, int(OSD_MAX_SIDE_PX * 72 / longest)))
        png = page.get_pixmap(dpi=dpi, colorspace="gray").tobytes("png")
        fd, image = tempfile.mkstemp(suffix=".png", prefix="docparse-osd-")
        with os.fdopen(fd, "wb") as f:
            f.write(png)
        proc = subprocess.Popen(
            ["tesseract", image, "stdout", "--psm", "0", "--tessdata-dir", str(tessdata())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "OMP_THREAD_LIMIT": OSD_THREADS},
        )
    except (OSError, subprocess.SubprocessError, ValueError, RuntimeError):
        if image is not None:
            with contextlib.suppress(OSError):
                os.unlink(image)
        return RotationProbe(None, None)
    return RotationProbe(proc, image)


def parse_osd(report: str, min_confidence: float = OSD_MIN_CONFIDENCE) -> int:
    """The rotation in Tesseract's OSD report ("Rotate: 90", "Orientation confidence: 2.84")."""
    rotate = re.search(r"^Rotate:\s*(\d+)", report, re.MULTILINE)
    confidence = re.search(r"^Orientation confidence:\s*([\d.]+)", report, re.MULTILINE)
    if not rotate or not confidence:
        return 0
    degrees = int(rotate.group(1)) % 360
    if degrees not in (90, 180, 270) or float(confidence.group(1)) < min_confidence:
        return 0
    return degrees


def turned_copy(page: Any, degrees: int) -> Any:
    """A one-page copy of ``page`` displayed turned by ``degrees`` more, clockwise.

    Keep the returned page alive while using it (it holds its own document).
    """
    import pymupdf

    doc = pymupdf.open()
    doc.insert_pdf(page.parent, from_page=page.number, to_page=page.number)
    copy = doc[0]
    copy.set_rotation((page.rotation + degrees) % 360)
    return copy


def work_to_page(work: Any, shown: Any, page: Any) -> Any:
    """The matrix from points on ``work`` (an OCR copy of ``shown`` as displayed) to ``page``'s
    displayed points, where ``shown`` is ``page`` itself or a :func:`turned_copy` of it."""
    import pymupdf

    # the OCR copy has the displayed size of `shown`, up to rounding of the render
    matrix = pymupdf.Matrix(shown.rect.width / work.rect.width, shown.rect.height / work.rect.height)
    if shown is not page:  # undo the extra turn: shown displayed -> unrotated -> page displayed
        matrix = matrix * ~shown.rotation_matrix * page.rotation_matrix
    return matrix
