"""Garbled lines on a readable page, read again by OCR of their own boxes.

A page can be mostly clean text with a few lines in a font that has no usable encoding (a
brochure's sidebar in a decorative font: ``]üìÆüéê •ìê °ê£ë†£ûÜüéê``). The page as a whole
passes ``docparse.garbled``'s rule, so it is not OCRed; those lines would be written as they
are. Here each garbled line is checked against a quick OCR sample of its box: where Tesseract
reads something else that is itself readable, the OCR text replaces the line (and its words);
where the OCR agrees with the layer (accented text that only looked odd), the layer stays.
Only garbled lines are rendered and read, so a clean page costs nothing.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Any

from docparse.engines.layout.params import (
    GARBLED_LINE_AGREEMENT,
    GARBLED_LINE_GAP_PT,
    GARBLED_LINE_MIN_CHARS,
    GARBLED_LINE_PAD_PT,
    OCR_DPI,
)
from docparse.engines.layout.scan.ocr import language_installed, ocr_words_in, tesseract_available
from docparse.engines.layout.text import Line, Span
from docparse.garbled import garbled
from docparse.geometry import BBox, union_box

#: words keep PyMuPDF's tuple layout (x0, y0, x1, y1, text, block, line, word); OCR words get
#: block numbers from here up, so they never share a block number with the layer's words
_OCR_BLOCK_BASE = 100_000


@dataclass
class Reread:
    """What ``reread_garbled_lines`` did: the lines and words to use, and how many lines the
    OCR replaced."""

    lines: list[Line]
    words: list[tuple]
    replaced: int = 0


def garbled_line(line: Line) -> bool:
    """A line long enough to judge whose own characters fail ``docparse.garbled``'s rule."""
    return garbled(line.text, min_chars=GARBLED_LINE_MIN_CHARS)


def reread_garbled_lines(page: Any, lines: list[Line], words: list[tuple], language: str) -> Reread:
    """``lines`` and ``words`` with each garbled line replaced by the OCR of its box, where the
    OCR disagrees with the layer and reads as text itself (see the module docstring).

    Unchanged (nothing rendered) when no line is garbled, Tesseract or ``language`` is missing,
    or the page is rotated (lines are in unrotated coordinates, a clip render is not)."""
    suspects = [i for i, ln in enumerate(lines) if garbled_line(ln)]
    if not suspects or page.rotation % 360 or not tesseract_available() or not language_installed(language):
        return Reread(lines, words)
    out_lines = list(lines)
    dropped_boxes: list[BBox] = []
    new_words: list[tuple] = []
    result = Reread(out_lines, words)
    for group_no, group in enumerate(_runs(lines, suspects)):
        ocr_words = _ocr_words(page, union_box([lines[i].bbox for i in group]), language)
        for i in group:
            line = lines[i]
            mine = [w for w in ocr_words if _centre_in(w, line.bbox)]
            text = " ".join(w[4] for w in mine)
            if not text.strip() or garbled(text, min_chars=1):
                continue  # OCR read nothing usable there: keep what the layer says
            if _agreement(line.text, text) >= GARBLED_LINE_AGREEMENT:
                continue  # the layer was right (accented text): keep it
            out_lines[i] = _ocr_line(line, text)
            dropped_boxes.append(line.bbox)
            new_words.extend(
                (*w[:4], w[4], _OCR_BLOCK_BASE + group_no, i, n) for n, w in enumerate(mine)
            )
            result.replaced += 1
    if result.replaced:
        kept = [w for w in words if not any(_centre_in(w, box) for box in dropped_boxes)]
        result.words = kept + new_words
    return result


def _runs(lines: list[Line], suspects: list[int]) -> list[list[int]]:
    """Suspect line indices grouped into runs of neighbours (one render and OCR call per run)."""
    runs: list[list[int]] = []
    for i in suspects:
        box = lines[i].bbox
        if runs:
            prev = lines[runs[-1][-1]].bbox
            near = box[1] - prev[3] <= GARBLED_LINE_GAP_PT and box[0] < prev[2] + GARBLED_LINE_GAP_PT
            if near and prev[0] < box[2] + GARBLED_LINE_GAP_PT:
                runs[-1].append(i)
                continue
        runs.append([i])
    return runs


def _ocr_words(page: Any, box: BBox, language: str) -> list[tuple]:
    """Tesseract's words in ``box`` of ``page`` (padded, rendered at OCR_DPI), in page points."""
    import pymupdf

    pad = GARBLED_LINE_PAD_PT
    clip = (pymupdf.Rect(box) + (-pad, -pad, pad, pad)) & page.rect
    return [] if clip.is_empty else ocr_words_in(page, clip, language, dpi=OCR_DPI)


def _centre_in(word: tuple, box: BBox) -> bool:
    cx, cy = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _agreement(layer: str, ocr: str) -> float:
    """How alike the layer's text and the OCR's are (0..1; spaces, case and accents ignored:
    Tesseract's English model reads "été" as "ete", which still agrees)."""
    a, b = _bare(layer), _bare(ocr)
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _bare(text: str) -> str:
    """``text`` without spaces or combining accents, case folded."""
    decomposed = unicodedata.normalize("NFKD", "".join(text.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _ocr_line(line: Line, text: str) -> Line:
    """The line with the OCR's text as one span, keeping the layer's box, font and size (the
    layer knows the print's size; only its characters were wrong)."""
    first = line.spans[0]
    return Line(bbox=line.bbox, spans=[Span(text=text, bbox=line.bbox, font=first.font, size=line.size, flags=first.flags)], rtl=line.rtl)
