"""Writing systems: which script a text is written in, its direction and language, and the one
repair of a text-layer artefact specific to a script (the Arabic lam-alef order).

Pure text in, text out (no PyMuPDF): the layout engine's text stage, the verifier's text-layer
words and the HTML renderer all call these, so the engine's text and the words a model's text is
checked against agree.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

# -- scripts and direction ------------------------------------------------------------------------

_RTL_CHAR = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LTR_CHAR = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
_HEBREW = re.compile(r"[\u0590-\u05ff\ufb1d-\ufb4f]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Letters Persian and Urdu add to the Arabic alphabet (Arabic itself never uses them).
_PERSIAN_ONLY = re.compile(r"[\u067e\u0686\u0698\u06af\u06a9\u06cc]")  # پ چ ژ گ ک ی
_URDU_ONLY = re.compile(r"[\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2]")  # ٹ ڈ ڑ ں ھ ہ ے
#: Share of a document's letters that must be right-to-left for the whole page to be marked RTL.
DOCUMENT_RTL_SHARE = 0.5


def rtl_letters(text: str) -> int:
    return len(_RTL_CHAR.findall(text))


def ltr_letters(text: str) -> int:
    return len(_LTR_CHAR.findall(text))


def is_rtl(text: str) -> bool:
    """True when the text has more right-to-left letters (Hebrew, Arabic ...) than Latin ones."""
    rtl = rtl_letters(text)
    return rtl > 0 and rtl >= ltr_letters(text)


def direction(text: str) -> str | None:
    """The HTML ``dir`` of a block: "rtl" when its letters are mostly right-to-left, "auto" when
    it mixes in some right-to-left letters (the browser picks from the first strong letter),
    None for plain left-to-right text (the default needs no attribute)."""
    if not rtl_letters(text):
        return None
    return "rtl" if is_rtl(text) else "auto"


def language(text: str) -> str | None:
    """A BCP 47 language tag for a right-to-left text when its letters say it (Hebrew; Arabic,
    Persian or Urdu from the letters only they use); None when unknown. Left-to-right scripts are
    not guessed: Latin letters do not tell English from French."""
    hebrew = len(_HEBREW.findall(text))
    arabic = len(_ARABIC.findall(text))
    if not hebrew and not arabic:
        return None
    if hebrew > arabic:
        return "he"
    if _URDU_ONLY.search(text):
        return "ur"
    if _PERSIAN_ONLY.search(text):
        return "fa"
    return "ar"


def document_direction(texts: Iterable[str]) -> tuple[str | None, str | None]:
    """(dir, lang) for a whole document: ("rtl", its language) when most of its letters are
    right-to-left, (None, None) otherwise."""
    joined = " ".join(texts)
    rtl, ltr = rtl_letters(joined), ltr_letters(joined)
    if rtl == 0 or rtl < DOCUMENT_RTL_SHARE * (rtl + ltr):
        return None, None
    return "rtl", language(joined)


# -- the Arabic lam-alef ligature ------------------------------------------------------------------

LAM = "\u0644"
#: Alef and the alefs with hamza or madda that join lam into one ligature glyph (لا لأ لإ لآ).
LAM_ALEF_PARTNERS = frozenset("\u0627\u0623\u0625\u0622")
#: Advance width (points) under which a character is the zero-width first part of a glyph that
#: stands for several characters: a lam-alef ligature comes back from MuPDF as alef (width 0)
#: then lam (the glyph's width), in visual order. A real alef is 2-4 pt wide at text sizes.
LIGATURE_PART_MAX_WIDTH_PT = 0.05

_ALEF_THEN_LAM = re.compile("[\u0627\u0623\u0625\u0622]\u0644")


def may_hold_lam_alef(text: str) -> bool:
    """Cheap check before asking the text layer for character widths: only text with an alef
    followed by lam can hold a reversed lam-alef ligature."""
    return bool(_ALEF_THEN_LAM.search(text))


def lam_alef_logical(chars: Sequence[tuple[str, float]]) -> str:
    """The text of ``chars`` (character, advance width in points), with every lam-alef ligature
    in logical order.

    PyMuPDF splits the ligature glyph into its two characters in *visual* order, alef before
    lam (``اإلنتاجية`` for ``الإنتاجية``, ``المشكالت`` for ``المشكلات``). The alef of a ligature
    has no width of its own; an alef that is its own glyph (the article "ال") does, so the
    width tells the two apart where the letters alone cannot (``عالم`` is a word too).
    """
    out: list[str] = []
    i = 0
    while i < len(chars):
        char, width = chars[i]
        if (
            char in LAM_ALEF_PARTNERS
            and width <= LIGATURE_PART_MAX_WIDTH_PT
            and i + 1 < len(chars)
            and chars[i + 1][0] == LAM
        ):
            out.append(LAM)
            out.append(char)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def span_chars_text(chars: Iterable[dict]) -> str:
    """The text of one span of PyMuPDF's ``rawdict`` (its ``chars``: ``c`` and ``bbox``), with
    lam-alef ligatures in logical order (see ``lam_alef_logical``)."""
    return lam_alef_logical([(c["c"], float(c["bbox"][2]) - float(c["bbox"][0])) for c in chars])
