"""The next scanned page OCRed in a child process while the current page is worked on.

On a scan, Tesseract is about half of a page's time, and MuPDF's OCR cannot run beside the rest
of the page in this process: the call holds the GIL for its whole run, and Leptonica refuses a
second thread outright ("Attempt to use Leptonica from 2 threads at once"). So ``stream`` hands
the next page to one child process: the page is rendered here (PyMuPDF is not thread-safe), its
pixels go to the child, which makes the same one-page PDF with an OCR text layer that
``ocr.upright_ocr_page`` makes in-process (same pixels, same resolution, same call: the same
bytes); the page's orientation detection starts with it, as it would beside an in-process OCR.

The first page of a stream is OCRed here (the child is started for a scanned page that has a page
before it, so a one-page scan starts none, and its start-up overlaps that page; or for a
three-column scan's strips, ``scan.columns``). It ignores Ctrl-C (the parent stops it) and
does not build PyMuPDF's layout model, which it never uses. Anything that goes wrong there (the
child dies, Tesseract fails) makes that page OCR itself, in-process, as without a look-ahead.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docparse.engines.layout.context import page_key
from docparse.engines.layout.params import OCR_DPI
from docparse.engines.layout.scan.ocr import ocr_pdf_bytes, open_ocr_pdf, tessdata
from docparse.engines.layout.scan.orientation import RotationProbe, start_rotation

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import ProcessPoolExecutor

#: seconds between the child's checks that its parent is still there
PARENT_POLL_S = 1.0


@dataclass
class OcrAhead:
    """A scanned page being OCRed in the child process (``OcrWorker.submit``)."""

    key: tuple[int, int]  # (id of the document, page number): which page it belongs to
    language: str
    probe: RotationProbe  # the page's orientation detection, started with the OCR
    future: Future

    def page(self) -> Any | None:
        """The OCR copy (page 1 of the child's PDF), or None when the child failed."""
        try:
            return open_ocr_pdf(self.future.result())
        except Exception:  # the caller OCRs the page itself
            return None


class OcrWorker:
    """One child process OCRing pages rendered here; started on first use. Besides the next
    page (``submit``), it takes part of a page's own second reading (``scan.columns``: column
    strips OCRed one by one, some in the child, the others here at the same time)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._stop: Any = None  # multiprocessing.util.Finalize that stops the child
        self._pid = os.getpid()

    def submit(self, page: Any, language: str) -> OcrAhead:
        """Start the orientation detection and the OCR (``OCR_DPI``, as displayed) of ``page``."""
        probe = start_rotation(page)
        pix = page.get_pixmap(dpi=OCR_DPI)  # exactly what upright_ocr_page renders
        return OcrAhead(key=page_key(page), language=language, probe=probe, future=self.ocr(pix, language))

    def ocr(self, pix: Any, language: str) -> Future:
        """``ocr.ocr_pdf_bytes(pix, language, …)``, in the child: a future of the PDF's bytes.
        Raises RuntimeError in a daemonic process (which may not start children)."""
        import multiprocessing as mp  # here: a conversion without scans never loads it
        import multiprocessing.util
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if mp.current_process().daemon:
            raise RuntimeError("a daemonic process cannot start the OCR child process")
        args = (pix.samples, pix.width, pix.height, pix.n, bool(pix.alpha), pix.xres, pix.yres, language, tessdata())
        if self._pool is not None and self._pid == os.getpid():
            try:
                return self._pool.submit(ocr_pixels, *args)
            except BrokenProcessPool:  # the child died (its page OCRed itself): a new one
                self.close()
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=mp.get_context("spawn"), initializer=_child_setup, initargs=(os.getpid(),)
        )
        self._pid = os.getpid()  # (a forked process starts its own child)
        # Stopped at exit before multiprocessing joins its children: a worker process of
        # docparse.batch ends by joining every child it has, and an idle pool's child waits
        # for work until its pool is shut down (otherwise the worker, and the batch, hang there).
        self._stop = multiprocessing.util.Finalize(self, _stop_pool, args=(self._pool,), exitpriority=100)
        return self._pool.submit(ocr_pixels, *args)

    def close(self) -> None:
        """Stop the child now: queued pages are dropped and an OCR under way is not waited for
        (a run that is stopped, Ctrl-C or SIGTERM, must not sit out a page's Tesseract)."""
        stop, self._stop, self._pool = self._stop, None, None
        if stop is not None and self._pid == os.getpid():
            stop()  # runs _stop_pool once and unregisters it

    @property
    def started(self) -> bool:
        """Whether the child process was started (and not closed since)."""
        return self._pool is not None


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down without waiting for a page under way: its child is terminated."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=5)


def _child_setup(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]  # `import pymupdf` skips its model
    threading.Thread(target=_exit_with, args=(parent,), name="ocr-parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """(In the child) exit once ``parent`` is gone: a pool's child holds both ends of its own
    work queue, so a parent killed (SIGKILL, a batch worker stopped) would leave it waiting for
    work forever."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def ocr_pixels(
    samples: bytes, width: int, height: int, n: int, alpha: bool, xres: int, yres: int, language: str, folder: str | None
) -> bytes:
    """(In the child) ``ocr_pdf_bytes`` of the pixmap these pixels came from."""
    import pymupdf

    colorspace = {1: pymupdf.csGRAY, 3: pymupdf.csRGB, 4: pymupdf.csCMYK}[n - int(alpha)]
    pix = pymupdf.Pixmap(colorspace, width, height, samples, alpha)
    pix.set_dpi(xres, yres)
    return ocr_pdf_bytes(pix, language, folder)
