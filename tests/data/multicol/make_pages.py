"""Three-column test pages: LaTeX source written from the content below, compiled with
pdflatex, and the ground truth (headings, paragraphs in reading order, formulas, table cells)
written from the same content, so the source is the ground truth.

Run from anywhere (needs pdflatex with multicol, multirow, booktabs, amsmath, lmodern):

    python tests/data/multicol/make_pages.py

It rewrites ``<name>.tex``, ``<name>.pdf`` and ``<name>.json`` beside this script. CI has no
LaTeX: the PDFs are committed, this script only regenerates them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A page is a list of parts; each part is ("columns", items) set in three columns with
# ``multicols``, or a full-width item ("title", text) / ("abstract", text) / ("table", table).
# Column items: ("section", text), ("para", text), ("equation", latex), ("table", table).
# A table: {"header": [...], "rows": [[cell, ...], ...]} where a cell ("^", n) in the first
# column spans n rows (``\multirow``) and None is a position covered by a span above.

STREETS = {
    "name": "streets",
    "columnsep": "1cm",
    "fonts": "lmodern",
    "parts": [
        ("columns", [
            ("section", "Why streets overheat"),
            ("para", "Paved streets absorb most of the sunlight that reaches them during a summer afternoon. "
                     "Dark asphalt keeps that energy near the surface and releases it slowly after sunset, "
                     "so a dense neighbourhood can stay several degrees warmer than the fields around the town. "
                     "Residents notice the difference most on still nights, when bedrooms fail to cool down."),
            ("para", "Buildings make the effect stronger because narrow canyons trap the radiation that bounces "
                     "between facades. Cars, air conditioners and kitchens add their own waste heat, and the "
                     "missing vegetation removes the evaporation that would otherwise carry energy away. "
                     "Measurements from rooftop stations confirm the pattern across many different climates."),
            ("section", "Measuring the surface"),
            ("para", "Volunteers carried handheld thermometers along fixed routes every evening for six weeks. "
                     "Each route crossed a market square, a residential lane, a riverside promenade and a "
                     "park, which gave comparable readings for open, shaded and planted ground. Infrared "
                     "photographs taken from a bridge helped to check the manual readings against each other."),
            ("para", "The warmest readings came from a car park beside the station, where the pavement stayed "
                     "above body temperature until midnight. The coolest came from a lawn under old chestnut "
                     "trees, only two hundred metres away, which shows how local the problem really is."),
            ("section", "A simple model"),
            ("para", "The heat that a square metre of street gives off can be estimated from the difference "
                     "between its surface temperature and the air above it. A single transfer coefficient "
                     "summarises wind, roughness and moisture in one number:"),
            ("equation", r"Q = h \, A \, (T_s - T_a)"),
            ("para", "Here the coefficient grows with wind speed, the area is the exposed pavement and the two "
                     "temperatures come from the evening walks. Small changes to the surface therefore change "
                     "the released heat in direct proportion, which makes the model easy to explain at public "
                     "meetings and easy to check with a thermometer."),
            ("section", "Results by district"),
            ("para", "The table compares the cooling gained by two interventions in each district, in degrees "
                     "Celsius at nine in the evening, averaged over all dry days of the campaign."),
            ("table", {"header": ["Site", "Measure", "Gain"],
                       "rows": [[("^", 2, "Harbour"), "coatings", "1.8"],
                                [None, "trees", "2.6"],
                                [("^", 2, "Old town"), "fountains", "0.7"],
                                [None, "awnings", "1.2"],
                                [("^", 2, "Station"), "coatings", "2.1"],
                                [None, "trees", "3.4"]]}),
            ("para", "Trees gave the largest gain everywhere, although they take years to grow. Reflective "
                     "coatings act at once and cost little, so the council plans to paint the station car park "
                     "first while new trees are planted along the harbour road."),
            ("section", "What comes next"),
            ("para", "A second campaign next summer will repeat the walks after the first streets have been "
                     "treated. Schools along the routes have offered to lend their weather stations, which will "
                     "add continuous records to the evening snapshots and show how quickly each surface cools."),
            ("para", "Anyone who wants to take part can borrow a thermometer from the public library and "
                     "follow one of the printed route maps. Every reading helps to decide where the next "
                     "trees should go and which streets need lighter paving most urgently."),
        ]),
    ],
}

FERRY = {
    "name": "ferry",
    "columnsep": "0.6cm",
    "fonts": "mathptmx",
    "parts": [
        ("title", "Tides and the River Ferry Timetable"),
        ("abstract", "A ferry that crosses a tidal river cannot keep a fixed timetable without wasting fuel. "
                     "We describe how the crossing time depends on the current and propose a schedule that "
                     "follows the tide."),
        ("columns", [
            ("section", "The crossing"),
            ("para", "The ferry links the fishing village on the northern bank with the railway halt on the "
                     "southern bank, a distance of eight hundred metres at high water. Twice a day the ebb "
                     "current runs at almost three knots in the middle of the channel, and the skipper must "
                     "steer upstream to land at the right slipway."),
            ("para", "Passengers have complained for years that the published timetable promises ten minute "
                     "crossings that take twice as long on a spring ebb. Missed trains are the most common "
                     "reason given in the letters collected by the parish council."),
            ("section", "Current and speed"),
            ("para", "The speed over the ground follows from the speed through the water and the component of "
                     "the current along the course. For a boat that crabs across a steady stream the crossing "
                     "time is"),
            ("equation", r"t = \frac{d}{\sqrt{v^2 - c^2}}"),
            ("para", "where the distance is the width of the river, the first speed belongs to the boat and the "
                     "second to the current. The formula explains why the delay grows so sharply when the "
                     "current approaches the speed of the ferry."),
            ("section", "Observed crossings"),
            ("para", "The skipper logged every crossing for a month together with the state of the tide. The "
                     "table lists typical durations in minutes for each direction."),
            ("table", {"header": ["Tide", "Way", "Minutes"],
                       "rows": [[("^", 2, "Flood"), "north", "11"],
                                [None, "south", "12"],
                                [("^", 2, "Ebb"), "north", "19"],
                                [None, "south", "17"]]}),
            ("para", "Slack water gave the shortest crossings of all, close to the promised ten minutes, while "
                     "strong winds against the tide added a few minutes more than the current alone explains."),
        ]),
        ("table", {"header": ["Departure", "Spring tide", "Neap tide", "Fuel per day"],
                   "rows": [["Fixed hourly", "7 late", "2 late", "410 litres"],
                            ["Tide following", "1 late", "0 late", "330 litres"],
                            ["Demand only", "3 late", "1 late", "290 litres"]]}),
        ("columns", [
            ("section", "A schedule that follows the tide"),
            ("para", "Instead of leaving on the hour the ferry could leave at fixed intervals after high water, "
                     "published a week ahead together with the tide tables. Trains would still be met because "
                     "the railway timetable changes only twice a year."),
            ("para", "The comparison above shows that a tide following schedule nearly removes late arrivals "
                     "and saves fuel as well, since the engine no longer fights the strongest current."),
            ("section", "Conclusion"),
            ("para", "A timetable that moves with the tide is easy to print, easy to follow and cheaper to run. "
                     "The parish council will try it during the coming winter season."),
        ]),
    ],
}

PAGES = [STREETS, FERRY]

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage[T1]{fontenc}
\usepackage{%(fonts)s}
\usepackage{multicol}
\usepackage{multirow}
\usepackage{booktabs}
\usepackage{amsmath}
\pagestyle{empty}
"""


def _cell(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, tuple):
        _, n, text = cell
        return rf"\multirow{{{n}}}{{*}}{{{text}}}"
    return str(cell)


def _table_tex(table: dict) -> str:
    cols = "l" * (len(table["header"]) - 1) + "r"
    rows = [" & ".join(table["header"]) + r" \\", r"\midrule"]
    for row in table["rows"]:
        rows.append(" & ".join(_cell(c) for c in row) + r" \\")
    body = "\n".join(rows)
    return f"\\begin{{center}}\n\\begin{{tabular}}{{{cols}}}\n\\toprule\n{body}\n\\bottomrule\n\\end{{tabular}}\n\\end{{center}}\n"


def page_tex(page: dict) -> str:
    out = [PREAMBLE % {"fonts": page["fonts"]}, rf"\setlength{{\columnsep}}{{{page['columnsep']}}}", r"\begin{document}"]
    for kind, value in page["parts"]:
        if kind == "title":
            out.append(rf"\begin{{center}}{{\LARGE\bfseries {value}\par}}\end{{center}}")
        elif kind == "abstract":
            out.append(rf"\begin{{quote}}\small {value}\end{{quote}}")
        elif kind == "table":
            out.append(_table_tex(value))
        elif kind == "columns":
            out.append(r"\begin{multicols}{3}")
            for item, text in value:
                if item == "section":
                    out.append(rf"\section{{{text}}}")
                elif item == "para":
                    out.append(text + "\n")
                elif item == "equation":
                    out.append(rf"\begin{{equation}}{text}\end{{equation}}")
                elif item == "table":
                    out.append(_table_tex(text))
            out.append(r"\end{multicols}")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _table_truth(table: dict) -> dict:
    """Cells as {row, col, rowspan, text}; row 0 is the header."""
    cells = [{"row": 0, "col": k, "rowspan": 1, "text": t} for k, t in enumerate(table["header"])]
    for r, row in enumerate(table["rows"], start=1):
        for k, c in enumerate(row):
            if c is None:
                continue
            if isinstance(c, tuple):
                cells.append({"row": r, "col": k, "rowspan": c[1], "text": c[2]})
            else:
                cells.append({"row": r, "col": k, "rowspan": 1, "text": c})
    return {"n_rows": len(table["rows"]) + 1, "n_cols": len(table["header"]), "cells": cells}


def page_truth(page: dict) -> dict:
    """What a reader must get back: the body in reading order, one entry a block."""
    order: list[dict] = []
    section = 0
    for kind, value in page["parts"]:
        if kind == "columns":
            for item, text in value:
                if item == "section":
                    section += 1
                    order.append({"kind": "heading", "text": f"{section} {text}"})
                elif item == "para":
                    order.append({"kind": "paragraph", "text": text})
                elif item == "equation":
                    order.append({"kind": "formula", "latex": text})
                elif item == "table":
                    order.append({"kind": "table", **_table_truth(text)})
        elif kind == "table":
            order.append({"kind": "table", **_table_truth(value)})
        else:
            order.append({"kind": "title" if kind == "title" else "paragraph", "text": value})
    return {"source": f"{page['name']}.tex", "columns": 3, "columnsep": page["columnsep"], "fonts": page["fonts"], "reading_order": order}


def main() -> int:
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: install texlive-latex-extra (multicol, multirow, booktabs) and lmodern", file=sys.stderr)
        return 1
    for page in PAGES:
        name = page["name"]
        tex = page_tex(page)
        (HERE / f"{name}.tex").write_text(tex, encoding="utf-8")
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / f"{name}.tex").write_text(tex, encoding="utf-8")
            done = subprocess.run(
                ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                cwd=tmp, capture_output=True, text=True,
            )
            if done.returncode != 0:
                print(done.stdout[-2000:], file=sys.stderr)
                return 1
            shutil.copy(Path(tmp) / f"{name}.pdf", HERE / f"{name}.pdf")
        truth = page_truth(page)
        (HERE / f"{name}.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {name}.tex, {name}.pdf ({(HERE / f'{name}.pdf').stat().st_size // 1024} KB), {name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
