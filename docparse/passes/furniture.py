"""Running headers, footers and page numbers: detected across pages and labelled.

Evidence, strongest first:
- the engine already labelled the block HEADER / FOOTER / PAGE_NUMBER;
- the block sits in the top or bottom margin band and its text (digits masked, so "Page 3 of 9"
  and "Page 4 of 9" match) recurs at about the same height on at least two pages;
- the block sits in the narrow margin band and reads as a page number ("7", "- 7 -",
  "Page 3 of 9", "iv"), even on a single page, or has a page number as its first or last line
  ("11\nChapter 2. Roles": a footer whose chapter name changes too often to repeat).

Labelled blocks get ``order = None`` and ``meta["furniture"]`` says why.
"""

from __future__ import annotations

import re
from collections import defaultdict

from docparse.document import Block, Document, Label, Page
from docparse.patterns import PAGE_NUMBER_MULTILINGUAL, ROMAN_NUMERAL, VALID_ROMAN

from ._common import is_stub

REPEAT_BAND = 0.15  # fraction of the page height at top and bottom where running text may sit
NUMBER_BAND = 0.10  # narrower band for a lone page number without repetition
Y_TOLERANCE = 0.025  # fraction of the page height two repeats may differ by
ROW_TOLERANCE_PT = 2.0  # points a block may overlap the one above / below it and still count as under / over it

# Regions whose repeated text is content, not furniture (a logo's OCR text, a form's table).
_NOT_TEXT = frozenset({Label.TABLE, Label.IMAGE, Label.CHART, Label.FORMULA, Label.CODE})


def is_page_number(text: str) -> bool:
    """True when the whole text reads as a page number ("12", "- 3 -", "Page 3 of 9", "iv")."""
    t = text.strip()
    if not t or not PAGE_NUMBER_MULTILINGUAL.match(t):
        return False
    if ROMAN_NUMERAL.match(t):
        # "I", "CD", "mix" are words too: only lowercase-ish short numerals count.
        return t.lower() == t and len(t) <= 5 and bool(VALID_ROMAN.match(t))
    return True


def _key(text: str) -> str:
    """Text normalised for repetition: case, spacing and digits ignored."""
    t = re.sub(r"\d+", "#", text.lower())
    return re.sub(r"\s+", " ", t).strip()


def _band(block: Block, page: Page, fraction: float) -> str | None:
    """"top" / "bottom" when the block lies wholly inside that margin band, else None."""
    if page.height <= 0:
        return None
    if block.bbox[3] <= page.height * fraction:
        return "top"
    if block.bbox[1] >= page.height * (1 - fraction):
        return "bottom"
    return None


def _mark(block: Block, band: str, reason: str) -> None:
    if is_page_number(block.text):
        block.label = Label.PAGE_NUMBER
    else:
        block.label = Label.HEADER if band == "top" else Label.FOOTER
    block.order = None
    block.meta["furniture"] = reason


def furniture(doc: Document) -> Document:
    """Label running headers, footers and page numbers; take them out of the reading order."""
    # Engine-labelled furniture needs evidence too, or its text would vanish from the outputs.
    _reject_unfounded(doc)
    for page in doc.pages:
        for b in page.blocks:
            if b.is_furniture:
                b.order = None
                b.meta.setdefault("furniture", "engine")

    # Repetition across pages: group margin blocks by (band, normalised text).
    groups: dict[tuple[str, str], list[tuple[Page, Block]]] = defaultdict(list)
    for page in doc.pages:
        for b in page.blocks:
            if b.is_furniture or is_stub(b) or b.label in _NOT_TEXT or not b.text.strip():
                continue
            band = _band(b, page, REPEAT_BAND)
            if band is None:
                continue
            # Headings repeat only verbatim ("Chapter 1" / "Chapter 2" are not a running header).
            key = b.text.strip().lower() if b.label in (Label.TITLE, Label.HEADING) else _key(b.text)
            groups[(band, key)].append((page, b))

    for (band, _), members in groups.items():
        pages = {p.index for p, _ in members}
        if len(pages) < 2:
            continue
        # Keep the members that sit at about the same relative height as most of the others.
        ys = sorted(((b.bbox[1] + b.bbox[3]) / 2) / p.height for p, b in members)
        ref = ys[len(ys) // 2]
        close = [(p, b) for p, b in members if abs(((b.bbox[1] + b.bbox[3]) / 2) / p.height - ref) <= Y_TOLERANCE]
        if len({p.index for p, _ in close}) < 2:
            continue
        for page, b in close:
            _mark(b, band, "repeated")

    # Lone page numbers in the narrow band.
    numbers: list[tuple[int, str]] = []
    for page in doc.pages:
        for b in page.blocks:
            if b.is_furniture:
                if b.label == Label.PAGE_NUMBER:
                    numbers.append((page.index, b.text))
                continue
            if is_stub(b) or b.label not in (Label.PARAGRAPH, Label.FOOTER, Label.HEADER, Label.TITLE, Label.HEADING):
                continue
            band = _band(b, page, NUMBER_BAND)
            if band is None:
                continue
            if is_page_number(b.text):
                _mark(b, band, "page_number")
                numbers.append((page.index, b.text))
                continue
            # "11\nChapter 2. Roles": a page number on its own line beside a running title
            # that changes too often to repeat (chapter names).
            lines = [ln for ln in b.text.splitlines() if ln.strip()]
            if 1 < len(lines) <= 3 and (is_page_number(lines[0]) or is_page_number(lines[-1])):
                _mark(b, band, "page_number_line")
                numbers.append((page.index, lines[0] if is_page_number(lines[0]) else lines[-1]))

    _check_numbers(doc, numbers)
    _warn_furniture_only(doc)
    return doc


def _warn_furniture_only(doc: Document) -> None:
    """A page with text, all of it furniture, has an empty body in Markdown and HTML: say so."""
    for page in doc.pages:
        texts = [b for b in page.blocks if b.text.strip() and not is_stub(b)]
        if texts and all(b.is_furniture for b in texts):
            page.warnings.append(
                "furniture: all text on this page is header, footer or page number "
                "(left out of Markdown and HTML, kept in JSON)"
            )


def _centre_band(block: Block, page: Page) -> str | None:
    """"top" / "bottom" when the block's centre lies in that margin band (``REPEAT_BAND``)."""
    if page.height <= 0:
        return None
    centre = (block.bbox[1] + block.bbox[3]) / 2
    if centre <= page.height * REPEAT_BAND:
        return "top"
    if centre >= page.height * (1 - REPEAT_BAND):
        return "bottom"
    return None


def _reject_unfounded(doc: Document) -> None:
    """A block the engine called header or footer without evidence becomes a paragraph.

    Evidence: its centre lies in a margin band, its text (digits masked) recurs on another
    page, or it reads as a page number. A lone line of body text (the layout model calls the
    only line of a page "page-footer" wherever it sits) fails all three, so it stays body text;
    ``meta["furniture_rejected"]`` keeps what the engine said.
    """
    pages_of: dict[str, set[int]] = defaultdict(set)
    for page in doc.pages:
        for b in page.blocks:
            if b.text.strip() and not is_stub(b):
                pages_of[_key(b.text)].add(page.index)
    rejected = 0
    for page in doc.pages:
        for b in page.blocks:
            if b.label not in (Label.HEADER, Label.FOOTER) or not b.text.strip():
                continue
            if _centre_band(b, page) or len(pages_of[_key(b.text)]) > 1 or is_page_number(b.text):
                continue
            b.meta["furniture_rejected"] = b.label.value
            b.label = Label.PARAGRAPH
            _slot_into_order(b, page)
            rejected += 1
    if rejected:
        doc.warnings.append(
            f"furniture: {rejected} block(s) labelled header/footer by the engine lie in the body "
            "area, recur on no other page and are no page number: kept as body text"
        )


def _slot_into_order(block: Block, page: Page) -> None:
    """Give a block that became body text a place in the page's reading order where it
    stands: beside the body block that holds its centre (after it when in that block's lower
    half), else after the last body block above it in its column, else before the first one
    below it in its column, else at the end; the page's orders are numbered again."""
    body = [b for b in page.reading_order if b is not block]  # the engine may have ordered it already
    x0, top, x1, bottom = block.bbox

    def same_column(b: Block) -> bool:
        return min(x1, b.bbox[2]) - max(x0, b.bbox[0]) > 0

    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    holders = [i for i, b in enumerate(body) if b.bbox[0] <= cx <= b.bbox[2] and b.bbox[1] <= cy <= b.bbox[3]]
    above = [i for i, b in enumerate(body) if same_column(b) and b.bbox[3] <= top + ROW_TOLERANCE_PT]
    below = [i for i, b in enumerate(body) if same_column(b) and b.bbox[1] >= bottom - ROW_TOLERANCE_PT]
    if holders:  # a fragment cut out of a block ("in an" of its last line): beside that block
        i = holders[-1]
        at = i + 1 if cy >= (body[i].bbox[1] + body[i].bbox[3]) / 2 else i
    elif above:
        at = max(above) + 1
    elif below:
        at = min(below)
    else:
        at = len(body)
    body.insert(at, block)
    for n, b in enumerate(body):
        b.order = n


def _check_numbers(doc: Document, numbers: list[tuple[int, str]]) -> None:
    """Warn when arabic page numbers go backwards: a body number was probably taken."""
    seq = []
    for page_index, text in sorted(numbers):
        m = re.search(r"\d+", text)
        if m:
            seq.append((page_index, int(m.group())))
    for (p0, n0), (p1, n1) in zip(seq, seq[1:]):
        if p1 > p0 and n1 - n0 <= 0:
            doc.warnings.append(
                f"furniture: page numbers do not increase (page {p0 + 1}: {n0}, page {p1 + 1}: {n1})"
            )
            return
