"""The passes on real documents from ../shared/corpus (skipped when it is absent)."""

from pathlib import Path

import pytest

from docparse.document import Label
from docparse.passes import run_passes
from docparse.passes.furniture import furniture


@pytest.mark.slow
def test_furniture_pass_alone_finds_redbook_running_footers(corpus: Path) -> None:
    from docparse.api import convert

    pdf = corpus / "docling" / "redp5110_sampled.pdf"
    if not pdf.exists():
        pytest.skip(f"{pdf} is not present")
    doc = convert(pdf, pages="4-11", passes=False)
    # Forget the engine's own furniture labels: the pass must find them from repetition alone.
    engine_furniture = set()
    for page in doc.pages:
        for b in page.blocks:
            if b.is_furniture:
                engine_furniture.add(b.id)
                b.label, b.order = Label.PARAGRAPH, 0
    furniture(doc)
    found = {b.id for p in doc.pages for b in p.blocks if b.is_furniture}
    assert len(engine_furniture) >= 6  # one footer per page of this range
    assert found == engine_furniture
    run_passes(doc)
    assert not any("failed" in w for w in doc.warnings)
