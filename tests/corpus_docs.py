"""Corpus documents the text-layer tests convert, and the text they are checked on."""

from __future__ import annotations

from pathlib import Path

import pytest

import docparse

TEXTBOOK = "mineru/ordinary_textbook_1d9a847603a5e37e379738316820850d.pdf"
REPORT = "mineru/research_report_1f978cd81fb7260c8f7644039ec2c054.pdf"
ARTICLE = "mineru/academic_literature_f7904bc37cc2e25c1e3e412978854b10.pdf"


def corpus_pdf(corpus: Path, name: str) -> Path:
    """``corpus / name``; the test is skipped when the corpus does not have it."""
    path = corpus / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


def all_text(doc: docparse.Document) -> str:
    """Every block's text, one block per line."""
    return "\n".join(b.text for p in doc.pages for b in p.blocks if b.text)
