"""Nanonets-OCR-s / Nanonets-OCR2-3B: Markdown with semantic tags.

Request (olmOCR-bench's runners and Pterodactylus/Nanonets-OCR ``batch_ocr.py``): system
``You are a helpful assistant.``, one user turn with the image *first*, then the prompt; greedy,
4096 new tokens. Image: olmOCR-bench renders pages with the longest side 1024 px for OCR-s (there
is no official rule; OCR2's runner uses a shortest side of 1280 instead).

Answer: Markdown; tables HTML; LaTeX ``$ $``/``$$ $$``; ``<img>description</img>`` pictures,
``<watermark>``, ``<page_number>``, ``<signature>``; check boxes ☐ ☑ ☒ (kept in the text);
Mermaid code for flowcharts (OCR2). No boxes.
"""

from __future__ import annotations

from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, Profile, PromptChoice, Reading
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.markdown import MarkdownDialect, read_markdown

PROMPT = (
    "Extract the text from the above document as if you were reading it naturally. Return the tables in "
    "html format. Return the equations in LaTeX representation. If there is an image in the document and "
    "image caption is not present, add a small description of the image inside the <img></img> tag; "
    "otherwise, add the image caption inside <img></img>. Watermarks should be wrapped in brackets. "
    "Ex: <watermark>OFFICIAL COPY</watermark>. Page numbers should be wrapped in brackets. "
    "Ex: <page_number>14</page_number> or <page_number>9/22</page_number>. "
    "Prefer using \u2610 and \u2611 for check boxes."
)
PROMPT_DOCEXT = (
    "Extract the text from the above document as if you were reading it naturally. Return the tables in "
    "html format. Watermarks should be wrapped in brackets. Ex: <watermark>OFFICIAL COPY</watermark>. "
    "Page numbers should be wrapped in brackets. Ex: <page_number>14</page_number> or "
    "<page_number>9/22</page_number>. Prefer using \u2610 and \u2611 for check boxes."
)
DIALECT = MarkdownDialect(semantic_tags=True)


def read_nanonets(raw: str, space: PageSpace, page_index: int = 0, source: str = "nanonets") -> Reading:
    builder = BlockBuilder(space, page_index, source)
    read_markdown(raw or "", builder, DIALECT)
    return builder.reading()


PROFILE = Profile(
    name="nanonets",
    checkpoints=("nanonets/Nanonets-OCR-s", "nanonets/Nanonets-OCR2-3B"),
    good_at="forms, handwriting, check boxes, watermarks, signatures and picture descriptions; "
            "HTML tables and LaTeX (OmniDocBench v1.5 85.6 for OCR-s); 3B, so fast",
    prompts=(
        PromptChoice("full", PROMPT, "the prompt of both checkpoints' published callers (tables, "
                     "equations, <img> descriptions, watermarks, page numbers, check boxes)"),
        PromptChoice("docext", PROMPT_DOCEXT, "Nanonets' docext app: no equation or <img> sentence"),
    ),
    order="image-first",
    system="You are a helpful assistant.",
    image=ImageRule(longest_side=1024, note="longest side 1024 px (olmOCR-bench's Nanonets-OCR-s runner)"),
    generation=Generation(temperature=0.0, max_tokens=4096),
    reader=read_nanonets,
    has_boxes=False,
    detect=("nanonets",),
)
