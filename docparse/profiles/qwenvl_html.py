"""Base Qwen2.5-VL's QwenVL HTML (the default): HTML with ``data-bbox`` on every element.

The prompts, system prompts and reader are ``docparse.qwenvl`` (see ``qwenvl/prompts.py`` for
why ``'QwenVL HTML '`` with ``You are a helpful assistant`` is the default); this module only
states them as a profile. Text comes before the image (the cookbook's order).
"""

from __future__ import annotations

from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, Profile, PromptChoice, Reading
from docparse.qwenvl.prompts import PROMPTS


def read_qwenvl_html(raw: str, space: PageSpace, page_index: int = 0, source: str = "vlm") -> Reading:
    from docparse.qwenvl.reader import read_qwenvl

    result = read_qwenvl(raw or "", space, page_index=page_index, source=source)
    return Reading(blocks=result.blocks, warnings=list(result.warnings), truncated=result.truncated)


_CHOICES = tuple(
    PromptChoice(p.name.replace("qwenvl-html", "").strip("-") or "cookbook", p.user, p.description, system=p.system)
    for p in PROMPTS.values()
)

PROFILE = Profile(
    name="qwenvl-html",
    checkpoints=("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen/Qwen2.5-VL-7B-Instruct", "Qwen/Qwen2.5-VL-32B-Instruct",
                 "Qwen/Qwen2.5-VL-72B-Instruct"),
    good_at="every block with a box in one pass: headings, lists, tables, charts, formulas, pictures "
            "with captions, music and chemistry; the base models' own document format",
    prompts=_CHOICES,
    order="text-first",
    system=_CHOICES[0].system,
    image=ImageRule(note="docparse's page size (--dpi, --min-pixels, --max-pixels)"),
    generation=Generation(temperature=0.0, max_tokens=8192, repetition_penalty=1.05),
    reader=read_qwenvl_html,
    has_boxes=True,
    detect=("qwen2.5-vl", "qwen2_5_vl", "qwen2.5vl"),
)
