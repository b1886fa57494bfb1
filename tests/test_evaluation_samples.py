"""Quality regression on samples/: docparse's layout engine must not score below today's values.

The samples' truth is their source (samples/*.truth.json), so these numbers are exact. When
docparse gets better, raise the floors here to the new values (benchmarks/quality.py --sources
samples --systems docparse prints them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.evaluation.evaluate import Summary, score_page
from docparse.evaluation.groundtruth import read_samples_truth
from docparse.evaluation.predictions import from_document
from docparse.evaluation.types import PageItems

REPO = Path(__file__).resolve().parents[1]

# Measured 2026-11-29 20:40 UTC (docparse layout engine; benchmarks/QUALITY.md has the run):
# text 0.000, order 0.000, TEDS 1.000, TEDS-S 1.000, layout P/R 1.00/1.00, headings 1.00/1.00,
# levels 1.00. Slack of about 0.01 for float noise and OCR jitter on scanned.pdf.
# Edit distances: lower is better (ceilings); everything else: higher is better (floors).
CEILINGS = {"text_edit": 0.01, "order_edit": 0.01}
FLOORS = {
    "teds": 0.99,
    "teds_s": 0.99,
    "layout_precision": 0.99,
    "layout_recall": 0.99,
    "heading_precision": 0.99,
    "heading_recall": 0.99,
    "level_recall": 0.99,
}


@pytest.fixture(scope="module")
def samples_summary() -> Summary:
    truths = sorted((REPO / "samples").glob("*.truth.json"))
    if not truths:
        pytest.skip("samples/*.truth.json not generated")
    import pymupdf4llm

    from docparse.api import convert
    from docparse.engines import create_engine
    from docparse.options import ConvertOptions

    # pymupdf4llm.use_layout(False) anywhere earlier in the session switches pymupdf's layout
    # model off for the whole process (docparse's engine included); measure with it on
    pymupdf4llm.use_layout(True)
    engine = create_engine(ConvertOptions.from_kwargs(engine="layout"))
    total = Summary()
    try:
        for path in truths:
            gt = read_samples_truth(path)
            pred = {p.page: p for p in from_document(convert(gt.pdf, engine=engine))}
            for gt_page in gt.pages:
                total.add(score_page(gt_page, pred.get(gt_page.page, PageItems(gt_page.page))))
    finally:
        engine.close()
    return total


def _values(s: Summary) -> dict[str, float | None]:
    layout = s.layout_total()
    return {
        "text_edit": s.text_edit(),
        "order_edit": s.order_edit(),
        "teds": s.teds(),
        "teds_s": s.teds_s(),
        "layout_precision": layout.precision if layout else None,
        "layout_recall": layout.recall if layout else None,
        "heading_precision": s.headings.precision,
        "heading_recall": s.headings.recall,
        "level_recall": s.levels.recall,
    }


@pytest.mark.slow
def test_samples_quality_does_not_drop(samples_summary: Summary) -> None:
    values = _values(samples_summary)
    assert samples_summary.pages >= 7
    worse = [f"{k} = {values[k]} > {v}" for k, v in CEILINGS.items()
             if values[k] is None or values[k] > v]
    worse += [f"{k} = {values[k]} < {v}" for k, v in FLOORS.items()
              if values[k] is None or values[k] < v]
    assert not worse, "quality on samples/ dropped: " + "; ".join(worse)
