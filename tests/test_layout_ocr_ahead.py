"""The next scanned page OCRed in a child process (``scan.ocr_ahead``): the same bytes as OCR in
this process, the same documents with and without the look-ahead, a dead child costing nothing
but time, no child for a one-page scan, and the child stopped with the engine."""

from __future__ import annotations

import time

import pytest

pymupdf = pytest.importorskip("pymupdf")

from docparse.api import convert  # noqa: E402
from docparse.engines.base import PageInput  # noqa: E402
from docparse.engines.layout import LayoutEngine  # noqa: E402
from docparse.engines.layout.scan.columns import column_ocr_page  # noqa: E402
from docparse.engines.layout.scan.ocr import ocr_pdf_bytes, tessdata, tesseract_available, upright_ocr_page  # noqa: E402
from docparse.engines.layout.scan.ocr_ahead import OcrWorker, ocr_pixels  # noqa: E402
from docparse.source import make_page_input, open_source  # noqa: E402

pytestmark = pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed")

WORDS = ("Aberdeen", "Brighton", "Cardiff", "Dover")  # one a page: which page was read
PARAGRAPHS = [
    "Scanned page {n}. The committee met on Tuesday to review the harbour budget and the ferry timetable.",
    "Members asked for a second crossing in the morning, when most passengers travel to {word}.",
    "The report will be published next month together with the figures for the winter season.",
]


def _scan_pdf(pages: int, three_columns: bool = False) -> bytes:
    """Image-only pages (text rendered, then rasterised at 150 dpi): what a scanner writes."""
    text = pymupdf.open()
    for n in range(1, pages + 1):
        page = text.new_page(width=595, height=842)
        if three_columns:
            for c in range(3):
                body = " ".join(p.format(n=n, word=WORDS[n - 1]) for p in PARAGRAPHS * 3)
                page.insert_textbox(pymupdf.Rect(40 + c * 180, 60, 200 + c * 180, 800), body, fontsize=10)
        else:
            page.insert_textbox(pymupdf.Rect(60, 80, 535, 780), "\n\n".join(p.format(n=n, word=WORDS[n - 1]) for p in PARAGRAPHS), fontsize=13)
    scan = pymupdf.open()
    for page in text:
        copy = scan.new_page(width=page.rect.width, height=page.rect.height)
        copy.insert_image(copy.rect, pixmap=page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY))
    return scan.tobytes()


def _convert_scan(tmp_path, pages: int):
    """(Its path, the document, whether its engine started the OCR child) of a ``pages``-page scan
    converted through ``stream``; the engine is closed after, and its child with it."""
    path = tmp_path / f"scan{pages}.pdf"
    path.write_bytes(_scan_pdf(pages))
    engine = LayoutEngine()
    try:
        doc = convert(str(path), engine=engine)
        started = engine._ocr_worker.started
    finally:
        engine.close()
    assert not engine._ocr_worker.started
    return path, doc, started


def test_the_childs_ocr_writes_the_same_pdf_as_ocr_here():
    page = pymupdf.open("pdf", _scan_pdf(1))[0]
    pix = page.get_pixmap(dpi=200)
    here = ocr_pdf_bytes(pix, "eng", tessdata())
    worker = OcrWorker()
    try:
        there = worker.ocr(pix, "eng").result(timeout=120)
    finally:
        worker.close()
    assert there == here
    assert ocr_pixels(pix.samples, pix.width, pix.height, pix.n, bool(pix.alpha), pix.xres, pix.yres, "eng", tessdata()) == here


def test_a_multi_page_scan_reads_the_same_with_the_look_ahead(tmp_path):
    """``stream`` OCRs pages 2 and 3 in the child; page by page (no look-ahead) gives the same."""
    path, streamed, started = _convert_scan(tmp_path, 3)
    assert started  # the look-ahead really ran in a child
    opened = open_source(str(path))
    single = LayoutEngine()
    try:
        for i, page in enumerate(streamed.pages):
            out = single.process_page(make_page_input(opened.doc, i))
            assert [b.text for b in out.blocks] == [b.text for b in page.blocks], f"page {i + 1}"
        assert not single._ocr_worker.started
    finally:
        opened.close()
    assert all(word in streamed.to_markdown() for word in WORDS[:3])


def test_a_one_page_scan_starts_no_child(tmp_path):
    _, doc, started = _convert_scan(tmp_path, 1)
    assert not started
    assert WORDS[0] in doc.to_markdown()


def test_a_dead_child_makes_the_page_ocr_itself(tmp_path):
    """The child killed while it OCRs the next page: that page is OCRed here, nothing is lost."""
    path = tmp_path / "scan.pdf"
    path.write_bytes(_scan_pdf(2))
    reference = convert(str(path), engine="layout")
    engine = LayoutEngine()
    opened = open_source(str(path))
    try:
        pages = [make_page_input(opened.doc, i) for i in range(2)]
        stream = engine.stream(iter(pages))
        first = next(stream)  # page 2 is in the child now
        for proc in list(engine._ocr_worker._pool._processes.values()):
            proc.kill()
        second = next(stream)
        assert not isinstance(second[1], BaseException)
        got = [[b.text for b in out.blocks] for _, out in (first, second)]
        again = engine._prefetch_scan(pages[1])  # the pages after get a new child
        assert again is not None and again.page() is not None
    finally:
        engine.close()
        opened.close()
    assert got == [[b.text for b in p.blocks] for p in reference.pages]


def test_column_strips_read_in_the_child_and_here_give_the_same_page():
    work = upright_ocr_page(pymupdf.open("pdf", _scan_pdf(1, three_columns=True))[0])
    alone = column_ocr_page(work, "eng")
    worker = OcrWorker()
    try:
        shared = column_ocr_page(work, "eng", worker=worker)
        assert worker.started
    finally:
        worker.close()
    assert alone is not None and shared is not None
    assert shared[1] == alone[1]  # the same strips
    assert shared[0].get_text("words") == alone[0].get_text("words")


def test_closing_does_not_wait_for_an_ocr_under_way():
    page = pymupdf.open("pdf", _scan_pdf(1, three_columns=True))[0]
    worker = OcrWorker()
    future = worker.ocr(page.get_pixmap(dpi=300), "eng")  # a few seconds of Tesseract
    time.sleep(0.5)
    started = time.perf_counter()
    worker.close()
    assert time.perf_counter() - started < 2.0
    assert future.cancelled() or future.done()


def test_page_input_of_a_scan_says_it_has_no_text_layer():
    """The look-ahead's trigger: a scan's PageInput has no text layer (so it will be OCRed)."""
    opened = open_source(_scan_pdf(1))
    try:
        inp: PageInput = make_page_input(opened.doc, 0)
        assert inp.has_text_layer is False
    finally:
        opened.close()


#: seconds a run of two small scans with two worker processes may take on a loaded 2-core machine
BATCH_BOUND_S = 240.0
#: seconds the child may outlive a killed parent: it checks every PARENT_POLL_S, after any OCR under way
ORPHAN_BOUND_S = 30.0


def test_a_batch_of_multi_page_scans_with_two_workers_finishes(tmp_path):
    """Each batch worker process has its own OCR child; a worker ends by joining its children,
    so the child must be stopped first (it was not: the run hung at the end)."""
    import subprocess
    import sys

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b"):
        (src / f"{name}.pdf").write_bytes(_scan_pdf(2))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "docparse.cli", "convert", str(src), "-o", str(out), "-w", "2", "-q", "-f", "md"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BATCH_BOUND_S, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in ("a", "b"):
        assert WORDS[1] in (out / name / f"{name}.md").read_text()


def test_the_child_exits_when_its_parent_is_killed(tmp_path):
    import subprocess
    import sys

    import psutil

    script = tmp_path / "parent.py"
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(_scan_pdf(1))
    script.write_text(
        "import sys, time, pymupdf\n"
        "from docparse.engines.layout.scan.ocr_ahead import OcrWorker\n"
        "if __name__ == '__main__':\n"
        "    worker = OcrWorker()\n"
        f"    worker.ocr(pymupdf.open({str(pdf)!r})[0].get_pixmap(dpi=200), 'eng').result()\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        children = [c for c in psutil.Process(parent.pid).children() if "resource_tracker" not in " ".join(c.cmdline())]
        assert children, "the OCR child was not started"
        parent.kill()
        parent.wait()
        gone, alive = psutil.wait_procs(children, timeout=ORPHAN_BOUND_S)
        assert not alive, f"OCR child still running after its parent was killed: {alive}"
    finally:
        if parent.poll() is None:
            parent.kill()
