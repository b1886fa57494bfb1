"""dots.ocr (rednote-hilab/dots.ocr): a JSON list of ``{bbox, category, text}`` in reading order.

Another architecture (its own vision encoder and a 1.7B LLM), so only the remote engine serves
it (``vllm serve rednote-hilab/dots.ocr``). Request (``dots_ocr/model/inference.py``): one user
turn, the image *first*, then the prompt prefixed with the literal ``<|img|><|imgpad|><|endofimg|>``
(the client's workaround for a newline vLLM would insert); no system turn; temperature 0.1,
top_p 1.0, 16384 tokens; PDFs at 200 dpi, 3,136..11,289,600 pixels.

Answer: ``[{"bbox": [x1, y1, x2, y2], "category": ..., "text": ...}, ...]`` with boxes in pixels
of the resized input; Picture without text; Table text is HTML, Formula LaTeX, the rest
Markdown. A cut-off answer keeps its complete cells. ``--prompt ocr`` (plain text) is read as
Markdown.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from docparse.document import Label, ListItem
from docparse.geometry import PageSpace
from docparse.profiles.base import Generation, ImageRule, Profile, PromptChoice, Reading
from docparse.profiles.blocks import BlockBuilder
from docparse.profiles.jsonish import as_box, loads_tolerant
from docparse.profiles.markdown import clean_inline, read_markdown
from docparse.qwenvl.tables import read_table
from docparse.patterns import DOTSOCR_LIST_MARKER, DOTSOCR_PAGE_NUMBER

PROMPT_LAYOUT_ALL = (
    "Please output the layout information from the PDF image, including each layout element's bbox, its "
    "category, and the corresponding text content within the bbox.\n"
    "\n"
    "1. Bbox format: [x1, y1, x2, y2]\n"
    "\n"
    "2. Layout Categories: The possible categories are ['Caption', 'Footnote', 'Formula', 'List-item', "
    "'Page-footer', 'Page-header', 'Picture', 'Section-header', 'Table', 'Text', 'Title'].\n"
    "\n"
    "3. Text Extraction & Formatting Rules:\n"
    "    - Picture: For the 'Picture' category, the text field should be omitted.\n"
    "    - Formula: Format its text as LaTeX.\n"
    "    - Table: Format its text as HTML.\n"
    "    - All Others (Text, Title, etc.): Format their text as Markdown.\n"
    "\n"
    "4. Constraints:\n"
    "    - The output text must be the original text from the image, with no translation.\n"
    "    - All layout elements must be sorted according to human reading order.\n"
    "\n"
    "5. Final Output: The entire output must be a single JSON object.\n"
)
PROMPT_LAYOUT_ONLY = (
    "Please output the layout information from this PDF image, including each layout's bbox and its category. "
    "The bbox should be in the format [x1, y1, x2, y2]. The layout categories for the PDF document include "
    "['Caption', 'Footnote', 'Formula', 'List-item', 'Page-footer', 'Page-header', 'Picture', 'Section-header', "
    "'Table', 'Text', 'Title']. Do not output the corresponding text. The layout result should be in JSON format."
)
PROMPT_OCR = "Extract the text content from this image."
PREFIX = "<|img|><|imgpad|><|endofimg|>"

CATEGORIES: dict[str, Label] = {
    "caption": Label.CAPTION,
    "footnote": Label.FOOTNOTE,
    "formula": Label.FORMULA,
    "list-item": Label.LIST,
    "page-footer": Label.FOOTER,
    "page-header": Label.HEADER,
    "picture": Label.IMAGE,
    "section-header": Label.HEADING,
    "table": Label.TABLE,
    "text": Label.PARAGRAPH,
    "title": Label.TITLE,
}
_HASHES = re.compile(r"^(#{1,6})\s+")


def read_dotsocr(raw: str, space: PageSpace, page_index: int = 0, source: str = "dotsocr") -> Reading:
    builder = BlockBuilder(space, page_index, source)
    value, salvaged = loads_tolerant(raw or "")
    cells = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
    if cells is None:
        if (raw or "").strip():  # the plain-text OCR prompt, or an answer that is not JSON
            if (raw or "").lstrip().startswith(("[", "{")):
                builder.warnings.append("dots.ocr answer is not readable JSON: read as text")
            read_markdown(raw, builder)
        return builder.reading()
    if salvaged:
        builder.warnings.append("dots.ocr answer is cut off or not valid JSON: the complete cells were kept")
    unknown: set[str] = set()
    pending_items: list[tuple[ListItem, tuple]] = []

    def flush_list() -> None:
        if not pending_items:
            return
        boxes = [box for _, box in pending_items]
        union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        items = [item for item, _ in pending_items]
        builder.add(Label.LIST, "\n".join(i.text for i in items), px=union, items=items)
        pending_items.clear()

    for cell in cells:
        if not isinstance(cell, dict):
            continue
        box = as_box(cell.get("bbox"))
        category = str(cell.get("category") or "Text").strip()
        label = CATEGORIES.get(category.lower())
        if label is None:
            unknown.add(category[:30])
            label = Label.PARAGRAPH
        text = cell.get("text")
        text = text if isinstance(text, str) else ""
        if label == Label.LIST and box is not None:
            pt = builder.space.to_points(box)
            marker = DOTSOCR_LIST_MARKER.match(text.strip())
            body = text.strip()[marker.end():] if marker else text
            pending_items.append((ListItem(text=clean_inline(body), bbox=pt,
                                           marker=marker.group(1) if marker else None), box))
            continue
        flush_list()
        _add_cell(builder, label, text, box)
    flush_list()
    if unknown:
        builder.warnings.append(f"unknown dots.ocr categories read as paragraphs: {', '.join(sorted(unknown))}")
    return builder.reading(truncated=salvaged)


def _add_cell(builder: BlockBuilder, label: Label, text: str, box: tuple | None) -> None:
    if label == Label.TABLE:
        table = BeautifulSoup(text, "html.parser").find("table") if "<t" in text.lower() else None
        if isinstance(table, Tag):
            html, cells = read_table(table)
            builder.add(Label.TABLE, cells, px=box, html=html)
        elif text.strip():
            builder.add(Label.TABLE, clean_inline(text), px=box)
        return
    if label == Label.FORMULA:
        latex = text.strip()
        for open_, close in (("$$", "$$"), ("\\[", "\\]"), ("$", "$")):
            if latex.startswith(open_) and latex.endswith(close) and len(latex) > len(open_) + len(close):
                latex = latex[len(open_):-len(close)].strip()
                break
        builder.add(Label.FORMULA, latex, px=box, latex=latex or None)
        return
    if label == Label.IMAGE:
        builder.add(Label.IMAGE, clean_inline(text), px=box)
        return
    level = None
    hashes = _HASHES.match(text.strip())
    clean = clean_inline(_HASHES.sub("", text.strip()))
    if not clean:
        return
    if label == Label.HEADING:
        level = len(hashes.group(1)) if hashes else 2
    if label in (Label.FOOTER, Label.HEADER) and DOTSOCR_PAGE_NUMBER.match(clean):
        label = Label.PAGE_NUMBER
    builder.add(label, " ".join(clean.split()) if label != Label.PARAGRAPH else clean, px=box, level=level)


PROFILE = Profile(
    name="dotsocr",
    checkpoints=("rednote-hilab/dots.ocr",),
    good_at="layout, reading order and text in one pass with a box and a category per element; "
            "multilingual; tables HTML, formulas LaTeX (remote engine only: another architecture)",
    prompts=(
        PromptChoice("layout-all", PROMPT_LAYOUT_ALL, "dots.ocr's parser default: boxes, categories and text"),
        PromptChoice("layout-only", PROMPT_LAYOUT_ONLY, "boxes and categories, no text"),
        PromptChoice("ocr", PROMPT_OCR, "plain text of the page (headers and footers skipped)"),
    ),
    order="image-first",
    system=None,
    image=ImageRule(dpi=200, min_pixels=3136, max_pixels=11_289_600,
                    note="200 dpi, 3,136..11,289,600 pixels (dots_ocr/utils/consts.py)"),
    generation=Generation(temperature=0.1, top_p=1.0, max_tokens=16384),
    reader=read_dotsocr,
    has_boxes=True,
    remote_only=True,
    detect=("dots.ocr", "dots_ocr", "dotsocr", "dots.mocr"),
    prompt_prefix=PREFIX,
)
