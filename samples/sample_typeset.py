"""Typesetting primitives for the sample PDFs: base-14 fonts, word wrapping, drawing lines of text.

Text is placed word by word with ``pymupdf.TextWriter`` so we know every line's box exactly (the
ground truth comes from the same numbers). Fonts are the base-14 families, embedded as subsets at
the end (``doc.subset_fonts()``), which keeps Unicode (•, –, “”) in the text layer and the files small.

Markup inside source text (documented in samples/README.md):
- ``|`` inside a word marks a place where it may be hyphenated at a line end ("docu|ment").
- ``^`` followed by a mark attaches a superscript footnote marker to the word ("sites.^1").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

HYPHEN_POINT = "|"
MARK = "^"

_FONTS: dict[str, pymupdf.Font] = {}


def font(name: str) -> pymupdf.Font:
    """A base-14 font by its PyMuPDF short name ("tiro", "tibo", "tiit", "helv", "hebo", "cour")."""
    if name not in _FONTS:
        _FONTS[name] = pymupdf.Font(name)
    return _FONTS[name]


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float  # distance between baselines
    color: tuple[float, float, float] = (0, 0, 0)


def text_width(text: str, style: Style) -> float:
    return font(style.font).text_length(text, fontsize=style.size)


def plain(text: str) -> str:
    """Source text without markup: hyphenation points and footnote markers removed."""
    words = []
    for word in text.split():
        word = word.replace(HYPHEN_POINT, "")
        if MARK in word:
            word = word.split(MARK, 1)[0]
        words.append(word)
    return " ".join(words)


def _split_mark(word: str) -> tuple[str, str]:
    if MARK in word:
        base, mark = word.split(MARK, 1)
        return base, mark
    return word, ""


def word_width(word: str, style: Style) -> float:
    base, mark = _split_mark(word.replace(HYPHEN_POINT, ""))
    w = text_width(base, style)
    if mark:
        w += text_width(mark, Style(style.font, style.size * 0.62, style.leading))
    return w


@dataclass
class Line:
    words: list[str]  # as printed, markup kept for footnote marks; "docu-" when hyphenated
    hyphenated: bool = False  # the line ends with a word broken at a hyphenation point
    last: bool = False  # last line of its paragraph (not justified)
    width: float = 0.0  # natural width with single spaces

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _natural(words: list[str], style: Style) -> float:
    space = text_width(" ", style)
    return sum(word_width(w, style) for w in words) + space * max(len(words) - 1, 0)


def wrap(text: str, style: Style, width: float) -> list[Line]:
    """Greedy line breaking; a word that does not fit is hyphenated at its last fitting ``|``."""
    words = text.split()
    lines: list[Line] = []
    cur: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        shown = word.replace(HYPHEN_POINT, "")
        if _natural(cur + [shown], style) <= width:
            cur.append(shown)
            i += 1
            continue
        parts = word.split(HYPHEN_POINT)
        broken = False
        for k in range(len(parts) - 1, 0, -1):
            head = "".join(parts[:k]) + "-"
            if _natural(cur + [head], style) <= width:
                lines.append(Line(cur + [head], hyphenated=True))
                words[i] = HYPHEN_POINT.join(parts[k:])
                cur = []
                broken = True
                break
        if broken:
            continue
        if not cur:  # a single word wider than the line: let it overflow rather than loop
            cur.append(shown)
            i += 1
            continue
        lines.append(Line(cur))
        cur = []
    if cur:
        lines.append(Line(cur))
    if lines:
        lines[-1].last = True
    for line in lines:
        line.width = _natural(line.words, style)
    return lines


def join_lines(lines: list[Line]) -> str:
    """Plain text of lines, undoing hyphenation ("docu-" + "ment" -> "document")."""
    out = ""
    prev_hyphenated = False
    for line in lines:
        words = [_split_mark(w)[0] for w in line.words]
        text = " ".join(words)
        if not out:
            out = text
        elif out.endswith("-") and prev_hyphenated:
            out = out[:-1] + text
        else:
            out += " " + text
        prev_hyphenated = line.hyphenated
    return out


@dataclass
class Placed:
    """Where a run of lines went: its box and the baseline of each line."""

    bbox: tuple[float, float, float, float]
    baselines: list[float] = field(default_factory=list)


def ascent(style: Style) -> float:
    return style.size * 0.75  # cap-height-ish: the top of a line's box above its baseline


def descent(style: Style) -> float:
    return style.size * 0.22


def draw_word(tw: pymupdf.TextWriter, x: float, baseline: float, word: str, style: Style) -> float:
    """Draw one word (with its superscript mark, if any); returns its width."""
    base, mark = _split_mark(word)
    f = font(style.font)
    tw.append((x, baseline), base, font=f, fontsize=style.size)
    w = text_width(base, style)
    if mark:
        small = Style(style.font, style.size * 0.62, style.leading)
        tw.append((x + w, baseline - style.size * 0.38), mark, font=f, fontsize=small.size)
        w += text_width(mark, small)
    return w


def draw_lines(
    tw: pymupdf.TextWriter,
    lines: list[Line],
    style: Style,
    x: float,
    top: float,
    width: float,
    align: str = "justify",
    indent: float = 0.0,
) -> Placed:
    """Draw lines from ``top`` (top of the first line's box); align: justify, left, center, right."""
    space = text_width(" ", style)
    baselines = []
    x0, x1 = x + width, x
    for n, line in enumerate(lines):
        baseline = top + ascent(style) + n * style.leading
        baselines.append(baseline)
        lx = x + (indent if n == 0 else 0)
        avail = width - (indent if n == 0 else 0)
        gap = space
        stretched = line.last or len(line.words) < 2
        if align == "justify" and not stretched:
            gap = space + (avail - line.width) / (len(line.words) - 1)
            if gap > 1.9 * space:  # a very loose line reads as separate words: leave it ragged
                gap, stretched = space, True
        elif align == "center":
            lx += (avail - line.width) / 2
        elif align == "right":
            lx += avail - line.width
        cx = lx
        for word in line.words:
            cx += draw_word(tw, cx, baseline, word, style) + gap
        used = avail if (align == "justify" and not stretched) else line.width
        x0, x1 = min(x0, lx), max(x1, lx + used)
    bottom = top + ascent(style) + (len(lines) - 1) * style.leading + descent(style)
    return Placed((x0, top, x1, bottom), baselines)


def block_height(n_lines: int, style: Style) -> float:
    return ascent(style) + (n_lines - 1) * style.leading + descent(style)
