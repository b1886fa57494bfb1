"""The embedded layout engine: no model weights to download.

``LayoutEngine._convert`` is the page recipe (``PAGE_RECIPE`` lists its steps and modules).
Per page: text rows from PyMuPDF's text layer (or Tesseract OCR through PyMuPDF when the page has
no text layer, the scan turned upright first when it is sideways), regions from PyMuPDF's bundled
layout-analysis model (``pymupdf.layout``, ONNX) or, without it, from heuristics; tables from
``find_tables``, ruling lines in a scan's pixels or the model's table structure; pictures and
charts the model missed (``regions.figures``); then blocks in reading order (``blocks``).

Pages are handled one at a time on the caller's open document; nothing is kept between pages,
so memory does not grow with the page count. The overlaps: through ``stream`` (what the
pipeline calls) the next page's image features for the layout model are computed in a
background thread while the current page runs its recipe (``regions.runner``), and the next
scanned page is OCRed in a child process (``scan.ocr_ahead``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Iterator

from docparse.document import EngineInfo, PageStatus
from docparse.engines.base import PageInput, PageOutput, PageResult, Timer
from docparse.engines.layout.blocks import build_blocks
from docparse.engines.layout.columns import cut_glued_rows
from docparse.engines.layout.context import PageContext, Region, page_key
from docparse.engines.layout.params import MAX_LINE_CHARS, MODEL_MAX_PAGE_AREA
from docparse.engines.layout.regions.figures import add_missing_pictures
from docparse.engines.layout.regions.heuristic import heuristic_regions
from docparse.engines.layout.regions.model import load_layout_model, model_regions, run_layout_model
from docparse.engines.layout.regions.refine import refine
from docparse.engines.layout.regions.runner import Ahead, layout_model
from docparse.engines.layout.scan.garbled_lines import garbled_line, reread_garbled_lines
from docparse.engines.layout.scan.columns import column_ocr_page, cut_at_strips
from docparse.engines.layout.scan.ocr import language_installed, tesseract_available, upright_ocr_page
from docparse.engines.layout.scan.ocr_ahead import OcrAhead, OcrWorker
from docparse.engines.layout.scan.orientation import start_rotation, turned_copy, work_to_page
from docparse.engines.layout.text import clean_text, extract_lines, ocr_language_for, unreadable
from docparse.engines.layout.title import first_page_title
from docparse.errors import OptionsError
from docparse.geometry import BBox

OCR_MODES = ("auto", "always", "never")

#: what ``LayoutEngine`` does to each page, in order, and where each step lives
PAGE_RECIPE = (
    "text: the text layer's lines and words, or OCR of a scan turned upright (text, scan/); rows "
    "glued across a column gutter cut, on born-digital pages (columns)",
    "regions: boxes from the layout model or the heuristics (regions/model, regions/heuristic)",
    "tables: cells for each table region, from rules, the model's grid or words (tables/)",
    "figures: pictures and charts the model missed (regions/figures)",
    "refine: labels the text says better than the model (regions/refine)",
    "title: on the first page, the title, its kicker and the author lines (title)",
    "order: reading order of the body regions (order, columns)",
    "blocks: one Block per region, lists grouped, captions linked (blocks)",
)


def _display_map(page: Any, to_page: Any) -> Callable[[BBox], BBox]:
    """Work page's unrotated points -> displayed page points: the page's /Rotate, then (for an
    OCR copy) the copy's placement on the document's page."""
    matrix = page.rotation_matrix
    rotated = page.rotation % 360 != 0

    def to_display(b: BBox) -> BBox:
        if rotated or to_page is not None:
            import pymupdf

            r = pymupdf.Rect(b)
            if rotated:
                r = r * matrix
            if to_page is not None:
                r = r * to_page
            b = (r.x0, r.y0, r.x1, r.y1)
        return b

    return to_display


class LayoutEngine:
    """Blocks from a page's text layer, PyMuPDF's layout model and (when needed) Tesseract."""

    name = "layout"
    batch_size = 1

    def __init__(self, ocr: str = "auto", ocr_language: str = "eng", use_layout_model: bool = True) -> None:
        if ocr not in OCR_MODES:
            raise OptionsError(f"ocr must be one of {', '.join(OCR_MODES)}, got {ocr!r}")
        self.ocr = ocr
        self.ocr_language = ocr_language or "eng"
        self.use_layout_model = use_layout_model
        self._ocr_worker = OcrWorker()  # the next scanned page's OCR, in a child process (started on use)
        self._model_error: str | None = None
        if use_layout_model:
            try:
                load_layout_model()
            except Exception as exc:  # an optional accelerator of quality: fall back to heuristics
                self._model_error = f"layout model unavailable ({exc}); using heuristics"

    def info(self) -> EngineInfo:
        model = "pymupdf.layout" if self.use_layout_model and self._model_error is None else None
        return EngineInfo(
            name=self.name,
            model=model,
            settings={
                "ocr": self.ocr,
                "ocr_language": self.ocr_language,
                "use_layout_model": self.use_layout_model,
                "tesseract": tesseract_available(),
            },
        )

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        return [self.process_page(p) for p in pages]

    def stream(self, pages: Iterable[PageInput]) -> Iterator[PageResult]:
        """Pages in order, one page ahead: the next page's image features (the layout model's
        costliest part) are computed in the background while the current page is worked on, and
        the next page, when it is a scan, is OCRed in a child process (not the first page: a
        one-page scan starts no child)."""
        from docparse.errors import EngineError

        it = iter(pages)
        nxt = next(it, None)
        ahead = self._prefetch(nxt)
        scan_ahead: OcrAhead | None = None
        while nxt is not None:
            current, current_ahead, current_scan = nxt, ahead, scan_ahead
            nxt = next(it, None)
            ahead = self._prefetch(nxt)
            scan_ahead = self._prefetch_scan(nxt)
            try:
                out: PageOutput | BaseException = self.process_page(current, current_ahead, current_scan)
            except (KeyboardInterrupt, MemoryError, EngineError):
                raise
            except Exception as exc:  # this page fails, the others go on
                out = exc
            yield current, out

    def _prefetch(self, inp: PageInput | None) -> Ahead | None:
        """``layout_model().prefetch`` of a page the model will likely run on as it is (a text
        layer to read, no OCR copy, not too large); None otherwise or when that fails."""
        if inp is None or not self.use_layout_model or self._model_error:
            return None
        if self.ocr == "always" or not inp.has_text_layer:
            return None
        try:
            page = inp.page
            if page.rect.width * page.rect.height > MODEL_MAX_PAGE_AREA:
                return None
            return layout_model().prefetch(page)
        except Exception:  # the page computes its own features then
            return None

    def _prefetch_scan(self, inp: PageInput | None) -> OcrAhead | None:
        """``OcrWorker.submit`` of a page that will be OCRed (no text layer, or ``ocr='always'``)
        in its own language; None otherwise or when that fails (the page OCRs itself then)."""
        if inp is None or self.ocr == "never" or (self.ocr == "auto" and inp.has_text_layer):
            return None
        language = str(inp.options.get("ocr_language") or self.ocr_language)
        if not tesseract_available() or not language_installed(language):
            return None
        try:
            return self._ocr_worker.submit(inp.page, language)
        except Exception:  # the page OCRs itself
            return None

    def close(self) -> None:
        """Stop the OCR child process, if one was started (the layout model is built once per
        process: ``layout_model``)."""
        self._ocr_worker.close()

    # -- one page ---------------------------------------------------------------------------------
    def process_page(self, inp: PageInput, ahead: Ahead | None = None, scan_ahead: OcrAhead | None = None) -> PageOutput:
        with Timer() as timer:
            out = self._convert(inp, ahead, scan_ahead)
        out.seconds = timer.seconds
        return out

    def _convert(self, inp: PageInput, ahead: Ahead | None = None, scan_ahead: OcrAhead | None = None) -> PageOutput:
        """The page recipe, one step a line (see ``PAGE_RECIPE``); ``ahead``: the page's image
        features for the layout model, ``scan_ahead``: its OCR, both started by ``stream``."""
        warnings: list[str] = []
        if self._model_error and self.use_layout_model:
            warnings.append(self._model_error)
        ctx, need_ocr = self._text(inp, warnings, scan_ahead)
        regions = self._regions(ctx, warnings, ahead)  # tables and figures are found with the regions
        regions = refine(regions, ctx.height)
        if ctx.index == 0:
            first_page_title(regions, ctx.height, ctx.scanned)  # title, kicker, author lines
        blocks = build_blocks(regions, ctx)  # reading order, then one block per region or list
        for b in blocks:
            if "outside_cells" in b.meta:
                n = len(str(b.meta["outside_cells"]).split())
                warnings.append(f"table {b.id}: {n} word(s) in its box fall in no cell (kept in meta outside_cells)")
        status = PageStatus.OK if blocks else PageStatus.EMPTY
        if not ctx.lines and not ctx.scanned and (need_ocr or not inp.has_text_layer):
            status = PageStatus.EMPTY  # a scan we could not read: at most its picture is known
            if self.ocr == "never":
                warnings.append("no text layer and OCR is off (ocr='never'): the page has no text")
        return PageOutput(index=inp.index, blocks=blocks, status=status, warnings=warnings)

    # -- the steps --------------------------------------------------------------------------------
    def _text(self, inp: PageInput, warnings: list[str], scan_ahead: OcrAhead | None = None) -> tuple[PageContext, bool]:
        """Step 1: the page's text lines and words, from its text layer or from OCR (``scan_ahead``:
        its OCR started by ``stream``); the page context every later step reads; and whether OCR
        was needed."""
        page = inp.page  # keep this object alive: an OCR text page only weakly refers to it
        language = str(inp.options.get("ocr_language") or self.ocr_language)

        lines = extract_lines(page) if self.ocr != "always" else []
        textpage = None
        strips: list = []  # the column strips of a scan OCRed column by column (scan.columns)
        to_page = None  # work page -> displayed page points, when we work on an (upright) OCR copy
        garbled = unreadable(lines) if lines else None
        need_ocr = self.ocr == "always" or (
            self.ocr == "auto" and (not inp.has_text_layer or not lines or garbled is not None)
        )
        if garbled is not None and self.ocr == "never":
            warnings.append(f"the text layer looks garbled ({garbled}) and OCR is off (ocr='never')")
        if need_ocr:
            if garbled is not None and self.ocr == "auto":
                language = ocr_language_for(page, language)
            textpage, work, why, to_page, strips = self._ocr(page, language, scan_ahead)
            if textpage is not None:
                page = work  # the scan was OCRed upright, as displayed, into a copy: work on that
                lines = extract_lines(page, textpage, ocr=True)
                if garbled is not None and self.ocr == "auto":
                    warnings.append(f"the text layer looks garbled ({garbled}): the page was OCRed ({language})")
            elif why:
                warnings.append(why if garbled is None else f"the text layer looks garbled ({garbled}); {why}")
                if self.ocr == "always" or garbled is not None:  # no OCR possible: the layer is the best we have
                    lines = lines or extract_lines(page)
        if textpage is not None:
            words = page.get_text("words", textpage=textpage)
        else:  # the same characters as the lines: ligatures expanded, private-use bullets mapped
            words = [(*w[:4], clean_text(w[4]), *w[5:]) for w in page.get_text("words")]
            if lines and self.ocr == "auto" and any(garbled_line(ln) for ln in lines):
                # a readable page may still have a few garbled lines: OCR of their boxes decides
                line_language = ocr_language_for(page, language)
                reread = reread_garbled_lines(page, lines, words, line_language)
                lines, words = reread.lines, reread.words
                if reread.replaced:
                    warnings.append(
                        f"{reread.replaced} text line(s) with unmapped glyphs (a font without a usable "
                        f"encoding) were read again by OCR of their boxes ({line_language})"
                    )
        scanned = textpage is not None
        if not scanned:  # (columns) rows of two columns run together
            lines = cut_glued_rows(lines, words)
        elif strips:  # (on a scan OCRed column by column its strips tell the columns apart)
            lines = cut_at_strips(lines, strips)
        ctx = PageContext(
            page=page,
            index=inp.index,
            lines=lines,
            words=words,
            scanned=scanned,
            ocr_language=language if scanned else None,
            to_display=_display_map(page, to_page),
            ocr_textpage=textpage,
            column_strips=tuple(strips),
        )
        return ctx, need_ocr

    def _regions(self, ctx: PageContext, warnings: list[str], ahead: Ahead | None = None) -> list[Region]:
        """Step 2: regions with their tables, from the layout model or from heuristics."""
        page, lines, scanned = ctx.page, ctx.lines, ctx.scanned
        longest = max((ln.chars for ln in lines), default=0)
        if longest > MAX_LINE_CHARS:  # MuPDF's text analyses would take minutes: plain text regions
            warnings.append(
                f"a text line of {longest} characters (more than {MAX_LINE_CHARS}): regions from "
                "heuristics, without the layout model and table detection"
            )
            return heuristic_regions(ctx, find_tables=False)
        if page.rect.width * page.rect.height > MODEL_MAX_PAGE_AREA and lines:
            warnings.append(
                f"page of {page.rect.width:.0f} x {page.rect.height:.0f} pt (more than {MODEL_MAX_PAGE_AREA} pt²): "
                "regions from heuristics, not the layout model (it renders the page at one pixel a point)"
            )
            return heuristic_regions(ctx, find_tables=not scanned)
        if self.use_layout_model and self._model_error is None and lines:
            try:
                raw = run_layout_model(page, None if scanned else ahead)  # a scan's model runs on its OCR copy
                regions, model_warnings = model_regions(ctx, raw)
                warnings.extend(model_warnings)
                if not scanned:  # on a scan the page image is everything at once
                    regions = add_missing_pictures(page, regions)
                return regions
            except Exception as exc:  # the model must never fail the page: heuristics instead
                warnings.append(f"layout model failed on this page ({type(exc).__name__}: {exc}); using heuristics")
                # (as it always was: this fallback reads a scan like a born-digital page)
                return heuristic_regions(dataclasses.replace(ctx, scanned=False))
        return heuristic_regions(ctx, find_tables=not scanned)

    def _ocr(self, page: Any, language: str, scan_ahead: OcrAhead | None = None) -> tuple[Any, Any, str | None, Any, list]:
        """(OCR text page, the page it belongs to, None, matrix from that page to ``page``'s
        displayed points, the column strips it was OCRed in one by one) or (None, None, why not,
        None, []).

        The page is OCRed as displayed into a one-page copy, since Tesseract reads an unrotated
        render of a /Rotate-d page sideways; a scan that is sideways even as displayed is turned
        upright first (Tesseract's orientation detection). The copy is returned so the caller
        keeps it alive. ``scan_ahead``, when it is this page's in this language, holds that OCR
        (and the orientation detection) already under way in the child process.
        """
        if not tesseract_available():
            return None, None, (
                "no text layer and Tesseract is not installed: install tesseract-ocr and "
                f"tesseract-ocr-{language.split('+')[0]} to read scanned pages"
            ), None, []
        if not language_installed(language):
            return None, None, f"Tesseract language data for {language!r} is not installed; page not OCRed", None, []
        try:
            # OCR into a one-page copy with a real (invisible) text layer, as displayed: the
            # layout model can then run on the OCR text like on any PDF. The orientation is
            # detected meanwhile in a child process; a sideways answer means OCR once more.
            ready = scan_ahead is not None and scan_ahead.key == page_key(page) and scan_ahead.language == language
            probe = scan_ahead.probe if ready else start_rotation(page)  # type: ignore[union-attr]
            work = (scan_ahead.page() if ready else None) or upright_ocr_page(page, language)  # type: ignore[union-attr]
            turn = probe.result()
            shown = turned_copy(page, turn) if turn else page
            if turn:
                work = upright_ocr_page(shown, language)
            # Tesseract runs rows of neighbouring columns together: columns are read one by one
            columns = column_ocr_page(work, language, worker=self._ocr_worker)
            work, strips = columns or (work, [])
            return work.get_textpage(), work, None, work_to_page(work, shown, page), strips
        except Exception as exc:  # Tesseract errors must not fail the document
            return None, None, f"OCR failed on this page ({type(exc).__name__}: {exc})", None, []
