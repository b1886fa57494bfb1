"""MonkeyOCR (echo840/MonkeyOCR, the Qwen2.5-VL-3B recognizer): one request per layout region.

MonkeyOCR's own pipeline finds regions with DocLayout-YOLO and orders them with LayoutReader;
here the regions, labels and reading order come from docparse's layout engine, and the model
reads each region's crop (``batch_analyze_llm.py``): text-like regions with ``Please output the
text content from the image.``, tables with the HTML table prompt, display formulas with the
LaTeX one; pictures, headers, footers and page numbers are not sent (their layout text stays).
A crop is pasted onto a white canvas 50 px larger on every side. Image first, no system turn;
temperature 0 with repetition_penalty 1.05 (the LMDeploy backend), 4096 new tokens.

Answers: text as Markdown, maybe inside ``<md>…</md>``; tables as HTML, maybe in a
```` ```html ```` fence; formulas LaTeX, maybe inside ``$$…$$``.
"""

from __future__ import annotations

import json
import re
import time

from bs4 import BeautifulSoup, Tag

from docparse.document import FURNITURE_LABELS, Block, Label, ListItem
from docparse.errors import EngineError, OptionsError
from docparse.profiles.base import Generation, ImageRule, PageContext, PageJob, Profile, PromptChoice, Reading, Request
from docparse.profiles.markdown import clean_inline
from docparse.qwenvl.tables import read_table

PROMPT_TEXT = "Please output the text content from the image."
PROMPT_FORMULA = "Please write out the expression of the formula in the image using LaTeX format."
PROMPT_TABLE_HTML = "This is the image of a table. Please output the table in html format."
CROP_PAD = 50  # crop_img(crop_paste_x=50, crop_paste_y=50)
TEXT_LABELS = frozenset({Label.TITLE, Label.HEADING, Label.PARAGRAPH, Label.CAPTION, Label.FOOTNOTE,
                         Label.LIST, Label.CODE})
_MD = re.compile(r"<md>(.*?)(?:</md>|$)", re.S)
_FENCE = re.compile(r"```(?:html)?\s*(.*?)(?:```|$)", re.S)


def prompt_for(label: Label) -> str | None:
    if label == Label.TABLE:
        return PROMPT_TABLE_HTML
    if label == Label.FORMULA:
        return PROMPT_FORMULA
    if label in TEXT_LABELS:
        return PROMPT_TEXT
    return None  # pictures, charts, furniture: not sent


def read_text_answer(raw: str) -> str:
    """The reader's rule: keep the ``<md>`` span, drop the tags and a leading ``md`` line."""
    text = raw or ""
    found = _MD.search(text)
    if found:
        text = found.group(1)
    text = re.sub(r"^\s*md\s*\n", "", text)
    return text.strip()


def read_formula_answer(raw: str) -> str:
    text = (raw or "").strip()
    for open_, close in (("$$", "$$"), ("\\[", "\\]")):
        if text.startswith(open_) and text.endswith(close) and len(text) > len(open_) + len(close):
            return text[len(open_):-len(close)].strip()
    return text


def read_table_answer(raw: str) -> tuple[str | None, str]:
    text = raw or ""
    fenced = _FENCE.search(text)
    if fenced and "<t" in fenced.group(1).lower():
        text = fenced.group(1)
    table = BeautifulSoup(text, "html.parser").find("table") if "<t" in text.lower() else None
    if isinstance(table, Tag):
        return read_table(table)
    return None, clean_inline(text)


def apply_answer(block: Block, raw: str) -> bool:
    """Put one crop's answer into its layout block; False when the answer was empty (the layout
    text stays)."""
    if block.label == Label.TABLE:
        html, text = read_table_answer(raw)
        if html is None and not text:
            return False
        block.html, block.text = html or block.html, text or block.text
    elif block.label == Label.FORMULA:
        latex = read_formula_answer(raw)
        if not latex:
            return False
        block.latex, block.text = latex, latex
    else:
        text = read_text_answer(raw)
        if block.label != Label.CODE:
            text = clean_inline(text)
        if not text:
            return False
        if block.label == Label.LIST:
            lines = [re.sub(r"^\s*([-*+•]|\d{1,3}[.)])\s+", "", line).strip() for line in text.splitlines()]
            block.items = [ListItem(text=line) for line in lines if line]
            text = "\n".join(item.text for item in block.items)
        elif block.label in (Label.TITLE, Label.HEADING):
            text = " ".join(re.sub(r"^#{1,6}\s+", "", text).split())
        block.text = text
    block.meta["recognized_by"] = "monkeyocr"
    return True


def read_monkeyocr(raw: str, space, page_index: int = 0, source: str = "monkeyocr") -> Reading:  # noqa: ANN001
    """One text crop's answer as a paragraph (the page job reads crops into layout blocks)."""
    from docparse.profiles.blocks import BlockBuilder

    builder = BlockBuilder(space, page_index, source)
    text = clean_inline(read_text_answer(raw))
    if text:
        builder.add(Label.PARAGRAPH, text)
    return builder.reading()


def monkeyocr_job(profile: Profile, ctx: PageContext, prompt: str | None = None) -> PageJob:
    from docparse.profiles.images import crop_pixels, fit_crop, render_for
    from docparse.profiles.jobs import finish
    from docparse.profiles.base import Reply

    if ctx.layout is None:
        raise EngineError("the monkeyocr profile needs the layout engine for its regions")
    start = time.perf_counter()
    layout = ctx.layout(ctx.page)
    image, space = render_for(profile.image, ctx.page, ctx.min_pixels, ctx.max_pixels)
    blocks = list(layout.blocks)
    asks: list[Request] = []
    targets: list[Block] = []
    for block in blocks:
        block.source = ctx.source
        block.meta["bbox"] = "layout"
        text_prompt = prompt_for(block.label)
        if text_prompt is None:
            continue
        crop = crop_pixels(image, space.to_pixels(block.bbox, rounded=False), pad=CROP_PAD)
        if crop is None:
            continue
        try:
            crop = fit_crop(crop, max_side=10**6, min_side=28, min_pixels=3136, max_pixels=12_845_056)
        except OptionsError:
            continue
        asks.append(Request(prompt=text_prompt, image=crop, system=profile.system, order=profile.order,
                            generation=profile.generation, kind=block.label.value))
        targets.append(block)
    replies = (yield asks) if asks else []
    warnings = list(layout.warnings)
    kept = unfinished = 0
    record = []
    for block, reply in zip(targets, replies):
        if reply.error is not None:
            warnings.append(f"region {block.id} could not be read: {reply.error[:120]}")
            continue
        unfinished += reply.stop_reason != "eos"
        record.append({"block": block.id, "label": block.label.value, "answer": reply.text})
        if not apply_answer(block, reply.text):
            kept += 1
    if kept:
        warnings.append(f"{kept} region(s) got an empty answer and kept the layout engine's text")
    if unfinished:
        warnings.append(f"{unfinished} region answer(s) stopped without their end token")
    reading = Reading(blocks=blocks, warnings=warnings)
    summary = Reply(text="", stop_reason="eos")
    out = finish(ctx, profile, reading, summary, space.width_px, space.height_px, start=start,
                 raw=json.dumps(record, ensure_ascii=False))
    out.meta["furniture_from_layout"] = sum(1 for b in blocks if b.label in FURNITURE_LABELS)
    return out


PROFILE = Profile(
    name="monkeyocr",
    checkpoints=("echo840/MonkeyOCR (Recognition/ = MonkeyOCR-3B)", "echo840/MonkeyOCR-pro-3B"),
    good_at="regions from docparse's layout engine, each crop read by the recognizer: Chinese and "
            "English text, HTML tables and LaTeX formulas with layout boxes",
    prompts=(PromptChoice("html-tables", PROMPT_TEXT, "batch_analyze_llm.py: the page pipeline's prompts "
                          "(HTML tables); text prompt shown, tables and formulas get theirs"),),
    order="image-first",
    system=None,
    image=ImageRule(note="crops of docparse's page render (--dpi), on a 50 px white margin"),
    generation=Generation(temperature=0.0, max_tokens=4096, repetition_penalty=1.05),
    reader=read_monkeyocr,
    has_boxes=True,
    job=monkeyocr_job,
    detect=("monkeyocr",),
)
