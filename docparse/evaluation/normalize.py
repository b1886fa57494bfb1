"""Text normalisation before scoring, after OmniDocBench's end-to-end evaluation.

OmniDocBench turns inline LaTeX into Unicode (with pylatexenc) and then keeps only word characters
and CJK ideographs (``clean_string``), so spacing, punctuation and Markdown markup never count as
errors. pylatexenc is not a dependency here: ``latex_to_unicode`` covers the simple cases (Greek
letters, common operators, sub/superscript braces, font commands) and drops the rest of the markup.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Common LaTeX commands -> Unicode. Anything not listed loses its backslash name (its braced
# arguments are kept), which is what a reader of the rendered formula would type.
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "div": "÷", "leq": "≤", "le": "≤",
    "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "infty": "∞",
    "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "sqrt": "√",
    "rightarrow": "→", "to": "→", "leftarrow": "←", "Rightarrow": "⇒", "degree": "°",
    "circ": "°", "prime": "′", "in": "∈", "cdots": "⋯", "ldots": "…", "dots": "…",
    "%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}",
}
_CMD = re.compile(r"\\([A-Za-z]+|[%&_#${}])")
_INLINE_MATH = re.compile(r"\$\$?(.+?)\$\$?", re.S)
_KEEP = re.compile(r"[^\w\u4e00-\u9fff]")  # OmniDocBench clean_string: \w and CJK only


def latex_to_unicode(tex: str) -> str:
    """Simple LaTeX markup -> Unicode text: ``$5 \\mu g$`` -> ``5 μ g``."""

    def command(m: re.Match[str]) -> str:
        return _SYMBOLS.get(m.group(1), "")

    out = _CMD.sub(command, tex)
    return out.replace("^", "").replace("{", "").replace("}", "").replace("~", " ")


def strip_inline_math(text: str) -> str:
    """Replace every ``$…$`` (and ``$$…$$``) in running text with its Unicode rendering."""
    return _INLINE_MATH.sub(lambda m: latex_to_unicode(m.group(1)), text)


def strip_markup(text: str) -> str:
    """Remove HTML tags and entities (tables, <sup>, <br>) so only the words remain."""
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(text)


def clean_string(text: str) -> str:
    """OmniDocBench's ``clean_string``: drop literal \\n/\\t escapes, keep only \\w and CJK."""
    for esc in ("\\t", "\\n", "/t", "/n"):
        text = text.replace(esc, "")
    return _KEEP.sub("", text)


def normalize_text(text: str) -> str:
    """The form two texts are compared in: NFKC, inline LaTeX as Unicode, only \\w and CJK."""
    text = unicodedata.normalize("NFKC", text or "")
    text = strip_markup(strip_inline_math(text))
    text = latex_to_unicode(text) if "\\" in text else text
    return clean_string(text)


def normalize_formula(latex: str) -> str:
    """OmniDocBench's formula edit-distance form: no font/spacing commands, no spaces, lowercase;
    here also one-character scripts without braces (``x_{1}`` = ``x_1``), as TeX reads them, and
    ``\\dfrac``/``\\tfrac`` as ``\\frac``."""
    s = latex or ""
    s = re.sub(r"\\tag\{[^}]*\}", "", s)
    s = re.sub(r"\\(?:begin|end)\{[^}]*\}", "", s)
    s = re.sub(r"\\hspace\{[^}]*\}", "", s)
    s = re.sub(
        r"\\(?:mathbf|mathrm|mathit|mathbb|mathcal|text|boldsymbol|operatorname|left|right|"
        r"displaystyle|quad)\b",
        "",
        s,
    )
    s = s.replace("$$", "").replace("\\[", "").replace("\\]", "")
    s = re.sub(r"\\[dt]frac\b", r"\\frac", s)
    s = re.sub(r"\\[,;:!](?![A-Za-z])", "", s)  # thin and medium spaces
    s = re.sub(r"\s+", "", s)
    s = re.sub(r"([_^])\{([^{}\\])\}", r"\1\2", s)
    return s.lower()
