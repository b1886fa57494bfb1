"""Text patterns that say what a line is: a caption, a list-item marker, a page number.

One module for the layout engine (``engines.layout.labels``), the document passes
(``passes.captions``, ``passes.lists``, ``passes.furniture``), the model profiles
(``profiles.blocks``, ``profiles.dotsocr``) and the QwenVL HTML writer. The variants below differ on purpose or by history; each says
who reads it and how it differs from its sibling. Merging two of them changes what docparse
outputs, so it is a tuned change of its own (checked with ``benchmarks/layout_golden.py`` and
``benchmarks/quality.py``), not a tidy-up.
"""

from __future__ import annotations

import re

from docparse.document import Label

# -- captions ---------------------------------------------------------------------------------

#: Layout engine: a caption word and the start of a number ("Fig. 3", "表 2"); with up to two
#: lines of text this is a caption (``labels.is_caption``).
CAPTION_START = re.compile(
    r"^\s*(fig\.?|figure|table|tab\.|chart|scheme|plate|listing|algorithm|图|表)\s*[0-9ivxlcIVXLC]", re.I
)
#: Layout engine: "Figure 1: ...", "Table 2. ...", "Fig. 3 - ...": a delimiter after the number
#: (prose says "Figure 1 shows"); a caption of up to five lines.
CAPTION_DELIMITED = re.compile(
    r"^\s*(fig\.?|figure|table|tab\.|chart|scheme|plate|listing|algorithm|图|表)\s*[0-9A-Za-z.\-]{1,8}\s*[:.|—–-]",
    re.I,
)

#: Passes (captions, paragraphs): caption prefix words per target kind, more languages than the
#: engine's, and the character after the prefix that starts a number; a caption's prefix says
#: which kind of block it may describe.
CAPTION_PREFIX_WORDS: list[tuple[str, str, frozenset[Label]]] = [
    (r"table|tab\.|tabelle|tableau|tabla", r"[\dIVX]", frozenset({Label.TABLE})),
    (
        r"figure|fig\.|abbildung|abb\.|chart|graph|image|photo|plate|illustration|exhibit|scheme|diagram|map",
        r"[\dIVX]",
        frozenset({Label.IMAGE, Label.CHART}),
    ),
    (r"equation|eq\.|formula", r"\(?\d", frozenset({Label.FORMULA})),
    (r"listing|algorithm|code|example", r"\d", frozenset({Label.CODE})),
]
CAPTION_PREFIXES: list[tuple[re.Pattern[str], frozenset[Label]]] = [
    (re.compile(rf"^\s*({words})\s*{number}", re.I), labels) for words, number, labels in CAPTION_PREFIX_WORDS
]

# The prefix is one of the words above, spelled out: a bare ``\S+`` overlaps the number after it
# and backtracks quadratically over a long run of digits ("Table 1111...").
CAPTION_SEPARATOR = re.compile(
    r"^\s*(?:" + "|".join(words for words, _, _ in CAPTION_PREFIX_WORDS) + r")\s*[\dIVX]+(?:[.\-]\d+)*[a-z]?\s*[:.|\-–—]",
    re.I,
)


# "Table 3-2 lists ...": prefix, number, then a lowercase word: a sentence, not a caption.
CAPTION_CITATION = re.compile(
    r"^\s*(?i:table|tab\.|figure|fig\.|chart|scheme|listing|example|equation|eq\.)\s*"
    r"[\dIVX]+(?:[.\-]\d+)*[a-z]?\s+[a-z]{2,}"
)

#: Model profiles (``profiles.blocks``): "Figure 2-2:", "Fig. 1.", "Table 8:" in a model's text;
#: the number must be followed by a separator, so that "Fig. 1 gives the complete diagram"
#: (running text) is not a caption.
MODEL_CAPTION_START = re.compile(
    r"^\s*(fig(ure)?|tab(le)?|chart|scheme|plate|exhibit|图|表)\s*\.?\s*[0-9IVXivx][\w.\-–]*?\s*[.:|—–]", re.I
)

# -- list-item markers ------------------------------------------------------------------------

#: Layout engine: a line that starts a list item: bullets (with the private-use bullets of
#: symbol fonts), "1." "1)" "(1)" "[1]" "a." "a)" "(a)" "iv." and "1.2." style numbers, then a
#: space or the end of the line.
MARKER_BULLETS = "•·◦▪▫■□●○◆◇►▶➢➤✓✔-–—*+"
LIST_MARKER = re.compile(
    r"^\s*("
    r"[" + re.escape(MARKER_BULLETS) + r"\uf0b7\uf0a7\uf076\uf0d8\uf0fc]"
    r"|\(?\d{1,3}(?:\.\d{1,3})*[.)]"
    r"|\(\d{1,3}\)"
    r"|\[\d{1,3}\]"
    r"|\(?[a-zA-Z][.)]"
    r"|\(?(?:i{1,3}|iv|vi{0,3}|ix|x)[.)]"
    r")(?=\s|$)"
)

#: Passes (lists): a list item's marker followed by its text (group ``marker``); a few more
#: bullets ("∙‣⁃"), no "[1]" nor "1.2.", roman numbers up to six letters.
ITEM_BULLETS = "•◦▪▫●○■□➢➤►▶✓✔∙·‣⁃–—*-"
LIST_ITEM_MARKER = re.compile(
    rf"^\s*(?P<marker>[{re.escape(ITEM_BULLETS)}]|\(?(?:\d{{1,3}}|[a-z]|[ivxlc]{{1,6}})[.)]|\((?:\d{{1,3}}|[a-z]|[ivxlc]{{1,6}})\))\s+(?=\S)"
)

#: Model profiles (dots.ocr's Markdown): a line that starts with a plain list marker.
DOTSOCR_LIST_MARKER = re.compile(r"^([-*+•]|\d{1,3}[.)])\s+")

#: QwenVL HTML writer: markers that make a list unordered (``<ul>``) when every item has one.
QWENVL_BULLETS = frozenset("•◦▪▫■□●○-*–—·‣⁃►▶➢✓✔")

# -- page numbers -----------------------------------------------------------------------------

#: Layout engine: a region's whole text is a page number: "12", "- 12 -", "Page 3", "3 of 10",
#: "iv" (``labels.is_page_number``, with a length cap).
PAGE_NUMBER = re.compile(
    r"^\s*(?:page\s+)?(?:[-–—]\s*)?(\d{1,4}|[ivxlcdm]{1,6})(?:\s*[-–—])?(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I
)

#: Passes (furniture): the same across languages ("p. 3", "Seite 4", "página 2 de 9"), "|7|",
#: "3/9"; roman numerals up to seven letters, checked for validity (``VALID_ROMAN``).
PAGE_NUMBER_MULTILINGUAL = re.compile(
    r"""^\s*(?:
        (?:[-–—|]\s*)?\d{1,4}(?:\s*[-–—|])?      # 7, - 7 -, |7| (no two \s* side by side)
      | (?:page|p\.|pg\.?|seite|página|pagina)\s*\d{1,4}(?:\s*(?:of|/|de|von|di)\s*\d{1,4})?
      | \d{1,4}\s*(?:/|of)\s*\d{1,4}            # 3/9, 3 of 9
      | [ivxlcdm]{1,7}                           # roman numerals
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
ROMAN_NUMERAL = re.compile(r"^\s*[ivxlcdm]{1,7}\s*$", re.IGNORECASE)
VALID_ROMAN = re.compile(r"^m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")

#: Model profiles (dots.ocr): a header or footer that is only a page number ("3", "page 3 of 9").
DOTSOCR_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.I)
