"""The one table that maps QwenVL HTML tags and classes onto ``Label`` (Qwen2.5-VL dialect).

Reader and writer both read this module, so what one writes the other reads back.

How an element is read is its *kind* (which content to take: text, list items, table cells,
display math ...); what it is called is its ``Label``. Qwen2.5-VL has no tag for headers,
footers, page numbers, footnotes, code or free-standing captions: the writer marks those with a
``data-label`` attribute (a docparse hint, never written by the model), and the reader honours it.
"""

from __future__ import annotations

from dataclasses import dataclass

from docparse.document import Block, Label

# Element kinds: how the reader takes the content of an element.
TEXT = "text"  # p, address, blockquote ...: whitespace-collapsed text
HEADING = "heading"  # h1..h6
LIST = "list"  # ol / ul with li items
TABLE = "table"  # table: sanitized html + cell text
CHART = "chart"  # div.chart: img + optional table
FORMULA = "formula"  # div.formula: img + $$latex$$
IMAGE = "image"  # div.image / img: no text
IMAGE_CAPTION = "image_caption"  # div.image caption: an image block and a caption block
IMAGE_OCR = "image_ocr"  # div.image ocr: an image block with its text
MUSIC = "music"  # div.music sheet: abc notation, newlines kept
CHEMISTRY = "chemistry"  # div.chemical formula: SMILES
CONTAINER = "container"  # html, body, section ...: read the children one by one
IGNORED = "ignored"  # style, script, head ...: skipped with their content, no warning


@dataclass(frozen=True)
class Rule:
    label: Label
    kind: str


#: Elements recognised by tag name alone.
TAG_RULES: dict[str, Rule] = {
    **{f"h{n}": Rule(Label.HEADING, HEADING) for n in range(1, 7)},
    "p": Rule(Label.PARAGRAPH, TEXT),
    "address": Rule(Label.PARAGRAPH, TEXT),  # <address class="author"> (meta role=author)
    "blockquote": Rule(Label.PARAGRAPH, TEXT),
    "ol": Rule(Label.LIST, LIST),
    "ul": Rule(Label.LIST, LIST),
    "table": Rule(Label.TABLE, TABLE),
    "img": Rule(Label.IMAGE, IMAGE),
    "figure": Rule(Label.IMAGE, IMAGE),
    "pre": Rule(Label.CODE, TEXT),
    "header": Rule(Label.HEADER, TEXT),
    "footer": Rule(Label.FOOTER, TEXT),
}

#: ``div`` elements by their set of class tokens. A token like ``formula.machine_printed`` counts
#: as ``formula`` (the variant is kept in ``Block.meta["variant"]``).
DIV_CLASS_RULES: dict[frozenset[str], Rule] = {
    frozenset({"chart"}): Rule(Label.CHART, CHART),
    frozenset({"formula"}): Rule(Label.FORMULA, FORMULA),
    frozenset({"image"}): Rule(Label.IMAGE, IMAGE),
    frozenset({"image", "caption"}): Rule(Label.IMAGE, IMAGE_CAPTION),
    frozenset({"image", "ocr"}): Rule(Label.IMAGE, IMAGE_OCR),
    frozenset({"music", "sheet"}): Rule(Label.MUSIC, MUSIC),
    frozenset({"chemical", "formula"}): Rule(Label.CHEMISTRY, CHEMISTRY),
}

#: Read child by child (a ``div`` without class is a container when it holds block elements).
CONTAINER_TAGS = frozenset({"html", "body", "main", "section", "article", "div"})

#: Skipped with everything inside (their text is not page content).
IGNORED_TAGS = frozenset(
    {
        "style", "script", "head", "title", "meta", "link", "base", "noscript", "template",
        "iframe", "object", "embed", "svg", "canvas", "audio", "video", "br", "hr", "wbr",
        "input", "button", "select", "textarea", "form",
    }
)  # fmt: skip

#: Tags whose content starts on a new line when text is taken from an element.
BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "ol", "ul", "table", "thead", "tbody", "tfoot", "tr", "address",
        "blockquote", "pre", "header", "footer", "section", "article", "main", "figure",
        "figcaption", "caption", "img", *(f"h{n}" for n in range(1, 7)),
    }
)  # fmt: skip

#: Every tag name the reader treats as markup; any other ``<word`` in model output is text
#: (``$x<y$`` in LaTeX must not open an element).
KNOWN_TAGS = frozenset(
    set(TAG_RULES) | CONTAINER_TAGS | IGNORED_TAGS | BLOCK_TAGS
    | {
        "th", "td", "colgroup", "col", "b", "i", "u", "s", "em", "strong", "sub", "sup", "small",
        "mark", "code", "a", "del", "ins", "font", "label", "nav", "aside", "dl", "dt", "dd",
        "math", "abbr", "cite", "q", "tt", "big", "kbd", "var", "samp", "figcaption", "span",
        "center",
    }
)  # fmt: skip

#: Labels written as ``<p>`` with a ``data-label`` hint (the dialect has no element for them).
HINTED_LABELS = frozenset(
    {Label.HEADER, Label.FOOTER, Label.PAGE_NUMBER, Label.FOOTNOTE, Label.CODE, Label.CAPTION}
)

#: Labels whose text keeps its line breaks (code, abc notation, SMILES lines).
VERBATIM_LABELS = frozenset({Label.CODE, Label.MUSIC, Label.CHEMISTRY})

#: Labels a free-standing caption can belong to.
CAPTIONED_LABELS = frozenset({Label.IMAGE, Label.TABLE, Label.CHART, Label.FORMULA, Label.CODE})


def link_neighbour_captions(blocks: list[Block]) -> None:
    """A caption not yet linked belongs to the captioned block just before it, else just after it."""
    for i, block in enumerate(blocks):
        if block.label != Label.CAPTION or block.caption_for is not None:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(blocks) and blocks[j].label in CAPTIONED_LABELS:
                block.caption_for = blocks[j].id
                break


#: ``format`` attribute values (Qwen's spelling) and ``Block.format`` values (docparse's).
MUSIC_FORMAT = ("abc notation", "abc")
CHEMISTRY_FORMAT = ("smile", "smiles")

#: An ``h1`` whose top lies in this upper fraction of the page, before any other heading, is the
#: page title (Qwen2.5-VL writes titles as h1 or h2; only h1 is taken as a title).
TITLE_TOP_FRACTION = 0.3


def class_tokens(classes: list[str] | str | None) -> tuple[frozenset[str], str | None]:
    """Normalised class tokens and the variant of a dotted token (``formula.handwritten``)."""
    if classes is None:
        return frozenset(), None
    if isinstance(classes, str):
        classes = classes.split()
    tokens: set[str] = set()
    variant = None
    for cls in classes:
        cls = cls.strip().lower()
        if not cls:
            continue
        if "." in cls:
            cls, variant = cls.split(".", 1)
        tokens.add(cls)
    return frozenset(tokens), variant


def rule_for(tag: str, classes: frozenset[str]) -> Rule | None:
    """The rule for an element, or None when the element is unknown."""
    if tag == "div" and classes:
        return DIV_CLASS_RULES.get(classes)
    return TAG_RULES.get(tag)


def is_title_position(seen_heading: bool, top_px: float | None, height_px: float) -> bool:
    """Whether an ``h1`` is read as the page title (shared by reader and writer)."""
    if seen_heading:
        return False
    return top_px is None or top_px < TITLE_TOP_FRACTION * height_px


def hint_label(value: str | None) -> Label | None:
    """The label of a ``data-label`` hint, or None when absent or not a label."""
    if not value:
        return None
    try:
        return Label(value.strip().lower())
    except ValueError:
        return None
