"""LaTeX formulas as MathML, offline: latex2mathml (small, pure Python) converts, the MathML
allowlist sanitizer (``render.sanitize.sanitize_mathml``) rebuilds what it wrote.

LaTeX comes from PDFs and models, so it is untrusted: a conversion that fails, takes input past
the size cap, or leaves nothing after sanitizing gives None, and the renderer shows the escaped
LaTeX instead. Browsers render MathML natively (MathML Core); no script, no CDN.
"""

from __future__ import annotations

import functools

from docparse.render.sanitize import sanitize_mathml

#: Longest LaTeX converted (characters). A display formula is rarely past 1000; longer input is
#: more likely a misread block, and the converter's time grows with it.
MAX_LATEX_CHARS = 4000


@functools.lru_cache(maxsize=512)
def latex_to_mathml(latex: str, display: bool = True) -> str | None:
    """Sanitized ``<math>`` markup for ``latex``, or None when it cannot be converted."""
    latex = latex.strip()
    if not latex or len(latex) > MAX_LATEX_CHARS:
        return None
    try:
        from latex2mathml.converter import convert
    except ImportError:  # an install without it still renders formulas, as LaTeX text
        return None
    try:
        markup = convert(latex, display="block" if display else "inline")
    except Exception:  # the converter's errors on malformed LaTeX are many and untyped (and
        return None  # RecursionError on deeply nested braces)
    return sanitize_mathml(markup) or None
