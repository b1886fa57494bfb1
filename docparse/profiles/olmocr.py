"""olmOCR-2 (allenai/olmOCR-2-7B-1025): YAML front matter + natural-text Markdown.

Request (olmocr pipeline ``build_page_query``, v0.4 training configs): one user turn, the v4
prompt *before* the image, no system message (the chat template's default system turn), the page
rendered with its longest side 1288 px, ``max_tokens`` 8000, temperature 0.1 and, when the answer
stops without its end token, again at 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0 (``TEMPERATURE_BY_ATTEMPT``).

Answer: ``---`` front matter (``primary_language, is_rotation_valid, rotation_correction,
is_table, is_diagram``; Python-style ``True/False/None``) then Markdown: ``\\( \\)``/``\\[ \\]``
math, HTML tables (v4; Markdown with the older v3 prompt), figures as
``![alt](page_startx_starty_width_height.png)``. The front matter goes into the page meta; an
answer that says ``is_rotation_valid: False`` makes the page job render the page turned by
``rotation_correction`` and ask again (as olmocr's ``process_page`` does).
"""

from __future__ import annotations

import re
import time
from typing import Any

from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, PageContext, PageJob, Profile, PromptChoice, Reading
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.markdown import MarkdownDialect, read_markdown

PROMPT_V4 = (
    "Attached is one page of a document that you must process. Just return the plain text representation "
    "of this document as if you were reading it naturally. Convert equations to LateX and tables to HTML.\n"
    "If there are any figures or charts, label them with the following markdown syntax "
    "![Alt text describing the contents of the figure](page_startx_starty_width_height.png)\n"
    "Return your output as markdown, with a front matter section on top specifying values for the "
    "primary_language, is_rotation_valid, rotation_correction, is_table, and is_diagram parameters."
)
PROMPT_V3 = (
    "Attached is one page of a document that you must process. Just return the plain text representation "
    "of this document as if you were reading it naturally. Convert equations to LateX and tables to markdown.\n"
    "Return your output as markdown, with a front matter section on top specifying values for the "
    "primary_language, is_rotation_valid, rotation_correction, is_table, and is_diagram parameters."
)

FIELDS = ("primary_language", "is_rotation_valid", "rotation_correction", "is_table", "is_diagram")
_BOOL_FIELDS = ("is_rotation_valid", "is_table", "is_diagram")
ROTATIONS = (90, 180, 270)
#: Rotation retries per page: olmocr keeps turning the page within its 8 attempts; one turn
#: fixes a sideways scan, a second only helps when the first guess was wrong.
MAX_ROTATION_RETRIES = 2
DIALECT = MarkdownDialect(figure_placeholders=True)


def split_front_matter(raw: str) -> tuple[dict[str, Any], str, list[str]]:
    """(fields, natural text, warnings). Tolerant: no front matter, an unclosed one, unknown or
    missing fields and odd values are warnings, never errors."""
    text = raw.lstrip("\ufeff").strip()
    warnings: list[str] = []
    if not text.startswith("---"):
        if text:
            warnings.append("olmOCR answer has no front matter: read as Markdown")
        return {}, text, warnings
    end = re.search(r"\n---[ \t]*(\n|$)", text[3:])
    if end is None:
        head, body = text[3:], ""
        warnings.append("olmOCR front matter is not closed: the answer was cut off")
    else:
        head, body = text[3:3 + end.start()], text[3 + end.end():]
    fields: dict[str, Any] = {}
    for line in head.splitlines():
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        if key not in FIELDS:
            warnings.append(f"olmOCR front matter: unknown field {key[:40]!r} ignored")
            continue
        fields[key] = _value(key, value)
    missing = [f for f in FIELDS if f not in fields]
    if missing and end is not None:
        warnings.append(f"olmOCR front matter lacks {', '.join(missing)}")
    return fields, body.strip(), warnings


def _value(key: str, value: str) -> Any:
    low = value.strip().strip("'\"").lower()
    if low in ("none", "null", "~", ""):
        return None
    if key in _BOOL_FIELDS:
        return {"true": True, "false": False}.get(low)
    if key == "rotation_correction":
        return int(low) if low.isdigit() else None
    # primary_language: a two-letter code. olmocr's YAML reader turns "no" (Norwegian) into a
    # boolean and then None; the code is what the model meant, so it is kept.
    return value.strip().strip("'\"")[:16]


def read_olmocr(raw: str, space: PageSpace, page_index: int = 0, source: str = "olmocr") -> Reading:
    """Front matter into page meta, the natural text into blocks (no boxes). Never raises."""
    builder = BlockBuilder(space, page_index, source)
    fields, body, warnings = split_front_matter(raw or "")
    builder.warnings.extend(warnings)
    read_markdown(body, builder, DIALECT)
    meta = {"front_matter": fields} if fields else {}
    return builder.reading(meta=meta)


def rotation_needed(reading: Reading) -> int | None:
    """The clockwise turn the answer asks for (90/180/270) when it says the page is not upright."""
    fields = reading.meta.get("front_matter") or {}
    if fields.get("is_rotation_valid") is False and fields.get("rotation_correction") in ROTATIONS:
        return int(fields["rotation_correction"])
    return None


def olmocr_job(profile: Profile, ctx: PageContext, prompt: str | None = None) -> PageJob:
    """Ask (with the ladder); when the page is said to be turned, turn it and ask again."""
    from PIL import Image

    from docparse.profiles.images import render_for
    from docparse.profiles.jobs import ask_with_ladder, finish, page_request, raise_for_error, read_safely

    start = time.perf_counter()
    upright, space = render_for(profile.image, ctx.page, ctx.min_pixels, ctx.max_pixels)
    image, rotation, total_attempts = upright, 0, 0
    for turn in range(MAX_ROTATION_RETRIES + 1):
        reply, attempts = yield from ask_with_ladder(page_request(profile, ctx, prompt, image))
        total_attempts += attempts
        raise_for_error(reply)
        seen = PageSpace(space.width_pt, space.height_pt, image.width, image.height)
        reading = read_safely(profile, reply.text, seen, ctx)
        correction = rotation_needed(reading)
        if correction is None or turn == MAX_ROTATION_RETRIES:
            break
        # Cumulative, with PIL's transposes, as olmocr's process_page does.
        rotation = (rotation + correction) % 360
        transpose = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                     270: Image.Transpose.ROTATE_270}.get(rotation)
        image = upright if transpose is None else upright.transpose(transpose)
    if rotation:
        reading.meta["rotation"] = rotation
        reading.warnings.append(f"olmOCR said the page is turned: read again rotated by {rotation}°")
        for block in reading.blocks:  # placeholder boxes are in the turned image: not page boxes
            if block.meta.get("bbox") == "placeholder":
                block.bbox = (0.0, 0.0, float(space.width_pt), float(space.height_pt))
                block.meta["bbox"] = "none"
    return finish(ctx, profile, reading, reply, image.width, image.height, total_attempts, start)


PROFILE = Profile(
    name="olmocr",
    checkpoints=("allenai/olmOCR-2-7B-1025", "allenai/olmOCR-2-7B-1025-FP8",
                 "allenai/olmOCR-7B-0825 (--prompt v3)", "allenai/olmOCR-7B-0725 (--prompt v3)"),
    good_at="English prose, scientific papers with math, old scans and tables (olmOCR-bench 82.4); "
            "reading order without furniture; flags rotated pages",
    prompts=(
        PromptChoice("v4", PROMPT_V4, "olmOCR-2's training and pipeline prompt (HTML tables, figure lines)"),
        PromptChoice("v3", PROMPT_V3, "olmOCR-7B-0725/0825: Markdown tables, no figure line"),
    ),
    order="text-first",
    system=None,
    image=ImageRule(longest_side=1288, min_pixels=3136, max_pixels=12_845_056,
                    note="longest side 1288 px (olmocr --target_longest_image_dim)"),
    generation=Generation(temperature=0.1, max_tokens=8000, ladder=(0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0)),
    reader=read_olmocr,
    has_boxes=False,
    job=olmocr_job,
    detect=("olmocr",),
)
