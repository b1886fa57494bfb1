"""Labels for layout regions: the layout model's classes, heading levels, list-item markers.

Heading levels: ``TITLE`` is level 1. A ``HEADING`` numbered like "2.3.1" gets 1 + the number's
depth (so "2" -> 2, "2.3" -> 3); an unnumbered one gets 1 + its rank among the page's heading
styles (larger font first, bold before regular at the same size). Levels are capped at 6.
Document passes may refine levels across pages using ``Block.meta["font_size"]``.
"""

from __future__ import annotations

import re

from docparse.document import Label
from docparse.engines.layout.params import (
    CAPTION_BARE_MAX_LINES,
    CAPTION_MAX_LINES,
    CJK_TEXT_SHARE,
    EQUATION_NUMBER_MAX_ROWS,
    LEAD_HEADING_MAX_CHARS,
    LIST_INDENT_STEP_PT,
    MATH_MAX_LETTER_SHARE,
    MIN_CJK_WORD_CHARS,
    SCATTERED_MIN_ROWS,
    SCATTERED_ROW_CHARS,
)
from docparse.patterns import CAPTION_DELIMITED, CAPTION_START, LIST_MARKER, PAGE_NUMBER

#: pymupdf.layout classes -> docparse labels.
MODEL_CLASSES: dict[str, Label] = {
    "text": Label.PARAGRAPH,
    "title": Label.TITLE,
    "section-header": Label.HEADING,
    "list-item": Label.LIST,
    "table": Label.TABLE,
    "picture": Label.IMAGE,
    "formula": Label.FORMULA,
    "caption": Label.CAPTION,
    "footnote": Label.FOOTNOTE,
    "page-header": Label.HEADER,
    "page-footer": Label.FOOTER,
}

_NUMBERED = re.compile(r"^\s*(?:(?:chapter|section|part|appendix)\s+)?((?:\d+|[A-Z])(?:\.\d+)*)\.?\s+\S", re.I)
# Each optional piece carries its own leading space: two ``\s*`` side by side backtrack
# quadratically over a long run of spaces.
def model_label(class_name: str) -> Label | None:
    """The label of a layout-model class, or None when the class is unknown."""
    return MODEL_CLASSES.get(class_name)


_EQUATION_NUMBER = re.compile(r"^\(\s*\d{1,3}[a-z]?\s*\)$")
_SECTION_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,3})*\.?$")  # "1", "2.3": a chapter number set alone


def misread_heading(text: str) -> Label | None:
    """What a region the model called a title or section header really is, when its text says
    it cannot be one; None when it may well be a heading.

    - a line that is only an equation number, "(12)", marks a display formula (the model takes
      equation numbers and the short formulas beside them for titles);
    - a text without a single letter ("57165", "12:30") is a running number, not a heading,
      unless it is a chapter or section number set on its own line ("1", "2.3").
    """
    rows = [r.strip() for r in text.splitlines() if r.strip()]
    if not rows:
        return None
    if len(rows) <= EQUATION_NUMBER_MAX_ROWS and any(_EQUATION_NUMBER.match(r) for r in rows):
        return Label.FORMULA
    if not any(ch.isalpha() for ch in text) and not _SECTION_NUMBER.match(" ".join(rows)):
        return Label.PARAGRAPH
    return None


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
#: relation and operator signs of a display formula (ASCII "-", "+" and "/" are everyday text too)
_FORMULA_SIGN = re.compile(r"[=<>≤≥≈≠±×÷∑∏∫√∞∂∇∈∉⊂⊆∪∩→⇒^_\\]")


def misread_formula(text: str) -> bool:
    """True when a region the layout model called a formula is CJK text ("第十五期(2016.06)"):
    the model takes short CJK rows with digits and brackets for formulas. Text with at least
    ``MIN_CJK_WORD_CHARS`` CJK characters and no relation or operator sign, or mostly CJK."""
    chars = [c for c in text if not c.isspace()]
    cjk = len(_CJK_CHAR.findall(text))
    if cjk < MIN_CJK_WORD_CHARS:
        return False
    return not _FORMULA_SIGN.search(text) or cjk > CJK_TEXT_SHARE * len(chars)


def scattered_rows(text: str, min_rows: int = SCATTERED_MIN_ROWS, max_chars: int = SCATTERED_ROW_CHARS) -> bool:
    """Rows of a few characters each, stacked: OCR of a graphic's labels or a logo
    ("F 2 / H 二 / 了 / Ga"), not a heading wrapped over several rows."""
    rows = [len("".join(r.split())) for r in text.splitlines() if r.strip()]
    return len(rows) >= min_rows and sorted(rows)[len(rows) // 2] <= max_chars


_CLAUSE_END = (".", ",", ";", "。", "，", "；", "、", "-")


def could_head(text: str, max_chars: int = LEAD_HEADING_MAX_CHARS) -> bool:
    """A short row that may stand as a heading: not a list item, not the end of a sentence."""
    text = text.strip()
    if not (2 <= len(text) <= max_chars) or not any(ch.isalpha() for ch in text):
        return False
    return not starts_with_marker(text) and not text.endswith(_CLAUSE_END)


def numbering_depth(text: str) -> int | None:
    """Depth of a heading number: "2" -> 1, "2.3" -> 2, "A.1" -> 2; None when unnumbered."""
    m = _NUMBERED.match(text)
    if not m:
        return None
    number = m.group(1)
    if len(number) == 1 and number.isalpha() and not text.lower().startswith("appendix"):
        # a bare capital ("A Study of ...") is a word, not a number
        return None
    return number.count(".") + 1


def heading_levels(headings: list[tuple[str, float, bool]]) -> list[int]:
    """Levels (2..6) for (text, font_size, bold) headings of one page."""
    styles = sorted({(round(size), bold) for _, size, bold in headings}, key=lambda s: (-s[0], not s[1]))
    rank = {style: i for i, style in enumerate(styles)}
    levels = []
    for text, size, bold in headings:
        depth = numbering_depth(text)
        if depth is None:
            depth = rank[(round(size), bold)] + 1
        levels.append(max(2, min(6, depth + 1)))
    return levels


def is_page_number(text: str) -> bool:
    """"12", "- 12 -", "Page 3", "3 of 10", "iv"."""
    text = text.strip()
    return len(text) <= 16 and bool(PAGE_NUMBER.match(text))


def split_marker(text: str) -> tuple[str | None, str]:
    """("1.", "rest") for "1. rest"; (None, text) when the text starts with no list marker."""
    m = LIST_MARKER.match(text)
    if not m:
        return None, text.strip()
    return m.group(1), text[m.end() :].strip()


def starts_with_marker(text: str) -> bool:
    return split_marker(text)[0] is not None


def indent_levels(x0s: list[float], step: float = LIST_INDENT_STEP_PT) -> list[int]:
    """Nesting level of each list item from its left edge: distinct indents ranked left to right."""
    if not x0s:
        return []
    indents: list[float] = []
    for x in sorted(x0s):
        if not indents or x - indents[-1] > step:
            indents.append(x)
    levels = []
    for x in x0s:
        level = max(i for i, v in enumerate(indents) if x >= v - 0.01) if x >= indents[0] else 0
        levels.append(level)
    return levels


_MATH = re.compile(r"[=<>≤≥≈±×÷∑∫√∞∂∆∇∈∉⊂⊆∪∩→^]")


def is_caption(text: str, n_lines: int) -> bool:
    """"Figure 1: ..." (any length up to 5 lines) or a short "Fig. 1 ..." (up to 2 lines)."""
    if n_lines <= CAPTION_MAX_LINES and CAPTION_DELIMITED.match(text):
        return True
    return n_lines <= CAPTION_BARE_MAX_LINES and bool(CAPTION_START.match(text))


def looks_like_math(text: str) -> bool:
    """A short line that is mostly symbols and digits around a relation sign: "a2 + 8 = 12"."""
    chars = [c for c in text if not c.isspace()]
    if not chars or not _MATH.search(text):
        return False
    letters = sum(c.isalpha() for c in chars)
    return letters <= MATH_MAX_LETTER_SHARE * len(chars)
