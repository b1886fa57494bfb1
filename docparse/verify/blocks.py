"""Verify one model block against the page's words and repair it where they disagree.

The model keeps the structure (label, order, table layout, LaTeX, list items); the page's words
give the text when the two disagree by more than a misreading tolerance. Each block gets
``meta["verify"]``: ``{"status": "verified" | "repaired" | "unverified", "score": 0..1,
"words": "text" | "ocr", ...}`` (see the README's "Hybrid pages" section).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from docparse.document import Block, Label
from docparse.geometry import BBox, iou
from docparse.verify.align import DRIFT_SHARE, MIN_MARGIN_PT, Alignment, agreement, align_block, keys
from docparse.verify.tables import bag_score, refill_table
from docparse.verify.words import PageWords

#: At or above this agreement the model's text stands. Scores compare letters and digits only
#: (case, punctuation and spacing are the model's), so on a text layer any difference left is a
#: misread character and is repaired. Tesseract misreads too: against OCR words the model's text
#: is never replaced, only scored and flagged.
VERIFIED_AT = 1.0
#: Below this the matched words are not the block's own (another block, or nothing like it):
#: no repair, the block stays ``unverified`` and is a hallucination candidate.
MATCH_FLOOR = 0.5
#: A box overlapping its words' box less than this is snapped to the words (models draw boxes
#: a few percent off; a padded but right box overlaps its tight word box by ~0.8 or more).
SNAP_IOU_BELOW = 0.6
#: A block whose text is this many copies of one piece or fewer, each agreeing with the first at
#: least REPEAT_AGREE, and that does not match its words as a whole, repeats itself (a line
#: written twice, a loop inside one block): one copy is aligned.
MAX_COPIES = 8
REPEAT_AGREE = 0.8
#: Sentences of a block that the page has nowhere (an invented sentence appended to a short
#: block) are left out when they hold at least this many keys, and what stays matches its words
#: at least TRIM_KEEP_AT.
MIN_FOREIGN_KEYS = 3
SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+")
TRIM_KEEP_AT = 0.8

TEXT_LABELS = frozenset({
    Label.TITLE, Label.HEADING, Label.PARAGRAPH, Label.CAPTION, Label.FOOTNOTE, Label.HEADER,
    Label.FOOTER, Label.PAGE_NUMBER, Label.CODE,
})


@dataclass
class BlockCheck:
    """How one block fared: its status and score, and the page words it accounts for."""

    block: Block
    status: str  # "verified", "repaired", "unverified"
    score: float | None  # None: nothing to compare (a picture, an empty block)
    words: set[int] = field(default_factory=set)
    chars: int = 0  # letters and digits of the model's text (weights the page agreement)
    checked: bool = False  # a text block whose box holds page words: its score counts
    box_has_words: bool = False
    #: the words its text matched exactly (the rest of ``words`` lie between those); None: all
    #: of them (a table's or formula's words are the ones in its box)
    matched: set[int] | None = None
    #: text of the model's left out before aligning: "repeated" (copies of one piece) or
    #: "not on the page" (an invented run before or after the matched words); None: none
    trimmed: str | None = None

    def matched_exactly(self, word: int) -> bool:
        return self.matched is None or word in self.matched


def check_block(block: Block, words: PageWords, cursor: int = -1) -> tuple[BlockCheck, int]:
    """Verify (and repair in place) ``block``; returns its check and the cursor for the next."""
    if block.label == Label.TABLE:
        return _check_table(block, words), cursor
    if block.label == Label.FORMULA:
        return _check_formula(block, words), cursor
    if block.label == Label.LIST and block.items:
        return _check_list(block, words, cursor)
    if block.label in TEXT_LABELS or block.label == Label.LIST:
        al = align_block(block.text, block.bbox, words, cursor=cursor)
        trimmed, kept = _trimmed(block, words, al, cursor)
        check = _check_text(block, words, kept, trimmed)
        if trimmed:
            check.score = al.score  # the model's text as written: its repeat or invention counts
            _mark(block, words, check)
        return check, (kept.last_token if kept.last_token >= 0 and kept.score >= MATCH_FLOOR else cursor)
    check = BlockCheck(block, "unverified", None)
    _mark(block, words, check, reason="no text to check")
    return check, cursor


def _trimmed(block: Block, words: PageWords, al: Alignment, cursor: int) -> tuple[str | None, Alignment]:
    """The alignment of the part of the block's text the page has, when the rest was invented
    (sentences found nowhere on the page) or repeats it (see MIN_FOREIGN_KEYS, MAX_COPIES);
    else ``al`` unchanged."""
    if al.score >= TRIM_KEEP_AT:
        return None, al  # the page says it all (a Lorem-ipsum paragraph does repeat itself)
    core, why = block.text, []
    sentences = [s for s in SENTENCE_END.split(block.text) if keys(s)]
    if len(sentences) >= 2:
        found = [align_block(s, block.bbox, words).score >= MATCH_FLOOR for s in sentences]
        invented = " ".join(s for s, ok in zip(sentences, found) if not ok)
        if any(found) and len(keys(invented)) >= MIN_FOREIGN_KEYS:
            core, why = " ".join(s for s, ok in zip(sentences, found) if ok), ["not on the page"]
    once = first_copy(keys(core))
    if once is not None:
        core, why = " ".join(once), ["repeated", *why]
    if not why:
        return None, al
    kept = align_block(core, block.bbox, words, cursor=cursor)
    if kept.score < TRIM_KEEP_AT:
        return None, al
    return ", ".join(why), kept


def first_copy(a: list[str]) -> list[str] | None:
    """The first of n (2..MAX_COPIES) near-equal consecutive pieces that ``a`` consists of."""
    for n in range(2, MAX_COPIES + 1):
        if len(a) < 2 * n:
            break
        cuts = [round(k * len(a) / n) for k in range(n + 1)]
        pieces = [a[cuts[k]:cuts[k + 1]] for k in range(n)]
        if all(agreement(pieces[0], p) >= REPEAT_AGREE for p in pieces[1:]):
            return pieces[0]
    return None


def _check_text(block: Block, words: PageWords, al: Alignment, trimmed: str | None = None) -> BlockCheck:
    chars = len("".join(keys(block.text)))
    check = BlockCheck(block, "unverified", al.score if al.tokens else None, chars=chars,
                       box_has_words=_holds_words(block.bbox, words), trimmed=trimmed)
    check.checked = bool(al.tokens) and (check.box_has_words or al.score >= MATCH_FLOOR)
    if not al.tokens:
        _mark(block, words, check, reason="no text to check")
        return check
    if al.score < MATCH_FLOOR:
        _mark(block, words, check, reason="text not found among the page's words")
        return check
    check.words = set(al.words)
    check.matched = set(al.matched)
    if trimmed and words.source != "text":
        check.status = "unverified"  # OCR words never replace the model's text
    elif trimmed:
        check.status = "repaired"  # the page's words, without what the model repeated or invented
        block.meta["model_text"] = block.text
        block.text = words.text_of(al.words, lines=block.label == Label.CODE)
    elif al.score >= VERIFIED_AT and (words.source != "text" or _same_case(block.text, al.text)):
        check.status = "verified"
    elif words.source != "text":
        check.status = "unverified"
    else:
        check.status = "repaired"
        block.meta["model_text"] = block.text
        block.text = words.text_of(al.words, lines=block.label == Label.CODE)
    _snap(block, al)
    _mark(block, words, check)
    return check


def _check_list(block: Block, words: PageWords, cursor: int) -> tuple[BlockCheck, int]:
    """Each item against the words of the list's box; the block's text follows its items."""
    check = BlockCheck(block, "verified", None, chars=len("".join(keys(block.text))),
                       box_has_words=bool(words.within(block.bbox)), matched=set())
    scores: list[tuple[float, int]] = []
    repaired = False
    for item in block.items:
        al = align_block(item.text, item.bbox or block.bbox, words, cursor=cursor)
        n = len("".join(keys(item.text)))
        if not al.tokens:
            continue
        scores.append((al.score, n))
        if al.score < MATCH_FLOOR:
            continue
        cursor = max(cursor, al.last_token)
        check.words.update(al.words)
        check.matched.update(al.matched)  # type: ignore[union-attr]
        if words.source == "text" and (al.score < VERIFIED_AT or not _same_case(item.text, al.text)):
            item.text = words.text_of(al.words)
            repaired = True
    if not scores:
        check.status, check.score = "unverified", None
        _mark(block, words, check, reason="no text to check")
        return check, cursor
    check.score = sum(s * n for s, n in scores) / max(1, sum(n for _, n in scores))
    check.checked = check.box_has_words or check.score >= MATCH_FLOOR
    if check.score < MATCH_FLOOR:
        check.status = "unverified"
        _mark(block, words, check, reason="text not found among the page's words")
        return check, cursor
    if repaired:
        check.status = "repaired"
        block.meta["model_text"] = block.text
        block.text = "\n".join(item.text for item in block.items)
    if check.words:
        _snap(block, Alignment(words.box_of(check.words), check.score, sorted(check.words), tokens=1, where="box"))
    _mark(block, words, check)
    return check, cursor


def _check_table(block: Block, words: PageWords) -> BlockCheck:
    """Cells refilled from the words in their inferred boxes; the score compares the cells' keys
    and the table's words as bags (a table's reading order is the model's, not the page's)."""
    al = align_block(block.text, block.bbox, words)
    check = _check_text_free(block, words, al)
    if al.tokens and al.score >= MATCH_FLOOR:
        check.words = set(al.words)
        own = Counter(k for w in al.words for k in keys(words.words[w].text))
        check.score = bag_score(Counter(keys(block.text)), own)
        changed = False
        if check.score < VERIFIED_AT and words.source == "text":
            changed = refill_table(block, words, al)
        if changed:
            check.score = bag_score(Counter(keys(block.text)), own)
        check.status = "repaired" if changed else ("verified" if check.score >= VERIFIED_AT else "unverified")
        _snap(block, al)
    _mark(block, words, check, reason=None if check.status != "unverified" else "cells not matched to the page's words")
    return check


def _check_formula(block: Block, words: PageWords) -> BlockCheck:
    """The LaTeX stays; ``text`` becomes the text layer's words in the formula's box."""
    inside = words.within(block.bbox)
    check = BlockCheck(block, "unverified", None, box_has_words=bool(inside))
    if not inside:
        _mark(block, words, check, reason="no page words in the formula's box")
        return check
    own = words.text_of(inside)
    check.words = set(inside)
    check.score = agreement(keys(block.text), keys(own))
    if block.latex is None and block.text:
        block.latex = block.text  # the model's reading is LaTeX: keep it where it belongs
    if block.text != own and words.source == "text":
        block.meta["model_text"] = block.text
        block.text = own
        check.status = "repaired"
    else:
        check.status = "verified" if block.text == own else "unverified"
    _mark(block, words, check)
    return check


def _check_text_free(block: Block, words: PageWords, al: Alignment) -> BlockCheck:
    check = BlockCheck(block, "unverified", al.score if al.tokens else None,
                       chars=len("".join(keys(block.text))), box_has_words=bool(words.within(block.bbox)))
    check.checked = bool(al.tokens) and (check.box_has_words or al.score >= MATCH_FLOOR)
    return check


def _holds_words(box: BBox, words: PageWords) -> bool:
    """Page words lie in ``box`` or its drift margin (a short block's box drawn a few percent
    off holds none of its own words, yet the page has text there)."""
    mx, my = max(MIN_MARGIN_PT, DRIFT_SHARE * words.width), max(MIN_MARGIN_PT, DRIFT_SHARE * words.height)
    return bool(words.within((box[0] - mx, box[1] - my, box[2] + mx, box[3] + my)))


def _same_case(a: str, b: str) -> bool:
    """The same letters and digits, case included (scores fold case; the text layer's case wins)."""
    def norm(t: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKC", t) if c.isalnum())

    return norm(a) == norm(b)


def _snap(block: Block, al: Alignment) -> None:
    """Move a badly drawn box onto the words it holds (found elsewhere: always)."""
    if al.bbox is None:
        return
    if al.where == "page" or iou(block.bbox, al.bbox) < SNAP_IOU_BELOW:
        block.meta["model_bbox"] = [round(v, 2) for v in block.bbox]
        block.bbox = tuple(float(v) for v in al.bbox)  # type: ignore[assignment]


def _mark(block: Block, words: PageWords, check: BlockCheck, reason: str | None = None) -> None:
    info: dict = {"status": check.status, "words": words.source}
    if check.score is not None:
        info["score"] = round(check.score, 4)
    if "model_bbox" in block.meta:
        info["box"] = "snapped"
    if reason:
        info["reason"] = reason
    if check.trimmed:
        info["trimmed"] = check.trimmed
    block.meta["verify"] = info
