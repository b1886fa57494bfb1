"""A damaged PDF MuPDF repairs (issue 13, item 9): its repair messages become warnings, and pages
whose content did not survive are partial, so the document is partial, not "ok" and empty."""

from __future__ import annotations

from pathlib import Path

import pytest

import docparse

pytest.importorskip("pymupdf")

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "article.pdf"


@pytest.mark.parametrize("share", [0.4, 0.8])
def test_truncated_pdf_is_partial_and_says_why(tmp_path: Path, share: float) -> None:
    data = SAMPLE.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: int(len(data) * share)])
    doc = docparse.convert(cut)
    assert doc.status == "partial"
    assert any(w.startswith("damaged PDF repaired by MuPDF") and "startxref" in w for w in doc.warnings)
    damaged = [p for p in doc.pages if any("content lost in the damaged PDF" in w for w in p.warnings)]
    assert damaged and all(p.status.value == "partial" for p in damaged)


def test_intact_pdf_has_no_repair_warnings() -> None:
    doc = docparse.convert(SAMPLE)
    assert doc.status == "ok"
    assert not [w for w in doc.warnings if "damaged" in w]
    assert not [w for p in doc.pages for w in p.warnings if "damaged" in w]
