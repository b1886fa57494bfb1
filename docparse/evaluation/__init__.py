"""Quality evaluation after OmniDocBench: predictions and ground truth -> text, order, table,
layout and heading scores. Pure Python (``apted`` for TEDS); never imports torch.

    from docparse.evaluation import read_samples_truth, from_document, score_page
    gt = read_samples_truth("samples/article.truth.json")
    pred = from_document(docparse.convert(gt.pdf))
    score = score_page(gt.pages[0], pred[0])      # .text, .order, .tables, .layout, .headings

``benchmarks/quality.py`` runs it over the shared corpus and writes benchmarks/QUALITY.md.
"""

from docparse.evaluation.evaluate import PageScore, Summary, score_page
from docparse.evaluation.groundtruth import (
    read_docling_json,
    read_markdown,
    read_omnidocbench,
    read_samples_truth,
)
from docparse.evaluation.groundtruth_cvat import read_cvat
from docparse.evaluation.metrics import (
    levenshtein,
    normalized_edit_distance,
    reading_order_distance,
    teds,
)
from docparse.evaluation.normalize import normalize_text
from docparse.evaluation.predictions import from_document, from_markdown, from_pymupdf4llm_chunks
from docparse.evaluation.types import GTDocument, Item, PageItems

__all__ = [
    "GTDocument", "Item", "PageItems", "PageScore", "Summary",
    "from_document", "from_markdown", "from_pymupdf4llm_chunks",
    "levenshtein", "normalize_text", "normalized_edit_distance", "reading_order_distance",
    "read_cvat", "read_docling_json", "read_markdown", "read_omnidocbench", "read_samples_truth",
    "score_page", "teds",
]
