"""Base Qwen2.5-VL's text-spotting JSON mode: one box per text line.

Request (Qwen2.5-VL cookbook ``ocr.ipynb``): system ``You are a helpful assistant.``, the
prompt *before* the image, the processor's own pixel limits; greedy. Answer: a ```` ```json ````
list of ``{"bbox_2d": [x1, y1, x2, y2], "text_content": "..."}``, boxes in pixels of the resized
input, often with trailing commas (not JSON; read tolerantly). Each line becomes a paragraph
block with its box; the document passes join lines into paragraphs as for any engine.
"""

from __future__ import annotations

from docparse.document import Label
from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, Profile, PromptChoice, Reading
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.jsonish import as_box, loads_tolerant

PROMPT = "Spotting all the text in the image with line-level, and output in JSON format."


def read_spotting(raw: str, space: PageSpace, page_index: int = 0, source: str = "qwen-spotting") -> Reading:
    builder = BlockBuilder(space, page_index, source)
    value, salvaged = loads_tolerant(raw or "")
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    skipped = 0
    for item in items:
        if not isinstance(item, dict):
            skipped += 1
            continue
        text = item.get("text_content", item.get("text"))
        box = as_box(item.get("bbox_2d", item.get("bbox")))
        if not isinstance(text, str) or not text.strip():
            skipped += 1
            continue
        builder.add(Label.PARAGRAPH, " ".join(text.split()), px=box, meta={"line": True})
    if value is None and (raw or "").strip():
        builder.warnings.append("text-spotting answer is not JSON: nothing could be read")
    if salvaged:
        builder.warnings.append("text-spotting answer is not a complete JSON list: the complete items were kept")
    if skipped:
        builder.warnings.append(f"{skipped} text-spotting item(s) without text were skipped")
    return builder.reading(truncated=salvaged)


PROFILE = Profile(
    name="qwen-spotting",
    checkpoints=("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct", "Qwen/Qwen2.5-VL-72B-Instruct"),
    good_at="line-level text with a box per line on receipts, signs, photos and forms "
            "(any language Qwen2.5-VL reads); no structure",
    prompts=(PromptChoice("lines", PROMPT, "the cookbook's text-spotting prompt (line level, JSON)"),),
    order="text-first",
    system="You are a helpful assistant.",
    image=ImageRule(note="docparse's page size (the processor's limits apply)"),
    generation=Generation(temperature=0.0, max_tokens=4096, repetition_penalty=1.05),
    reader=read_spotting,
    has_boxes=True,
)
