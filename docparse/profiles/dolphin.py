"""Dolphin-v2 (ByteDance/Dolphin-v2, a Qwen2.5-VL-3B): layout first, then one request per element.

Stage 1 (``demo_page.py``): the page with ``Parse the reading order of this document.`` ->
``[x1,y1,x2,y2][label][tag]...`` elements joined by ``[PAIR_SEP]`` (``[RELATION_SEP]`` marks an
element that continues the previous one), boxes in pixels of the image the model saw.
Stage 2: each element cut from that image and read with the prompt of its kind (text, table,
formula, code); pictures are not sent. All crops of a page go out in one round, so an engine
batches them (and the crops of the other pages in flight). A layout that is not a bracketed list,
or whose boxes overlap heavily, means a distorted page: read whole with ``Read text in the image.``

Request: image *first*, no system message (template default), greedy, 4096 tokens. Images: PDF
pages rendered with the longest side 896 px (``convert_pdf_to_images``); a crop is scaled to a
longest side of at most 1600 px, a shortest of at least 28, then smart_resize (784..2,560,000).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from docparse.document import Label, ListItem
from docparse.errors import OptionsError
from docparse.geometry import PageSpace, iou
from docparse.profiles.base import Generation, ImageRule, PageContext, PageJob, Profile, PromptChoice, Reading, Request
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.markdown import clean_inline
from docparse.qwenvl.tables import read_table

PROMPT_LAYOUT = "Parse the reading order of this document."
PROMPT_TEXT = "Read text in the image."
PROMPT_TABLE = "Parse the table in the image."
PROMPT_FORMULA = "Read formula in the image."
PROMPT_CODE = "Read code in the image."
PAIR_SEP = "[PAIR_SEP]"
RELATION_SEP = "[RELATION_SEP]"
CROP_MAX_SIDE = 1600  # resize_img(max_size=1600)
CROP_MIN_SIDE = 28
CROP_PIXELS = (784, 2_560_000)
#: check_bbox_overlap: more than 25 % of the boxes overlapping another with IoU > 0.1 = distorted.
OVERLAP_IOU = 0.1
OVERLAP_SHARE = 0.25
_BOX = re.compile(r"\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")
_TOKEN = re.compile(r"\[([^\[\]]{1,40})\]")
_MAX_ELEMENTS = 2000


@dataclass
class Element:
    box: tuple[float, float, float, float]
    label: str
    tags: list[str] = field(default_factory=list)
    continues: bool = False  # joined to the previous element by [RELATION_SEP]


def parse_layout(raw: str, width_px: int, height_px: int) -> tuple[list[Element], bool]:
    """(elements in reading order, distorted). Accepts v2 ``[box][label][tag]`` and v1
    ``[box] label`` (0-1 coordinates are scaled to the image)."""
    text = (raw or "").strip()
    elements: list[Element] = []
    continues = False
    for part in re.split(r"(\[PAIR_SEP\]|\[RELATION_SEP\])", text):
        if part in (PAIR_SEP, RELATION_SEP):
            continues = part == RELATION_SEP
            continue
        match = _BOX.search(part)
        if not match:
            continue
        box = tuple(float(v) for v in match.groups())
        rest = part[match.end():]
        tokens = [t.strip() for t in _TOKEN.findall(rest) if t.strip()]
        if not tokens:  # v1: the label follows the box without brackets
            word = rest.strip().split()
            tokens = word[:1]
        label = tokens[0].lower() if tokens else "para"
        elements.append(Element(box, label, [t.lower() for t in tokens[1:]], continues))  # type: ignore[arg-type]
        continues = False
        if len(elements) >= _MAX_ELEMENTS:
            break
    if elements and all(max(e.box) <= 1.0 for e in elements):  # v1: normalised 0-1
        for e in elements:
            x0, y0, x1, y1 = e.box
            e.box = (x0 * width_px, y0 * height_px, x1 * width_px, y1 * height_px)
    distorted = not text.startswith("[") or not elements or _overlapping(elements)
    return elements, distorted


def _overlapping(elements: list[Element]) -> bool:
    boxes = [e.box for e in elements]
    if len(boxes) < 2:
        return False
    hit = sum(1 for i, a in enumerate(boxes) if any(iou(a, b) > OVERLAP_IOU for j, b in enumerate(boxes) if j != i))
    return hit / len(boxes) > OVERLAP_SHARE


def prompt_for(label: str) -> str | None:
    """Stage-2 prompt of an element label; None for pictures (not sent)."""
    if label == "fig":
        return None
    return {"tab": PROMPT_TABLE, "equ": PROMPT_FORMULA, "code": PROMPT_CODE}.get(label, PROMPT_TEXT)


def label_of(label: str, tags: list[str], first_heading: bool) -> tuple[Label, int | None]:
    """Dolphin's element label (+ tags) -> docparse label and heading level."""
    if "page_num" in tags:
        return Label.PAGE_NUMBER, None
    sec = re.fullmatch(r"sec_(\d)", label)
    if sec:
        level = int(sec.group(1)) + 1
        return (Label.TITLE, None) if level == 1 and first_heading else (Label.HEADING, level)
    simple = {
        "title": (Label.TITLE, None), "sec": (Label.HEADING, 1), "sub_sec": (Label.HEADING, 2),
        "sub_sub_sec": (Label.HEADING, 3), "para": (Label.PARAGRAPH, None), "half_para": (Label.PARAGRAPH, None),
        "list": (Label.LIST, None), "cap": (Label.CAPTION, None), "fnote": (Label.FOOTNOTE, None),
        "foot": (Label.FOOTER, None), "header": (Label.HEADER, None), "fig": (Label.IMAGE, None),
        "tab": (Label.TABLE, None), "equ": (Label.FORMULA, None), "code": (Label.CODE, None),
        "watermark": (Label.PARAGRAPH, None), "anno": (Label.PARAGRAPH, None),
    }
    return simple.get(label, (Label.PARAGRAPH, None))


_ROLES = {"author": "author", "paper_abstract": "abstract", "watermark": "watermark"}


def add_element(builder: BlockBuilder, label: str, tags: list[str], box, text: str,  # noqa: ANN001
                continues: bool = False, first_heading: bool = True) -> bool:
    """One element with its stage-2 answer as a block; True when a heading/title was added."""
    kind, level = label_of(label, tags, first_heading)
    meta: dict = {}
    role = _ROLES.get(label) or next((_ROLES[t] for t in tags if t in _ROLES), None)
    if role:
        meta["role"] = role
    if tags:
        meta["tags"] = list(tags)
    if continues and builder.blocks:
        meta["continues"] = builder.blocks[-1].id
    text = text or ""
    if kind == Label.TABLE:
        table = BeautifulSoup(text, "html.parser").find("table") if "<t" in text.lower() else None
        html, cells = read_table(table) if isinstance(table, Tag) else (None, clean_inline(text))
        builder.add(Label.TABLE, cells, px=box, html=html, meta=meta)
    elif kind == Label.FORMULA:
        latex = text.strip()
        if latex.startswith("$$") and latex.endswith("$$") and len(latex) > 4:
            latex = latex[2:-2].strip()
        builder.add(Label.FORMULA, latex, px=box, latex=latex or None, meta=meta)
    elif kind == Label.CODE:
        builder.add(Label.CODE, text.strip("\n"), px=box, meta=meta)
    elif kind == Label.IMAGE:
        builder.add(Label.IMAGE, "" if text.startswith("![") else clean_inline(text), px=box, meta=meta)
    elif kind == Label.LIST:
        lines = [clean_inline(line) for line in text.splitlines() if line.strip()]
        items = [ListItem(text=line) for line in lines]
        builder.add(Label.LIST, "\n".join(lines), px=box, items=items, meta=meta)
    else:
        clean = clean_inline(text)
        if not clean:
            return False
        builder.add(kind, clean, px=box, level=level, meta=meta)
        return kind in (Label.TITLE, Label.HEADING)
    return False


def read_dolphin_layout(raw: str, space: PageSpace, page_index: int = 0, source: str = "dolphin") -> Reading:
    """Stage 1 alone: blocks with boxes and labels, no text (what the page job starts from)."""
    builder = BlockBuilder(space, page_index, source)
    elements, distorted = parse_layout(raw, space.width_px, space.height_px)
    if distorted:
        builder.warnings.append("Dolphin layout is not a clean element list (distorted page)")
    for e in elements:
        kind, level = label_of(e.label, e.tags, True)
        builder.add(kind, "", px=e.box, level=level, meta={"tags": e.tags} if e.tags else {})
    return builder.reading()


def read_dolphin_page_json(raw: str, space: PageSpace, page_index: int = 0, source: str = "dolphin") -> Reading:
    """A Dolphin demo page JSON (``[{"label", "bbox", "text", "reading_order", "tags"?}]``, boxes
    in the page image's pixels; ``space`` is that image) -> blocks. Never raises."""
    from docparse.profiles.jsonish import as_box, loads_tolerant

    builder = BlockBuilder(space, page_index, source)
    value, _ = loads_tolerant(raw or "")
    items = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    items.sort(key=lambda v: v.get("reading_order") if isinstance(v.get("reading_order"), int) else 1 << 30)
    seen_heading = False
    for item in items:
        tags = [str(t).lower() for t in item.get("tags") or [] if isinstance(t, str)]
        text = item.get("text") if isinstance(item.get("text"), str) else ""
        added = add_element(builder, str(item.get("label") or "para").lower(), tags, as_box(item.get("bbox")),
                            text, first_heading=not seen_heading)
        seen_heading = seen_heading or added
    if not items and (raw or "").strip():
        builder.warnings.append("Dolphin page JSON could not be read")
    return builder.reading()


def dolphin_job(profile: Profile, ctx: PageContext, prompt: str | None = None) -> PageJob:
    from docparse.profiles.images import crop_pixels, fit_crop, render_for
    from docparse.profiles.jobs import ask_with_ladder, finish, raise_for_error

    start = time.perf_counter()
    image, space = render_for(profile.image, ctx.page, ctx.min_pixels, ctx.max_pixels)

    def request(text: str, im, kind: str) -> Request:  # noqa: ANN001
        return Request(prompt=text, image=im, system=profile.system, order=profile.order,
                       generation=profile.generation, kind=kind)

    layout, _ = yield from ask_with_ladder(request(profile.prompt(prompt).text, image, "layout"))
    raise_for_error(layout)
    elements, distorted = parse_layout(layout.text, space.width_px, space.height_px)
    builder = BlockBuilder(space, ctx.page.index, ctx.source)
    record: dict = {"layout": layout.text, "elements": []}
    if distorted:
        whole = (yield [request(PROMPT_TEXT, image, "text")])[0]
        raise_for_error(whole)
        builder.warnings.append("Dolphin layout unusable (distorted page): the page was read whole as text")
        from docparse.profiles.markdown import read_markdown

        read_markdown(whole.text, builder)
        record["page_text"] = whole.text
        reading = builder.reading()
        if ctx.align:
            from docparse.profiles.boxes import attach_boxes

            attach_boxes(reading, ctx.page)
        return finish(ctx, profile, reading, layout if layout.stop_reason != "eos" else whole,
                      space.width_px, space.height_px, start=start, raw=json.dumps(record, ensure_ascii=False))
    asks: list[Request] = []
    plan: list[tuple[Element, int | None]] = []
    skipped = 0
    for e in elements:
        text_prompt = prompt_for(e.label)
        crop = crop_pixels(image, e.box) if text_prompt else None
        if crop is not None:
            try:
                crop = fit_crop(crop, CROP_MAX_SIDE, CROP_MIN_SIDE, *CROP_PIXELS)
            except OptionsError:  # a sliver (aspect ratio over 200): nothing readable
                crop = None
        if text_prompt and crop is None:
            skipped += 1
        plan.append((e, len(asks) if crop is not None else None))
        if crop is not None:
            asks.append(request(text_prompt, crop, e.label))  # type: ignore[arg-type]
    replies = (yield asks) if asks else []
    seen_heading = False
    unfinished = 0
    for e, at in plan:
        reply = replies[at] if at is not None else None
        text = ""
        if reply is not None:
            if reply.error is None:
                text = reply.text
                unfinished += reply.stop_reason != "eos"
            else:
                builder.warnings.append(f"element {e.label} could not be read: {reply.error[:120]}")
        record["elements"].append({"label": e.label, "tags": e.tags, "box": list(e.box),
                                   "prompt": prompt_for(e.label), "answer": text})
        added = add_element(builder, e.label, e.tags, e.box, text, e.continues, first_heading=not seen_heading)
        seen_heading = seen_heading or added
    if skipped:
        builder.warnings.append(f"{skipped} Dolphin element(s) had no pixels to read and were left empty")
    if unfinished:
        builder.warnings.append(f"{unfinished} Dolphin element answer(s) stopped without their end token")
    reading = builder.reading()
    return finish(ctx, profile, reading, layout, space.width_px, space.height_px, start=start,
                  raw=json.dumps(record, ensure_ascii=False))


PROFILE = Profile(
    name="dolphin",
    checkpoints=("ByteDance/Dolphin-v2",),
    good_at="layout with boxes and reading order first, then each element read on its own crop: "
            "dense academic pages, tables with merged cells, formulas, code (OmniDocBench v1.5 89.8)",
    prompts=(PromptChoice("layout", PROMPT_LAYOUT, "stage 1 of demo_page.py (the only page prompt)"),),
    order="image-first",
    system=None,
    image=ImageRule(longest_side=896, min_pixels=784, max_pixels=2_560_000,
                    note="PDF pages with the longest side 896 px; crops <= 1600 px (demo_page.py)"),
    generation=Generation(temperature=0.0, max_tokens=4096),
    reader=read_dolphin_layout,
    has_boxes=True,
    job=dolphin_job,
    detect=("dolphin",),
)
