"""Boxes for dialects without boxes: each block's text aligned to the page's words.

The alignment itself is ``docparse.verify.align`` (one module, shared with the hybrid checks);
this adapter only applies its result: a block whose text aligns well enough gets the box of its
words and ``meta["bbox"] = "aligned"`` (with the score); a block that aligns nowhere keeps the
whole-page box and ``meta["bbox"] = "none"``. Pages without a text layer use Tesseract's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docparse.document import Label
from docparse.profiles.base import Reading

if TYPE_CHECKING:  # pragma: no cover
    from docparse.engines.base import PageInput

#: Below this agreement (1 - normalised edit distance of letters/digits) the words found are
#: not the block's: a box drawn around them would be a guess.
MIN_ALIGN_SCORE = 0.5
#: Picture descriptions are the model's words, not the page's: nothing to align.
_NOT_ON_PAGE = frozenset({Label.IMAGE})


def page_words(page: "PageInput"):  # noqa: ANN201 - PageWords | None
    """The page's words: its text layer, or Tesseract's when it has none (None when neither)."""
    try:
        from docparse.verify.align import ocr_words, text_layer_words
    except ImportError:  # pragma: no cover - the verify package ships with docparse
        return None
    if page.doc is None:
        return None
    try:
        if page.has_text_layer:
            return text_layer_words(page.page)
        if page.options.get("ocr", "auto") == "never":
            return None
        return ocr_words(page.page, page.options.get("ocr_language", "eng"))
    except Exception:  # noqa: BLE001 - no words is no boxes, never a lost page
        return None


def attach_boxes(reading: Reading, page: "PageInput") -> int:
    """Give ``reading``'s unboxed blocks the box of their words on ``page`` (in place); returns
    how many got one."""
    todo = [b for b in reading.blocks if b.meta.get("bbox") == "none" and b.label not in _NOT_ON_PAGE and b.text]
    if not todo:
        return 0
    words = page_words(page)
    if words is None or not words.tokens:
        reading.warnings.append(f"{len(todo)} block(s) without a box: the page has no words to align them to")
        return 0
    from docparse.verify.align import align_page

    found = 0
    for block, al in zip(todo, align_page([(b.text, None) for b in todo], words)):
        if al.bbox is None or al.score < MIN_ALIGN_SCORE:
            continue
        block.bbox = tuple(float(v) for v in al.bbox)  # type: ignore[assignment]
        block.meta["bbox"] = "aligned"
        block.meta["align_score"] = round(float(al.score), 3)
        found += 1
    if found < len(todo):
        reading.warnings.append(f"{len(todo) - found} of {len(todo)} block(s) could not be aligned to the "
                                f"page's {words.source} words: they keep the whole page as their box")
    return found
