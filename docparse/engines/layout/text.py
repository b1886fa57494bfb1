"""Text lines of a page, from PyMuPDF's text layer (or an OCR text page), with font facts.

PyMuPDF reports "lines" that are really runs: one visual row of right-to-left text, or a row
broken by a gap, comes back as several pieces. ``extract_lines`` glues pieces on the same row
back together, in visual order for left-to-right text and reversed for right-to-left text, so
that every ``Line`` is one row of text in reading order.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from docparse.engines.layout.params import (
    BOLD_CHAR_SHARE,
    CJK_FONT_SHARE,
    DEFAULT_BODY_SIZE_PT,
    DEFAULT_CHAR_WIDTH_PT,
    GUTTER_GAP_EM,
    GUTTER_MIN_ROWS,
    GUTTER_REACH_ROWS,
    LINE_SLACK_PT,
    MAX_FONTS,
    MONO_CHAR_SHARE,
    OCR_EM,
    OCR_ROW_GAP_EM,
    OCR_SIZE_SNAP_SHARE,
    RECENT_ROWS,
    SAME_ROW_SHARE,
    SCRIPT_MAX_SIZE_SHARE,
    SMALL_PRINT_RATIO,
    SPACE_GAP_EM,
    SUBSCRIPT_MIN_DROP_EM,
    SUPERSCRIPT_MIN_RISE_EM,
    WORD_GAP_EM,
)
from docparse.garbled import garbled_reason
from docparse.geometry import BBox, union_box
from docparse.writing import is_rtl, may_hold_lam_alef, span_chars_text

# PyMuPDF span flags
FLAG_ITALIC = 2
FLAG_MONO = 8
FLAG_BOLD = 16

_MONO_FONT = re.compile(r"mono|courier|consol|menlo|inconsolata|typewriter|cmtt|lmtt|sfmono", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.I)
#: italic faces by name, where the font's flags do not say it ("Times-Italic", "GulliverIT", "CMTI10")
_ITALIC_FONT = re.compile(r"italic|oblique|^cmti\d", re.I)
_ITALIC_SUFFIX = re.compile(r"(?:[a-z]IT|-It)$")  # case matters: "GulliverIT", "MinionPro-It"
#: Typographic ligatures as the letters they stand for: searchable, and what readers type.
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
#: A ligature, the space some PDF generators emit after its glyph (drawn inside the ligature's
#: box: "inﬂ ammation"), and the lowercase letter that goes on with the word. Not "ﬀ": English
#: words end in "ff" before a real space ("staﬀ members"), hardly ever in "fi", "fl", "ffi", "ffl".
_LIGATURE_SPACE = re.compile("([\ufb01-\ufb04]) (?=[a-z])")
_LIGATURE = re.compile("[\ufb00-\ufb06]")
#: Symbol and Wingdings glyphs in the private-use area (U+F000 + the font's own code, as PDFs
#: without a ToUnicode map give them) that are list bullets in any of these fonts.
_PUA_BULLETS = frozenset("\uf06c\uf06e\uf06f\uf071\uf075\uf076\uf09f\uf0a7\uf0a8\uf0b7\uf0d8\uf0fc\uf0e8\uf0d2")
#: Symbol-font private-use codes with a standard character (Adobe's Symbol encoding).
_PUA_SYMBOL = {
    "\uf0ae": "→", "\uf0ac": "←", "\uf0ad": "↑", "\uf0af": "↓", "\uf0ab": "↔", "\uf0de": "⇒", "\uf0dc": "⇐",
    "\uf0db": "⇔", "\uf0b1": "±", "\uf0b4": "×", "\uf0b8": "÷", "\uf0a3": "≤", "\uf0b3": "≥", "\uf0b9": "≠",
    "\uf0bb": "≈", "\uf0a5": "∞", "\uf0b0": "°", "\uf0d6": "√", "\uf0e5": "∑", "\uf0f2": "∫", "\uf0b6": "∂",
    "\uf0ce": "∈", "\uf0c7": "∩", "\uf0c8": "∪", "\uf0a2": "′", "\uf0a4": "⁄", "\uf0bc": "…", "\uf0d7": "·",
    "\uf02d": "−", "\uf02b": "+", "\uf03d": "=", "\uf03c": "<", "\uf03e": ">",
}
_PUA = re.compile("[\uf000-\uf0ff]")
_SYMBOL_FONT = re.compile(r"symbol", re.I)


@dataclass
class Span:
    text: str
    bbox: BBox
    font: str
    size: float
    flags: int
    #: y of the span's baseline (its origin), when the text layer gives it: scripts are set
    #: off it, small caps and a smaller font are not
    baseline: float | None = None

    @property
    def mono(self) -> bool:
        return bool(self.flags & FLAG_MONO) or bool(_MONO_FONT.search(self.font))

    @property
    def bold(self) -> bool:
        return bool(self.flags & FLAG_BOLD) or bool(_BOLD_FONT.search(self.font))

    @property
    def italic(self) -> bool:
        return bool(self.flags & FLAG_ITALIC) or bool(_ITALIC_FONT.search(self.font) or _ITALIC_SUFFIX.search(self.font))


@dataclass
class Line:
    """One visual row of text: its spans in reading order."""

    bbox: BBox
    spans: list[Span] = field(default_factory=list)
    rtl: bool = False

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    @property
    def chars(self) -> int:
        return sum(len(s.text.strip()) for s in self.spans)

    @property
    def size(self) -> float:
        """The font size that covers most characters of the line."""
        return dominant(((s.size, len(s.text.strip())) for s in self.spans), default=0.0)

    @property
    def bold(self) -> bool:
        letters = [s for s in self.spans if s.text.strip()]
        return bool(letters) and all(s.bold for s in letters)

    @property
    def emphasised(self) -> bool:
        """Every span with letters is bold or italic."""
        letters = [s for s in self.spans if s.text.strip()]
        return bool(letters) and all(s.bold or s.italic for s in letters)

    @property
    def mono(self) -> bool:
        letters = [s for s in self.spans if s.text.strip()]
        return bool(letters) and all(s.mono for s in letters)


def dominant(pairs: Iterable[tuple[float, int]], default: float = 0.0) -> float:
    """The value with the largest total weight (ties: the larger value)."""
    weights: dict[float, int] = {}
    for value, weight in pairs:
        key = round(value, 1)
        weights[key] = weights.get(key, 0) + max(weight, 0)
    if not weights:
        return default
    return max(weights.items(), key=lambda kv: (kv[1], kv[0]))[0]


def clean_text(text: str, font: str = "") -> str:
    """A text layer's characters as readers search for them: ligatures as their letters (the
    stray space a generator put after a ligature glyph removed), private-use Symbol/Wingdings
    bullets as "•" and Symbol-font arrows and operators as their characters."""
    if _LIGATURE.search(text):
        text = _LIGATURE_SPACE.sub(r"\1", text)
        text = _LIGATURE.sub(lambda m: _LIGATURES[m.group()], text)
    if _PUA.search(text):
        symbol = bool(_SYMBOL_FONT.search(font))

        def one(m: re.Match) -> str:
            c = m.group()
            if symbol and c in _PUA_SYMBOL:
                return _PUA_SYMBOL[c]
            return "•" if c in _PUA_BULLETS else c

        text = _PUA.sub(one, text)
    return text


def extract_lines(page: Any, textpage: Any = None, ocr: bool = False) -> list[Line]:
    """All text rows of the page, top to bottom, in the page's unrotated coordinates.

    With ``ocr`` the text page comes from Tesseract: its font says nothing about the print
    (no monospace, no bold), and rows without a letter or digit are scan noise, left out.
    """
    import pymupdf

    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_PRESERVE_LIGATURES
    data = page.get_text("rawdict" if ocr else "dict", flags=flags, textpage=textpage, sort=False)
    if not ocr:
        _lam_alef_in_logical_order(page, data, flags, textpage)
    pieces: list[Line] = []
    for block in data.get("blocks", []):
        if block.get("type", 0) != 0:
            continue
        for raw in block.get("lines", []):
            if ocr:
                for spans in _ocr_pieces(raw.get("spans", [])):
                    if any(ch.isalnum() for s in spans for ch in s.text):
                        pieces.append(Line(bbox=union_box([s.bbox for s in spans]), spans=spans))
                continue
            spans = [
                Span(
                    text=clean_text(s.get("text", ""), s.get("font", "")),
                    bbox=tuple(s["bbox"]),  # type: ignore[arg-type]
                    font=s.get("font", ""),
                    size=float(s.get("size", 0.0)),
                    flags=int(s.get("flags", 0)),
                    baseline=float(s["origin"][1]) if s.get("origin") else None,
                )
                for s in raw.get("spans", [])
            ]
            spans = [s for s in spans if s.text]
            if not spans or not "".join(s.text for s in spans).strip():
                continue
            pieces.append(Line(bbox=union_box([s.bbox for s in spans]), spans=spans))
    if ocr:
        snap_sizes(pieces)
    return merge_rows(pieces)


def _lam_alef_in_logical_order(page: Any, data: dict, flags: int, textpage: Any) -> None:
    """Arabic lam-alef ligatures put back in logical order, in place, in ``data`` (the page's
    ``dict`` text). PyMuPDF gives the ligature's two letters in visual order (alef, lam); only
    the characters' widths tell them from a real alef-lam (``docparse.writing.lam_alef_logical``,
    which the verifier's words use too), so the spans that may hold one are read again from
    ``rawdict`` -- only on pages where some span may (Arabic pages), the same text page and
    flags giving the same blocks, lines and spans."""
    spans = [s for b in data.get("blocks", []) for ln in b.get("lines", []) for s in ln.get("spans", [])]
    if not any(may_hold_lam_alef(s.get("text", "")) for s in spans):
        return
    raw = page.get_text("rawdict", flags=flags, textpage=textpage, sort=False)
    raw_spans = [s for b in raw.get("blocks", []) for ln in b.get("lines", []) for s in ln.get("spans", [])]
    if len(raw_spans) != len(spans):
        return  # not the same extraction: leave the text as it is
    for span, raw_span in zip(spans, raw_spans):
        if may_hold_lam_alef(span.get("text", "")):
            span["text"] = span_chars_text(raw_span.get("chars", []))


def snap_sizes(pieces: list[Line], tolerance: float = OCR_SIZE_SNAP_SHARE) -> None:
    """OCR sizes within ``tolerance`` of the page's median size become that size.

    Sizes read from character boxes wobble from row to row (punctuation, accents, CJK glyphs);
    left alone, the wobble splits paragraphs and turns body rows into footnotes or headings.
    Clearly larger or smaller print keeps its size.
    """
    sizes = [s.size for p in pieces for s in p.spans]
    if not sizes:
        return
    body = statistics.median(sizes)
    for piece in pieces:
        for span in piece.spans:
            if abs(span.size - body) <= tolerance * body:
                span.size = body


def _ocr_pieces(raw_spans: list[dict]) -> list[list[Span]]:
    """OCR rows cut where the characters leave a wide gap: Tesseract runs rows across gutters.

    OCR fonts say nothing about the print, so the spans carry no font name and no flags, and
    their size is taken from the height of the row's characters: the size Tesseract's text
    layer reports swings from half to three times that on one page, and would hide gutters.
    """
    pieces: list[list[Span]] = []
    current: list[dict] = []
    heights = [c["bbox"][3] - c["bbox"][1] for raw in raw_spans for c in raw.get("chars", []) if c["c"].strip()]
    size = OCR_EM * statistics.median(heights) if heights else DEFAULT_BODY_SIZE_PT

    def flush() -> None:
        text = "".join(c["c"] for c in current)
        if text.strip():
            box = union_box([tuple(c["bbox"]) for c in current if c["c"].strip()])  # type: ignore[misc]
            pieces.append([Span(text.strip(), box, "ocr", size, 0)])
        current.clear()

    for raw in raw_spans:
        for ch in raw.get("chars", []):
            if current and ch["c"] != " ":
                last = next((c for c in reversed(current) if c["c"] != " "), None)
                if last is not None and ch["bbox"][0] - last["bbox"][2] > OCR_ROW_GAP_EM * size:
                    flush()
            current.append(ch)
    if current:
        flush()
    return pieces


def merge_rows(pieces: list[Line]) -> list[Line]:
    """Glue pieces that sit on the same visual row and touch horizontally into one line.

    Pieces far apart on the same row (two columns, table cells) stay separate lines.
    """
    pieces = sorted(pieces, key=lambda p: (round(p.bbox[1], 0), p.bbox[0]))
    rows: list[list[Line]] = []
    for piece in pieces:
        for row in rows[-RECENT_ROWS:]:  # only recent rows can be on the same height
            if _same_row(row[0].bbox, piece.bbox) and _near(row, piece):
                row.append(piece)
                break
        else:
            rows.append([piece])
    lines = []
    for row in split_gutters(rows):
        text = "".join(p.text for p in row)
        rtl = is_rtl(text)
        row.sort(key=lambda p: p.bbox[0], reverse=rtl)
        spans = [s for p in row for s in p.spans]
        if len(row) > 1 and not rtl:
            spans = _spaced(row)
        lines.append(Line(bbox=union_box([p.bbox for p in row]), spans=spans, rtl=rtl))
    lines.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    return lines


def split_gutters(rows: list[list[Line]], reach: int = GUTTER_REACH_ROWS, min_rows: int = GUTTER_MIN_ROWS) -> list[list[Line]]:
    """Rows cut where a column gutter runs through them.

    Two columns whose gutter is narrower than the gap ``_near`` accepts come back glued row by
    row. A wide gap inside a row is a gutter when rows close above or below (``reach`` rows)
    have a gap at the same x: ``min_rows`` rows in all. Word gaps never line up like that.
    """
    gaps = [_wide_gaps(row) for row in rows]
    out: list[list[Line]] = []
    for i, row in enumerate(rows):
        cuts = []
        for k, a, b in gaps[i]:
            near = gaps[max(0, i - reach) : i] + gaps[i + 1 : i + 1 + reach]
            if 1 + sum(any(min(b, b2) - max(a, a2) > 0 for _, a2, b2 in other) for other in near) >= min_rows:
                cuts.append(k)
        if not cuts:
            out.append(row)
            continue
        ordered = sorted(row, key=lambda p: p.bbox[0])
        for start, end in zip([0] + cuts, cuts + [len(ordered)]):
            out.append(ordered[start:end])
    return out


def _wide_gaps(row: list[Line], share: float = GUTTER_GAP_EM) -> list[tuple[int, float, float]]:
    """(index of the piece after the gap, gap start, gap end) for gaps wider than ``share`` of the
    font size between the row's pieces, left to right."""
    ordered = sorted(row, key=lambda p: p.bbox[0])
    out = []
    reach = ordered[0].bbox[2]
    for k in range(1, len(ordered)):
        piece = ordered[k]
        if piece.bbox[0] - reach > share * max(piece.size, ordered[k - 1].size, 1.0):
            out.append((k, reach, piece.bbox[0]))
        reach = max(reach, piece.bbox[2])
    return out


def _spaced(row: list[Line]) -> list[Span]:
    """Spans of left-to-right pieces, with a space between pieces that have a visible gap."""
    out: list[Span] = []
    for i, piece in enumerate(row):
        if i and not out[-1].text.endswith(" ") and not piece.text.startswith(" "):
            gap = piece.bbox[0] - row[i - 1].bbox[2]
            if gap > SPACE_GAP_EM * max(piece.size, 1.0):
                prev = out[-1]
                out[-1] = replace(prev, text=prev.text + " ")
        out.extend(piece.spans)
    return out


def _same_row(a: BBox, b: BBox) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > SAME_ROW_SHARE * min(a[3] - a[1], b[3] - b[1])


def _near(row: list[Line], piece: Line) -> bool:
    """A gap narrow enough for a word space in the larger print; when one side is set in less
    than half the other's size (a small label beside a large heading), the smaller print's
    gap: a tab in front of a 26-point heading is no word space for 7-point words."""
    big = max(piece.size, row[0].size, 1.0)
    small = max(min(piece.size, row[0].size), 1.0)
    size = small if big > SMALL_PRINT_RATIO * small else big
    x0, x1 = min(p.bbox[0] for p in row), max(p.bbox[2] for p in row)
    gap = max(piece.bbox[0] - x1, x0 - piece.bbox[2])
    return gap < WORD_GAP_EM * size


def lines_in(lines: list[Line], box: BBox, slack: float = LINE_SLACK_PT) -> list[Line]:
    """Lines whose centre lies inside ``box`` (grown by ``slack`` points)."""
    x0, y0, x1, y1 = box[0] - slack, box[1] - slack, box[2] + slack, box[3] + slack
    out = []
    for ln in lines:
        cx, cy = (ln.bbox[0] + ln.bbox[2]) / 2, (ln.bbox[1] + ln.bbox[3]) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            out.append(ln)
    return out


def join_text(lines: list[Line], scripts: bool = False) -> str:
    """Plain text of lines, one per row (soft line breaks: renderers treat them as spaces).

    With ``scripts`` (text-layer lines: OCR sizes are glyph heights), superscripts and
    subscripts that Unicode can write are written so (``scripted_text``)."""
    texts = (scripted_text(ln) if scripts else ln.text for ln in lines)
    return "\n".join(t.strip() for t in texts if t.strip())


#: what Unicode can set as a superscript or a subscript: digits, signs, brackets (and "n", "i" up,
#: as in xⁿ); a script with any other character keeps its plain text
_SUPERSCRIPTS = str.maketrans("0123456789+-−=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPTS = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
_SUPERSCRIPT_CHARS = set("0123456789+-−=()ni")
_SUBSCRIPT_CHARS = set("0123456789+-−=()")


def scripted_text(line: Line) -> str:
    """A line's text with its superscripts and subscripts in Unicode (``m²``, ``CO₂``, ``10⁻³``).

    A script is a span clearly smaller than the line's text whose baseline is set off the line's
    baseline (up: superscript, down: subscript). Neighbouring script spans of one kind are one
    script (``p`` with ``t`` and ``−1`` below); it keeps its plain characters when Unicode has no
    script form for one of them (``x_{max}``, ``p_{t-1}``, a footnote mark "*"), as before, and so
    does a numerator or denominator beside a fraction slash ("1⁄4" is a fraction already)."""
    base = line.size
    spans = line.spans
    if base <= 0 or all(s.size >= SCRIPT_MAX_SIZE_SHARE * base for s in spans if s.text.strip()):
        return line.text
    baselines = [s.baseline for s in spans if s.baseline is not None and s.text.strip() and s.size >= SCRIPT_MAX_SIZE_SHARE * base]
    if not baselines:
        return line.text
    line_baseline = statistics.median(baselines)
    kinds = [_script_kind(s, base, line_baseline) for s in spans]
    out: list[str] = []
    i = 0
    while i < len(spans):
        j = i + 1
        while kinds[i] and j < len(spans) and kinds[j] == kinds[i]:
            j += 1  # one script: the run of spans of one kind
        run = "".join(s.text for s in spans[i:j])
        before = spans[i - 1].text if i else ""
        after = spans[j].text if j < len(spans) else ""
        if kinds[i] and _FRACTION_SLASH not in before[-1:] + run + after[:1]:
            allowed, table = (_SUPERSCRIPT_CHARS, _SUPERSCRIPTS) if kinds[i] == "^" else (_SUBSCRIPT_CHARS, _SUBSCRIPTS)
            if set(run.strip()) <= allowed:
                run = run.translate(table)
        out.append(run)
        i = j
    return "".join(out)


_FRACTION_SLASH = "\u2044"


def _script_kind(span: Span, base: float, line_baseline: float) -> str:
    """"^" for a superscript span, "_" for a subscript, "" for the line's own text."""
    if not span.text.strip() or span.baseline is None or span.size >= SCRIPT_MAX_SIZE_SHARE * base:
        return ""
    shift = line_baseline - span.baseline  # > 0: set higher than the line
    if shift >= SUPERSCRIPT_MIN_RISE_EM * base:
        return "^"
    if -shift >= SUBSCRIPT_MIN_DROP_EM * base:
        return "_"
    return ""


def verbatim_text(lines: list[Line]) -> str:
    """Code text: rows kept, indentation rebuilt from x offsets (monospace char widths)."""
    if not lines:
        return ""
    widths = []
    for ln in lines:
        for s in ln.spans:
            if len(s.text) > 0 and s.bbox[2] > s.bbox[0]:
                widths.append((s.bbox[2] - s.bbox[0]) / len(s.text))
    char_w = statistics.median(widths) if widths else DEFAULT_CHAR_WIDTH_PT
    left = min(ln.bbox[0] for ln in lines)
    rows = []
    for ln in lines:
        indent = int(round((ln.bbox[0] - left) / max(char_w, 0.5)))
        rows.append(" " * indent + ln.text.rstrip())
    return "\n".join(rows)


def font_meta(lines: list[Line]) -> dict[str, Any]:
    """Font facts for document passes: dominant size, bold, mono, font names."""
    spans = [s for ln in lines for s in ln.spans if s.text.strip()]
    if not spans:
        return {}
    fonts: list[str] = []
    for s in spans:
        if s.font not in fonts:
            fonts.append(s.font)
    chars = sum(len(s.text.strip()) for s in spans)
    bold_chars = sum(len(s.text.strip()) for s in spans if s.bold)
    mono_chars = sum(len(s.text.strip()) for s in spans if s.mono)
    return {
        "font_size": dominant((s.size, len(s.text.strip())) for s in spans),
        "bold": bold_chars > BOLD_CHAR_SHARE * chars,
        "mono": mono_chars > MONO_CHAR_SHARE * chars,
        "fonts": fonts[:MAX_FONTS],
    }


def unreadable(lines: list[Line]) -> str | None:
    """Why the text layer of these lines is unusable (a font without a usable encoding:
    unmapped glyphs, or Latin-1 symbols where the page's script has none), or None.
    The rule is ``docparse.garbled``'s, shared with the hybrid verifier."""
    return garbled_reason("".join(ln.text for ln in lines))


#: Font names of Chinese, Japanese and Korean typefaces (SimSun, KaiTi, MS Mincho, Noto Sans CJK ...).
_CJK_FONT = re.compile(
    r"sim(sun|hei|kai|fang|li|you)|kaiti|fangsong|song(ti)?|hei(ti)?|ming(liu)?|stxihei|stsong|"
    r"yahei|dengxian|cjk|mincho|gothic|meiryo|batang|gulim|dotum|malgun|source\s?han|noto\s?(sans|serif)\s?(sc|tc|jp|kr)",
    re.I,
)


def ocr_language_for(page: Any, language: str) -> str:
    """The Tesseract language(s) for a page whose text layer is garbled: Chinese with English
    when the default ("eng") was asked for and the page's fonts are Chinese (or Japanese/Korean)
    ones, the garbled layer being those fonts' unmapped text; ``language`` otherwise."""
    from docparse.engines.layout.scan.ocr import language_installed

    if language != "eng":
        return language
    fonts = [f[3] for f in page.get_fonts()]
    cjk = sum(bool(_CJK_FONT.search(name)) for name in fonts)
    if fonts and cjk > CJK_FONT_SHARE * len(fonts) and language_installed("chi_sim+eng"):
        return "chi_sim+eng"
    return language
