"""RolmOCR (reducto/RolmOCR): plain text / light Markdown, no front matter, no boxes.

Request (model card usage code, olmOCR-bench ``run_rolmocr.py``): one user turn, the image
*first*, then ``Return the plain text representation of this document as if you were reading it
naturally.\\n``; no system turn (the template's default); temperature 0.2, 4096 tokens; pages
rendered with the longest side 1024 px. The answer is olmOCR-mix-0225 style: Markdown tables,
LaTeX, headers and footers left out.
"""

from __future__ import annotations

from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, Profile, PromptChoice, Reading
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.markdown import read_markdown

PROMPT = "Return the plain text representation of this document as if you were reading it naturally.\n"


def read_rolmocr(raw: str, space: PageSpace, page_index: int = 0, source: str = "rolmocr") -> Reading:
    builder = BlockBuilder(space, page_index, source)
    read_markdown(raw or "", builder)
    return builder.reading()


PROFILE = Profile(
    name="rolmocr",
    checkpoints=("reducto/RolmOCR",),
    good_at="fast whole-page plain text in reading order (olmOCR's data without the PDF-text anchor); "
            "robust to rotated scans",
    prompts=(PromptChoice("default", PROMPT, "the only published prompt (model card, olmOCR-bench)"),),
    order="image-first",
    system=None,
    image=ImageRule(longest_side=1024, note="longest side 1024 px (olmOCR-bench's runner)"),
    generation=Generation(temperature=0.2, max_tokens=4096),
    reader=read_rolmocr,
    has_boxes=False,
    detect=("rolmocr",),
)
