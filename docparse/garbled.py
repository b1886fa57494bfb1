"""Is a text layer readable? The one rule the layout engine and the hybrid verifier share.

A PDF font without a usable encoding (no ToUnicode map, or a wrong one) gives a text layer that
looks like text to PyMuPDF but is not: glyph codes come out as control characters, private-use
or replacement characters, or as the Latin-1 letters and typographic symbols that happen to
share those codes (``êÆ#(¯K)`` for a line of Chinese, ``]üìÆüéê •ìê`` for English). Real text in
any language has few of those: French or German print has a few accented letters per hundred
characters, Vietnamese under one in five; the garbled pages of the corpus have a third.

The layout engine OCRs a page whose text layer is garbled (``garbled_reason``); the verifier never
checks a model against such words (``PageWords.usable``) and never turns them into omissions.
"""

from __future__ import annotations

#: Share of a text's non-space characters (0..1) that are unmapped glyphs (replacement,
#: private-use, control characters) above which the text is unreadable: a symbol font's bullets
#: are a few per hundred, a font without any encoding gives nearly all.
UNMAPPED_SHARE = 0.3
#: Share of non-space characters (0..1) that are unmapped or "mis-mapped" (Latin-1 letters and
#: symbols, Windows-1252 extras) above which the text is garbled: clean corpus pages have at most
#: 0.03 (French, German, Spanish print), Vietnamese about 0.15; garbled ones 0.2 to 0.4.
GARBLED_SHARE = 0.25
#: Fewer non-space characters than this say nothing either way (a page number, a stray mark).
MIN_CHARS = 20

#: Windows-1252 characters outside Latin-1 that a mis-mapped font shows (never the everyday
#: dashes, quotes and bullet, which clean text uses all the time).
_CP1252_ODD = frozenset("\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020\u2021\u2030\u2039\u203a\u201a\u201e")


def unmapped(c: str) -> bool:
    """A glyph with no character: replacement, private-use (BMP) or a control character."""
    o = ord(c)
    return c == "\ufffd" or 0xE000 <= o <= 0xF8FF or (o < 32 and c not in "\t\n\r") or 0x7F <= o <= 0x9F


def misread(c: str) -> bool:
    """A character a font without encoding typically comes out as: Latin-1 letters and symbols
    (U+00A0..U+00FF) and the Windows-1252 extras."""
    return "\u00a0" <= c <= "\u00ff" or c in _CP1252_ODD


def garbled_shares(text: str) -> tuple[int, float, float]:
    """(non-space characters, unmapped share, unmapped-or-misread share) of ``text``."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0, 0.0, 0.0
    bad = sum(unmapped(c) for c in chars)
    odd = sum(misread(c) for c in chars)
    return len(chars), bad / len(chars), (bad + odd) / len(chars)


def garbled_reason(text: str, min_chars: int = MIN_CHARS) -> str | None:
    """Why ``text`` (a page's text layer, or a run of it) is unusable, or None when it reads as text."""
    n, bad, odd = garbled_shares(text)
    if n < min_chars:
        return None
    if bad > UNMAPPED_SHARE:
        return f"{bad:.0%} of its characters are unmapped glyphs (replacement, private-use or control characters)"
    if odd > GARBLED_SHARE:
        return (f"{odd:.0%} of its characters are Latin-1 symbols, accented letters or control characters "
                "(a font without a usable encoding)")
    return None


def garbled(text: str, min_chars: int = MIN_CHARS) -> bool:
    """True when ``text`` is not readable text (see ``garbled_reason``)."""
    return garbled_reason(text, min_chars) is not None
