"""A page's own words (text layer or Tesseract OCR) in displayed page points, as match tokens.

The alignment in ``align.py`` compares a model block's text with these words token by token.
A token is the comparison key of a word: NFKC, case-folded, letters and digits only, so
punctuation, quotes and dashes never decide a match. Two things make tokens differ from words:

- a word hyphenated at a line end joins the first word of the next line ("exam-" + "ple" ->
  "example"), since a model writes the whole word;
- CJK text has no spaces: every CJK character is a token of its own, on both sides.

Word order is the text layer's (PyMuPDF blocks, lines, words: the content order, which is the
reading order of nearly every born-digital page) or Tesseract's (its blocks and lines).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from docparse.garbled import garbled
from docparse.geometry import BBox, union_box
from docparse.writing import may_hold_lam_alef, span_chars_text

#: A text layer this short carries too little to check a model against (a scan with a stray
#: page number in its text layer must not "verify" the model's reading of the whole page).
MIN_USABLE_WORDS = 5

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")


@dataclass(frozen=True)
class Word:
    """One word of the page: its box in displayed points, its text, its line number."""

    box: BBox
    text: str
    line: int  # running line number in page order (words of one line share it)


@dataclass
class Token:
    """A comparison key and the words (indices into ``PageWords.words``) it came from."""

    key: str
    words: tuple[int, ...]


@dataclass
class PageWords:
    """The words of one page and their tokens, in page order."""

    words: list[Word]
    width: float
    height: float
    source: str = "text"  # "text" (the PDF's text layer) or "ocr" (Tesseract)
    tokens: list[Token] = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = page_tokens(self.words)
        self._centres: Any = None
        #: words without letters or digits ("{", "+", "•"): no token, never matched themselves
        self.keyless = set(range(len(self.words))) - {w for tok in self.tokens for w in tok.words}

    @property
    def usable(self) -> bool:
        """Enough readable words to check a model against: never a garbled text layer (fonts
        without a usable encoding; ``docparse.garbled``, the layout engine's rule too)."""
        if len(self.words) < MIN_USABLE_WORDS:
            return False
        return not garbled(" ".join(w.text for w in self.words))

    def centres(self) -> Any:
        """Word centres as a (n, 2) float array (x, y), built once."""
        if self._centres is None:
            import numpy as np

            boxes = np.array([w.box for w in self.words], dtype=float).reshape(-1, 4)  # (n, 4)
            self._centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
        return self._centres

    def within(self, box: BBox) -> list[int]:
        """Indices of the words whose centre lies in ``box``, in page order."""
        if not self.words:
            return []
        import numpy as np

        c = self.centres()
        mask = (c[:, 0] >= box[0]) & (c[:, 0] <= box[2]) & (c[:, 1] >= box[1]) & (c[:, 1] <= box[3])
        return [int(i) for i in np.nonzero(mask)[0]]

    def box_of(self, indices: Iterable[int]) -> BBox | None:
        boxes = [self.words[i].box for i in indices]
        return union_box(boxes) if boxes else None

    def text_of(self, indices: Iterable[int], lines: bool = False) -> str:
        """The words' text in page order: lines joined by spaces (by newlines with ``lines``,
        for code), line-end hyphens healed."""
        picked = sorted(set(indices))
        parts: list[str] = []
        for n, i in enumerate(picked):
            word = self.words[i].text
            nxt = picked[n + 1] if n + 1 < len(picked) else None
            if nxt is not None and _hyphen_joins(self.words[i], self.words[nxt]):
                parts.append(word[:-1])  # "exam-" + "ple": no hyphen, no space
                continue
            parts.append(word)
            if nxt is not None:
                parts.append("\n" if lines and self.words[nxt].line != self.words[i].line else " ")
        return "".join(parts).strip()


def _hyphen_joins(word: Word, nxt: Word) -> bool:
    """A line-end hyphen splitting one word: "exam-" at a line end, "ple" starting the next."""
    return (
        word.text.endswith("-")
        and len(word.text) > 2
        and word.text[-2].isalpha()
        and nxt.line != word.line
        and nxt.text[:1].islower()
    )


def keys(text: str) -> list[str]:
    """The comparison keys of a piece of text (a model block's text)."""
    text = re.sub(r"(\w)-\s*\n\s*(?=[a-z])", r"\1", text)  # the model kept a line-end hyphen
    out: list[str] = []
    for piece in text.split():
        out.extend(_piece_keys(piece))
    return out


def _piece_keys(piece: str) -> list[str]:
    piece = unicodedata.normalize("NFKC", piece).casefold()
    if not _CJK.search(piece):
        key = "".join(c for c in piece if c.isalnum())
        return [key] if key else []
    out: list[str] = []
    run: list[str] = []
    for c in piece:
        if _CJK.match(c):
            if run:
                out.append("".join(run))
                run = []
            out.append(c)
        elif c.isalnum():
            run.append(c)
        elif run:
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


def page_tokens(words: list[Word]) -> list[Token]:
    tokens: list[Token] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is not None and _hyphen_joins(word, nxt):
            for key in _piece_keys(word.text[:-1] + nxt.text):
                tokens.append(Token(key, (i, i + 1)))
            skip = True
            continue
        for key in _piece_keys(word.text):
            tokens.append(Token(key, (i,)))
    return tokens


def words_from_tuples(raw: Iterable[tuple], width: float, height: float, source: str = "text",
                      matrix: Any = None) -> PageWords:
    """PyMuPDF ``get_text("words")`` tuples ``(x0, y0, x1, y1, text, block, line, word)`` ->
    ``PageWords``; ``matrix`` maps their points to displayed page points when needed."""
    words: list[Word] = []
    line_keys: dict[tuple[int, int], int] = {}
    for n, t in enumerate(raw):
        x0, y0, x1, y1, text = t[:5]
        if not str(text).strip():
            continue
        if matrix is not None:
            import pymupdf

            r = pymupdf.Rect(x0, y0, x1, y1) * matrix
            x0, y0, x1, y1 = r.x0, r.y0, r.x1, r.y1
        line_key = (int(t[5]), int(t[6])) if len(t) >= 7 else (n, 0)
        line = line_keys.setdefault(line_key, len(line_keys))
        words.append(Word((float(x0), float(y0), float(x1), float(y1)), str(text), line))
    return PageWords(words, float(width), float(height), source)


def text_layer_words(page: Any) -> PageWords:
    """The PDF text layer of ``page`` (a ``pymupdf.Page``) in displayed points.

    Arabic lam-alef ligatures come back from PyMuPDF's words in visual order (alef, lam); on a
    page where that can happen the words are rebuilt from the characters, where the ligature's
    zero-width alef shows (``docparse.writing.lam_alef_logical``, shared with the layout
    engine's text), so they agree with a model's (logical) text.
    """
    raw = page.get_text("words", sort=False)
    if any(may_hold_lam_alef(str(t[4])) for t in raw):
        raw = _character_words(page)
    matrix = page.rotation_matrix if page.rotation % 360 else None
    return words_from_tuples(raw, page.rect.width, page.rect.height, "text", matrix)


# The code points MuPDF's word extraction counts as right-to-left (it starts a word where this flips).
_MUPDF_RTL_FIRST, _MUPDF_RTL_LAST = 0x590, 0x900


def _character_words(page: Any) -> list[tuple]:
    """``get_text("words")`` tuples rebuilt from ``rawdict`` characters: a word is a run of
    non-space characters of one line and one direction, as MuPDF cuts them; its text goes through ``span_chars_text``."""
    out: list[tuple] = []
    data = page.get_text("rawdict", sort=False)
    for b, block in enumerate(data.get("blocks", [])):
        if block.get("type", 0) != 0:
            continue
        for ln, line in enumerate(block.get("lines", [])):
            run: list[dict] = []
            words_in_line = 0

            def flush() -> None:
                nonlocal words_in_line
                if run:
                    x0, y0, x1, y1 = union_box([tuple(c["bbox"]) for c in run])
                    out.append((x0, y0, x1, y1, span_chars_text(run), b, ln, words_in_line))
                    words_in_line += 1
                    run.clear()

            last_rtl = False
            for span in line.get("spans", []):
                for char in span.get("chars", []):
                    rtl = _MUPDF_RTL_FIRST <= ord(char["c"]) <= _MUPDF_RTL_LAST
                    if char["c"].isspace() or rtl != last_rtl:
                        flush()  # MuPDF's words also end where the text changes direction
                    last_rtl = rtl
                    if not char["c"].isspace():
                        run.append(char)
            flush()
    return out


def ocr_words(page: Any, language: str = "eng") -> PageWords | None:
    """Tesseract's words of ``page`` in displayed points, or None when Tesseract cannot run.

    The page is OCRed as displayed (turned upright first when it is sideways), the way the
    layout engine does it, so the two engines see the same words.
    """
    from docparse.engines.layout.scan.ocr import language_installed, tesseract_available, upright_ocr_page
    from docparse.engines.layout.scan.orientation import detect_rotation, turned_copy, work_to_page

    if not tesseract_available() or not language_installed(language):
        return None
    try:
        turn = detect_rotation(page)
        shown = turned_copy(page, turn) if turn else page
        work = upright_ocr_page(shown, language)
        matrix = work_to_page(work, shown, page)
        raw = work.get_text("words", sort=False)
    except Exception:  # Tesseract failing must not fail the page: no words, no OCR check
        return None
    return words_from_tuples(raw, page.rect.width, page.rect.height, "ocr", matrix)
