"""A one-column test page of display fractions and inline scripts: LaTeX source below,
compiled with pdflatex. The source is the ground truth (``tests/test_layout_fractions.py``
states what each formula and sentence must read as).

Run from anywhere (needs pdflatex with amsmath and lmodern):

    python tests/data/formulas/make_page.py

It rewrites ``fractions.tex``, ``fractions.pdf`` and ``fractions.json`` (the truth in reading
order, the form ``evaluation.groundtruth.read_reading_order_truth`` reads; ``benchmarks/quality.py``
scores it with the ``generated`` source) beside this script. CI has no LaTeX: the PDF is
committed, this script only regenerates it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SOURCE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2.5cm]{geometry}
\usepackage{lmodern}
\usepackage[T1]{fontenc}
\usepackage{amsmath}
\pagestyle{empty}
\begin{document}
\section*{Scores and rates}

A detector is judged by its precision and its recall, and the two are summarised by their
harmonic mean, the score used throughout this note:
\begin{equation}
F_1 = \frac{2PR}{P+R}
\end{equation}
A room of 12~m$^2$ holds about 30~m$^3$ of air, and every visitor breathes out some
CO$_2$ into it. The rate of change of the concentration follows a simple balance:
\begin{equation}
r = \frac{a+b}{c}
\end{equation}
The energy of the wave scales with the square of its amplitude, as $E \propto A^2$ and
$x^{n}$ grows quickly. Water, H$_2$O, takes part in both reactions.
\[
y = \frac{1}{x} + \frac{x}{2}
\]
\end{document}
"""


#: what the page says, in reading order (the paragraphs as printed: scripts in Unicode)
TRUTH = [
    {"kind": "heading", "text": "Scores and rates"},
    {"kind": "paragraph", "text": "A detector is judged by its precision and its recall, and the two are summarised by "
     "their harmonic mean, the score used throughout this note:"},
    {"kind": "formula", "latex": r"F_1 = \frac{2PR}{P+R}"},
    {"kind": "paragraph", "text": "A room of 12 m² holds about 30 m³ of air, and every visitor breathes out some CO₂ "
     "into it. The rate of change of the concentration follows a simple balance:"},
    {"kind": "formula", "latex": r"r = \frac{a+b}{c}"},
    {"kind": "paragraph", "text": "The energy of the wave scales with the square of its amplitude, as E ∝ A² and xⁿ "
     "grows quickly. Water, H₂O, takes part in both reactions."},
    {"kind": "formula", "latex": r"y = \frac{1}{x} + \frac{x}{2}"},
]


def main() -> int:
    if shutil.which("pdflatex") is None:
        print("pdflatex is not installed (see ../shared/reference/environment.md)", file=sys.stderr)
        return 1
    (HERE / "fractions.tex").write_text(SOURCE, encoding="utf-8")
    truth = {"source": "fractions.tex", "reading_order": TRUTH}
    (HERE / "fractions.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"-output-directory={tmp}", str(HERE / "fractions.tex")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.copyfile(Path(tmp) / "fractions.pdf", HERE / "fractions.pdf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
