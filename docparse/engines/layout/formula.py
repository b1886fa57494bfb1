"""A display formula's LaTeX from its text-layer spans, and its equation number set apart.

The text layer prints a formula as glyphs: ``a²`` is an "a" span and a smaller "2" span set
higher. Joined as text that is "a2"; here each line's spans are compared with the line's base
size and height, and a smaller span set clearly above the base becomes a superscript (``a^{2}``),
one set below a subscript (``p_{t-1}``). Letters and digits stay, math symbols become their LaTeX
commands, LaTeX's special characters are escaped, and lines of a formula set one above the other
become rows of an array. An equation number at the right end, "(1)", is not part of the formula:
it is returned on its own (the block keeps it in ``meta["equation_number"]``).

A fraction is printed as a numerator set above a drawn rule and a denominator below it, both
centred on the rule; given the rules in the formula's box (``tables.split.horizontal_rules``),
the spans standing on each side of a rule become ``\\frac{…}{…}`` in the row the rule sits in,
innermost (narrowest) rule first so nested fractions nest. A rule that starts where a radical
sign "√" ends is the bar of a square root: what stands under it becomes ``\\sqrt{…}``. Another
rule without text on both sides (an overline, an underline) is left alone.

The result is plain LaTeX that latex2mathml (the HTML) and Markdown readers understand; it says
what the text layer says, no more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence, Union

from docparse.engines.layout.params import (
    EQUATION_NUMBER_GAP_EM,
    FRACTION_CENTRE_SLACK_EM,
    FRACTION_REACH_EM,
    FRACTION_RULE_OVERLAP_EM,
    FRACTION_ROW_EM,
    SCRIPT_MAX_SIZE_SHARE,
    SCRIPT_MIN_SHIFT_SHARE,
    SPACE_GAP_EM,
)
from docparse.engines.layout.text import Line, Span
from docparse.geometry import BBox, union_box

Rule = tuple[float, float, float]  # (y, x0, x1) of a horizontal rule, as ``tables.split`` gives it

EQUATION_NUMBER = re.compile(r"^\(\s*(\d{1,3}(?:\.\d{1,3})?[a-z]?)\s*\)$")

_SYMBOLS = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "ϵ": r"\epsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta", "ι": r"\iota", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "σ": r"\sigma",
    "τ": r"\tau", "υ": r"\upsilon", "φ": r"\phi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
    "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "−": "-", "–": "-", "×": r"\times", "·": r"\cdot", "⋅": r"\cdot", "∗": "*", "÷": r"\div",
    "±": r"\pm", "∓": r"\mp", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx",
    "≡": r"\equiv", "∼": r"\sim", "∝": r"\propto", "∞": r"\infty", "∂": r"\partial", "∇": r"\nabla",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "√": r"\sqrt", "∈": r"\in", "∉": r"\notin",
    "⊂": r"\subset", "⊆": r"\subseteq", "∪": r"\cup", "∩": r"\cap", "∀": r"\forall", "∃": r"\exists",
    "→": r"\rightarrow", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto", "…": r"\ldots", "⋯": r"\cdots",
    "′": "'", "″": "''", "°": r"^{\circ}",
    "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "_": r"\_",
    "\\": r"\backslash", "^": r"\hat{}", "~": r"\sim",
}  # fmt: skip
_COMBINING_BAR = "¯"  # U+00AF, which TeX fonts' text layers print before the letter it bars


@dataclass
class FormulaText:
    latex: str
    equation_number: str | None  # "(1)" as printed, or None


@dataclass
class Built:
    """A piece of a row already in LaTeX (a fraction, a square root), standing where its parts stood."""

    latex: str
    bbox: BBox
    size: float  # the font size of its parts: it is base text, never a script

    @property
    def text(self) -> str:
        return self.latex


Piece = Union[Span, Built]


def formula_latex(lines: list[Line], rules: Sequence[Rule] = ()) -> FormulaText:
    """The LaTeX of a formula's lines (in reading order) and its equation number; ``rules``:
    horizontal rules drawn in the formula's box (fraction bars)."""
    rows = [list(ln.spans) for ln in sorted(lines, key=lambda ln: (ln.bbox[1], ln.bbox[0])) if ln.text.strip()]
    if any(_unmapped(ch) for ln in lines for ch in ln.text):
        return FormulaText("", None)  # glyphs without Unicode: no LaTeX is better than a wrong one
    number: str | None = None
    for i in range(len(rows) - 1, -1, -1):  # the number is on the last row, or a row of its own
        found, rest = _split_number(rows[i])
        if found is not None:
            number = found
            rows[i] = rest
            break
    rows = [r for r in rows if "".join(s.text for s in r).strip()]
    pieces_rows: list[list[Piece]] = list(rows)
    if rules:
        pieces_rows = _with_fractions(rows, rules)
    latex_rows = [_row_latex(r) for r in pieces_rows]
    latex_rows = [r for r in latex_rows if r]
    if len(latex_rows) > 1:
        latex = r"\begin{array}{c} " + r" \\ ".join(latex_rows) + r" \end{array}"
    else:
        latex = latex_rows[0] if latex_rows else ""
    return FormulaText(latex, number)


def _split_number(spans: list[Span]) -> tuple[str | None, list[Span]]:
    """An equation number ending the row: ("(1)", the spans before it) or (None, spans)."""
    text = "".join(s.text for s in spans)
    match = re.search(r"\(\s*\d{1,3}(?:\.\d{1,3})?[a-z]?\s*\)\s*$", text)
    if match is None:
        return None, spans
    before = text[: match.start()]
    if before.strip() and not before.endswith((" ", "\t")) and not _gap_before_last(spans, match.start()):
        return None, spans  # "f(1)": an argument, not a number set apart
    kept: list[Span] = []
    used = 0
    for span in spans:  # keep the text up to the match, span by span
        if used + len(span.text) <= match.start():
            kept.append(span)
        elif used < match.start():
            kept.append(replace(span, text=span.text[: match.start() - used]))
        used += len(span.text)
    return match.group(0).strip(), kept


def _gap_before_last(spans: list[Span], at: int) -> bool:
    """Whether the span holding character ``at`` starts there, well apart from the previous one."""
    used = 0
    for i, span in enumerate(spans):
        if used == at and i > 0:
            return span.bbox[0] - spans[i - 1].bbox[2] > EQUATION_NUMBER_GAP_EM * span.size
        used += len(span.text)
    return False


def _with_fractions(rows: list[list[Span]], rules: Sequence[Rule]) -> list[list[Piece]]:
    """The formula's pieces in rows again, the spans over and under each fraction rule built
    into one ``\\frac`` piece (the rows the text layer made cut through fractions: a numerator
    is often a row with the text left of the bar)."""
    pieces: list[Piece] = [s for row in rows for s in row if s.text.strip()]
    if not pieces:
        return []
    built_any = False
    for y, x0, x1 in sorted(rules, key=lambda r: r[2] - r[1]):  # narrowest first: nested fractions
        size = max(p.size for p in pieces)
        under = [p for p in pieces if _stands_on(p, y, x0, x1, size, above=False)]
        radical = _radical_before(pieces, y, x0, size)
        if radical is not None and under:  # the bar of a square root: "√" then a rule over the radicand
            body = _row_latex(_spaced(_in_x_order(under)))
            # its box starts at the bar: the radical sign's glyph box reaches above it
            box = union_box([p.bbox for p in under] + [(radical.bbox[0], y, x1, y)])
            rest = radical.text.rstrip()[:-1]
            pieces = [p for p in pieces if p is not radical and not any(p is q for q in under)]
            if rest.strip():
                pieces.append(replace(radical, text=rest, bbox=(radical.bbox[0], radical.bbox[1], x0 - size / 2, radical.bbox[3])))
            pieces.append(Built(latex=f"\\sqrt{{{body}}}", bbox=box, size=max(p.size for p in under)))
            built_any = True
            continue
        over = [p for p in pieces if _stands_on(p, y, x0, x1, size, above=True)]
        if not over or not under:
            continue  # an overline or an underline, not a fraction
        num, den = _row_latex(_spaced(_in_x_order(over))), _row_latex(_spaced(_in_x_order(under)))
        parts = over + under
        box = union_box([p.bbox for p in parts] + [(x0, y, x1, y)])
        built = Built(latex=f"\\frac{{{num}}}{{{den}}}", bbox=box, size=max(p.size for p in parts))
        pieces = [p for p in pieces if not any(p is q for q in parts)] + [built]
        built_any = True
    if not built_any:  # rules, but none of a fraction or a root: the rows as the text layer made them
        return list(rows)
    return _rows_of(pieces)


def _stands_on(piece: Piece, y: float, x0: float, x1: float, size: float, above: bool) -> bool:
    """Whether ``piece`` is part of the numerator (``above``) or denominator of the rule at ``y``
    from ``x0`` to ``x1``: within the rule's width, close to it, not crossing it."""
    px0, py0, px1, py1 = piece.bbox
    slack = FRACTION_CENTRE_SLACK_EM * size
    if not (x0 - slack <= (px0 + px1) / 2 <= x1 + slack):
        return False
    overlap = FRACTION_RULE_OVERLAP_EM * size  # glyph boxes reach a little past the ink
    reach = FRACTION_REACH_EM * size
    if above:
        return py1 <= y + overlap and y - (py0 + py1) / 2 <= reach
    return py0 >= y - overlap and (py0 + py1) / 2 - y <= reach


def _radical_before(pieces: list[Piece], y: float, x0: float, size: float) -> Span | None:
    """The span ending in a radical sign "√" whose right edge meets the rule starting at ``x0``
    (at the rule's height), or None."""
    for p in pieces:
        if isinstance(p, Span) and p.text.rstrip().endswith("√"):
            px0, py0, px1, py1 = p.bbox
            if abs(px1 - x0) <= FRACTION_CENTRE_SLACK_EM * size and py0 - FRACTION_RULE_OVERLAP_EM * size <= y <= py1:
                return p
    return None


def _in_x_order(pieces: list[Piece]) -> list[Piece]:
    return sorted(pieces, key=lambda p: p.bbox[0])


def _rows_of(pieces: list[Piece]) -> list[list[Piece]]:
    """Pieces grouped into rows by their vertical centre (a fraction stands on its bar, at the
    row's middle), each row in x order, rows top to bottom."""
    rows: list[list[Piece]] = []
    for piece in sorted(pieces, key=lambda p: (p.bbox[1] + p.bbox[3]) / 2):
        centre = (piece.bbox[1] + piece.bbox[3]) / 2
        if rows:
            last = rows[-1]
            last_centre = sum((p.bbox[1] + p.bbox[3]) / 2 for p in last) / len(last)
            if abs(centre - last_centre) <= FRACTION_ROW_EM * max(p.size for p in last):
                last.append(piece)
                continue
        rows.append([piece])
    return [_spaced(_in_x_order(r)) for r in rows]


def _spaced(row: list[Piece]) -> list[Piece]:
    """A row with a space between pieces that stand apart (the text layer's space spans were
    left out while the fractions were built)."""
    out: list[Piece] = []
    for piece in row:
        if out:
            prev = out[-1]
            if piece.bbox[0] - prev.bbox[2] > SPACE_GAP_EM * piece.size and not (prev.text.endswith(" ") or piece.text.startswith(" ")):
                out.append(Span(" ", (prev.bbox[2], piece.bbox[1], piece.bbox[0], piece.bbox[3]), "", piece.size, 0))
        out.append(piece)
    return out


def _row_latex(spans: Sequence[Piece]) -> str:
    letters = [s for s in spans if s.text.strip()]
    if not letters:
        return ""
    base_size = max(s.size for s in letters)
    base_spans = [s for s in letters if s.size >= SCRIPT_MAX_SIZE_SHARE * base_size]
    centres = sorted((s.bbox[1] + s.bbox[3]) / 2 for s in base_spans)
    centre = centres[len(centres) // 2]
    # (kind, text): "" for the base, "^" / "_" for scripts; neighbouring scripts of one kind
    # are one script ("t", "−", "1" -> p_{t-1}).
    # a built piece (a fraction) is LaTeX already: it stands alone, never escaped
    pieces: list[list] = []  # [kind, text, built]
    for span in spans:
        kind = ""
        shift = centre - (span.bbox[1] + span.bbox[3]) / 2  # > 0: set higher than the base
        if span.text.strip() and span.size < SCRIPT_MAX_SIZE_SHARE * base_size and abs(shift) > SCRIPT_MIN_SHIFT_SHARE * base_size:
            kind = "^" if shift > 0 else "_"
        built = isinstance(span, Built)
        if pieces and pieces[-1][0] == kind and not built and not pieces[-1][2]:
            pieces[-1][1] += span.text
        else:
            pieces.append([kind, span.text, built])
    out: list[str] = []
    escaper = _Escaper()
    for kind, text, built in pieces:
        if built:
            out.append(f" {text} ")
            continue
        body = escaper(text)
        if not kind:
            out.append(body)
            continue
        if out:
            out[-1] = out[-1].rstrip()  # a script binds to what precedes it
        out.append(f"{kind}{{{body.strip()}}}")
    return re.sub(r"\s+", " ", "".join(out)).strip()


class _Escaper:
    """Text -> LaTeX, with the state of a bar printed before its letter (possibly in the span
    before)."""

    def __init__(self) -> None:
        self.bar = False

    def __call__(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if ch == _COMBINING_BAR:
                self.bar = True
                continue
            piece = _SYMBOLS.get(ch, ch)
            if piece.startswith("\\") and piece[-1].isalpha():
                piece += " "  # "\lambda x", not "\lambdax"
            if self.bar and ch.strip():
                piece = rf"\bar{{{piece.strip()}}}"
                self.bar = False
            out.append(piece)
        return "".join(out)


def _unmapped(ch: str) -> bool:
    """A replacement or private-use character: a glyph the font does not map to Unicode."""
    return ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff"


def is_equation_number(text: str) -> bool:
    """A block that is only an equation number, "(1)"."""
    return bool(EQUATION_NUMBER.match(text.strip()))
