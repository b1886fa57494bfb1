"""Footnotes: blocks at the bottom of a page that start with a marker, kept with that marker.

A block becomes a FOOTNOTE when it starts with a footnote marker (``1``, ``¹``, ``*``, ``†``,
``[2]``), sits below every other body block in the lower part of the page, and one more piece of
evidence agrees: the marker is a superscript or a dagger-like symbol, its font is smaller than the
page's body text (``meta["font_size"]``, when the engine gives it), or the same marker appears in
the body text of the page ("word¹", "word.2", "word*"). Numbered list items ("1. First") need the
font or the reference: a bare "1." at the bottom of a page is more often a list.

The marker stays in the footnote text and in the body text (nothing is stripped).
``meta["marker"]`` holds it; ``meta["ref"]`` the id of the body block that cites it, which in turn
gets the footnote's id in ``meta["footnotes"]``.
"""

from __future__ import annotations

import re

from docparse.document import Block, Document, Label, Page

from ._common import body, font_size, median

LOWER_PART = 0.55  # a footnote starts below this fraction of the page height

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_TO_SUPER = str.maketrans("0123456789", _SUPERSCRIPTS)
_FROM_SUPER = str.maketrans(_SUPERSCRIPTS, "0123456789")
_SYMBOLS = "*†‡§¶"

_MARKER = re.compile(
    rf"""^\s*(?:
        (?P<sup>[{_SUPERSCRIPTS}]{{1,3}})
      | (?P<sym>[{re.escape(_SYMBOLS)}]{{1,3}})
      | \[(?P<br>\d{{1,3}})\]
      | \((?P<par>\d{{1,3}})\)
      | (?P<num>\d{{1,3}})(?P<punct>[.)]?)
    )\s*(?=\S)""",
    re.VERBOSE,
)


def footnote_marker(text: str) -> tuple[str, bool] | None:
    """(marker, strong) for a text that starts like a footnote, else None.

    ``strong`` is True for superscripts and dagger-like symbols, which rarely start anything
    else; bare digits and "1." / "1)" are weak.
    """
    m = _MARKER.match(text)
    if not m:
        return None
    if m.group("sup"):
        return m.group("sup").translate(_FROM_SUPER), True
    if m.group("sym"):
        sym = m.group("sym")
        return sym, sym[0] != "*"  # "*" is also a bullet
    for name in ("br", "par"):
        if m.group(name):
            return m.group(name), False
    num = m.group("num")
    rest = text[m.end():]
    if not rest or not rest[0].isalpha() and rest[0] not in "\"'“(":
        return None  # "2 000 units", "3 %": numbers, not markers
    return num, False


def _cites(text: str, marker: str) -> bool:
    """True when body text carries the marker as a reference ("word¹", "word.2", "word*")."""
    if marker.isdigit():
        sup = marker.translate(_TO_SUPER)
        if sup in text:
            return True
        # A number glued to the end of a word or after closing punctuation, not part of a number.
        pat = rf"(?<=[^\W\d_]|[.,;:)\]”\"'])(?:{re.escape(marker)}|\[{re.escape(marker)}\])(?![\d])"
        return re.search(pat, text) is not None
    return re.search(rf"(?<=\S){re.escape(marker)}", text) is not None


def _marked_text(b: Block) -> str:
    """The block's text with its marker: a one-item list keeps the marker on the item."""
    if b.label == Label.LIST and len(b.items) == 1 and b.items[0].marker:
        item = b.items[0]
        if not b.text.lstrip().startswith(item.marker):
            return f"{item.marker} {item.text}"
    return b.text


def footnotes(doc: Document) -> Document:
    """Label footnote blocks at the bottom of each page and link them to their reference."""
    for page in doc.pages:
        _page_footnotes(doc, page)
    return doc


def _page_footnotes(doc: Document, page: Page) -> None:
    blocks = body(page)
    sizes = [s for b in blocks if b.label == Label.PARAGRAPH for s in [font_size(b)] if s]
    body_size = median(sizes)

    # The engine's footnotes (anywhere on the page), then candidates from the bottom up: stop at
    # the first block that is not a footnote, so a new footnote lies below all body text.
    candidates: list[Block] = [b for b in blocks if b.label == Label.FOOTNOTE]
    for b in sorted(blocks, key=lambda b: b.bbox[1], reverse=True):
        if b.label == Label.FOOTNOTE:
            continue
        # A one-item "list" at the page bottom is often a numbered footnote; a longer one is a list.
        is_text = b.label == Label.PARAGRAPH or (b.label == Label.LIST and len(b.items) <= 1)
        if not is_text or b.bbox[1] < page.height * LOWER_PART:
            break
        if footnote_marker(_marked_text(b)) is None:
            break
        candidates.append(b)

    others = [b for b in blocks if b not in candidates]
    seen: dict[str, str] = {}
    for b in candidates:
        found = footnote_marker(_marked_text(b))
        if found is None:
            continue  # an engine-labelled footnote without a marker: leave it be
        marker, strong = found
        ref = next((o for o in others if o.label != Label.FOOTNOTE and _cites(o.text, marker)), None)
        small = body_size is not None and (s := font_size(b)) is not None and s <= body_size - 0.5
        if b.label != Label.FOOTNOTE and not (strong or small or ref is not None):
            continue
        b.text = _marked_text(b)  # the marker stays with its footnote
        b.label = Label.FOOTNOTE
        b.items = []
        b.meta["marker"] = marker
        if ref is not None:
            b.meta["ref"] = ref.id
            ref.meta.setdefault("footnotes", []).append(b.id)
        if marker in seen:
            doc.warnings.append(
                f"footnotes: page {page.index + 1} has two footnotes with marker {marker!r} ({seen[marker]}, {b.id})"
            )
        seen[marker] = b.id
