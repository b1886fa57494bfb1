"""The first page's title, from its structure: the largest, boldest block of several words in
the top part of page 1, not a kicker label above it and not the author line below it.

The layout model calls a journal's "Research Article" kicker a section header (promoted to the
title, being the largest heading) and the real title, set as large, a text box; the author line
("M. Walley, G. Sigthorsson, ... and I. Bjarnason*") it calls a section header too. Here, on the
first page only:

- an author line (names and initials separated by commas or "and", affiliation marks after them)
  in the top part is a paragraph, never a heading;
- the title is the largest (then boldest, then highest) block of several words in the top part,
  at least ``TITLE_SIZE_RATIO`` times the body size, that is not a kicker ("Research Article",
  "Original Paper": a known kicker, or a short label set above a block as large with more words);
- a title it replaces (a kicker) becomes a heading (level 2; ``blocks`` keeps it out of the
  heading-style ranking).
"""

from __future__ import annotations

import re
from typing import Sequence

from docparse.document import Label
from docparse.engines.layout.params import (
    AUTHOR_MIN_NAMES,
    AUTHOR_NAME_SHARE,
    FIRST_PAGE_TITLE_TOP_SHARE,
    KICKER_MAX_WORDS,
    TITLE_MAX_LINES,
    TITLE_MIN_WORDS,
    TITLE_SIZE_RATIO,
)
from docparse.engines.layout.regions.heuristic import body_size
from docparse.engines.layout.context import Region

_KICKER = re.compile(
    r"^(?:(?:original|research|review|brief|short|special|invited|technical|feature|full|regular)\s+)?"
    r"(?:article|paper|report|communication|note|letter|review|commentary|editorial|perspective"
    r"|essay|study|contribution|research)s?$",
    re.I,
)
_INITIAL = re.compile(r"^[A-Z]\.(?:-?[A-Z]\.)*$")  # "M.", "J.-P."
_NAME = re.compile(r"^[A-Z][a-zà-ÿ'’]+(?:-[A-Z]?[a-zà-ÿ'’]+)*$")  # "Walley", "Hotz-Behofsits"
_PARTICLE = frozenset({"and", "&", "van", "von", "de", "der", "den", "da", "di", "du", "la", "le"})
# affiliation marks: "a", "b", "1", "12", "*", "∗∗", "†" (single letters: "in", "for" are words)
_MARK = re.compile(r"^(?:[a-z]|\d{1,2}|[*∗†‡§¶#]{1,3})$")


def is_kicker(text: str) -> bool:
    """A journal's section label set above the title: "Research Article", "Original Paper"."""
    return bool(_KICKER.match(" ".join(text.split()).strip(" .:")))


def is_author_line(text: str) -> bool:
    """Names with initials, separated by commas or "and", with affiliation marks after them:
    "M. Walley, G. Sigthorsson, C. Hotz-Behofsits, R. Simpson, I. Bjarnason*",
    "Jing Yu a,b, Lu Lv a,∗, Pei Lan a,b, Shujuan Zhang a"."""
    flat = " ".join(text.split())
    if flat.count(",") < 1 or (flat.count(",") < 2 and " and " not in flat):
        return False  # names are listed with commas ("A, B and C" at the least)
    tokens = [t for t in re.split(r"[\s,]+", flat) if t]
    names = others = 0
    person = False  # an initial or an affiliation mark: "Materials, Methods, and Analysis" has none
    for token in tokens:
        core = token.rstrip("*∗†‡§¶#0123456789")
        if token.lower() in _PARTICLE:
            continue
        if not core or _MARK.match(token):
            person = True  # affiliation marks
            continue
        person = person or core != token or bool(_INITIAL.match(core))
        if _INITIAL.match(core) or _NAME.match(core) or (core.isupper() and len(core) <= 3):
            names += 1
        else:
            others += 1
    return person and names >= AUTHOR_MIN_NAMES and names >= AUTHOR_NAME_SHARE * (names + others)


def first_page_title(regions: Sequence[Region], page_height: float, scanned: bool = False) -> None:
    """Relabel, in place, the first page's title, kicker and author lines (see the module).

    On a scan (``scanned``) only author lines are relabelled: OCR sizes are character heights,
    which say too little to pick a title by size."""
    body = body_size([ln for r in regions for ln in r.lines])
    top = [
        r
        for r in regions
        if r.lines
        and r.label in (Label.TITLE, Label.HEADING, Label.PARAGRAPH)
        and r.bbox[1] < FIRST_PAGE_TITLE_TOP_SHARE * page_height
    ]
    for region in top:
        if region.label in (Label.TITLE, Label.HEADING) and is_author_line(_text(region)):
            region.label = Label.PARAGRAPH
    if scanned:
        return
    candidates = [
        r
        for r in top
        if len(r.lines) <= TITLE_MAX_LINES
        and len(_text(r).split()) >= TITLE_MIN_WORDS
        and not is_kicker(_text(r))
        and not is_author_line(_text(r))
        and _size(r) >= TITLE_SIZE_RATIO * body
    ]
    if not candidates:
        return
    best = max(candidates, key=lambda r: (round(_size(r), 1), _bold(r), -r.bbox[1]))
    if best.label is Label.TITLE:
        return
    titles = [r for r in regions if r.label is Label.TITLE]
    if any(not _replaceable(t, best) for t in titles):
        return  # a title as large as this one, and no kicker: the page's own reading stands
    for title in titles:
        title.label = Label.HEADING
    best.label = Label.TITLE


def _replaceable(title: Region, better: Region) -> bool:
    """A title gives way to ``better`` when it is a kicker, or smaller, or a short label set
    above a block as large with more words."""
    text = _text(title)
    if is_kicker(text) or round(_size(title), 1) < round(_size(better), 1):
        return True
    return len(text.split()) <= KICKER_MAX_WORDS and title.bbox[3] <= better.bbox[1]


def _text(region: Region) -> str:
    return " ".join(ln.text.strip() for ln in region.lines)


def _size(region: Region) -> float:
    return max((ln.size for ln in region.lines), default=0.0)


def _bold(region: Region) -> bool:
    return all(ln.bold for ln in region.lines if ln.text.strip())
