"""Verify a whole page: every block, then what the model left out and what it made up.

- Omissions: page words no block accounts for (outside pictures, charts, tables and formulas,
  whose inner text a model rightly leaves out) become ``paragraph`` blocks at their place in
  reading order, with ``meta["verify"]["status"] == "omission"`` (a short run in the page's top
  or bottom band is a running head or foot: ``header``/``footer``, outside the reading order,
  as the layout engine labels it). Against OCR words they are
  only counted (they lower the page's agreement, which ranks samples): Tesseract's words of a
  scan are often misread, split or specks, and inserting them cost more text accuracy than it
  recovered (benchmarks/QUALITY.md, OmniDocBench).
- Hallucinations: a text block whose box holds page words but whose text matches none of them,
  anywhere on the page, is flagged (``"hallucination"``); on a text-layer page one with nothing
  in common with the page (agreement under ``DROP_BELOW``) is dropped. With OCR words (a weaker
  check: Tesseract misreads too) blocks are only flagged.
- The page's agreement: letters and digits of checked blocks weighted by their scores, over all
  of them plus the omitted ones. It decides retries and picks the best of N samples.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from docparse.document import Block, Label, block_id
from docparse.garbled import garbled
from docparse.geometry import BBox
from docparse.verify.align import DRIFT_SHARE, MIN_MARGIN_PT, keys
from docparse.verify.blocks import MATCH_FLOOR, BlockCheck, check_block
from docparse.verify.words import PageWords

#: A text-layer block with agreement under this (nothing in common with any words of the page
#: although its box holds some) is dropped; between this and MATCH_FLOOR it is only flagged.
DROP_BELOW = 0.3
#: A block whose words are mostly (this share) those of blocks before it repeats them.
DUPLICATE_SHARE = 0.5
#: An omission needs this many letters/digits (a lone bullet or stray digit is not one).
MIN_OMISSION_CHARS = 3
#: Against OCR words an omission needs this many words (Tesseract reads specks as words).
MIN_OCR_OMISSION_WORDS = 4
#: A left-out run this short (lines, characters) in the page's top or bottom band (share of its
#: height) is a running head or foot: furniture, not body text. The layout engine's values
#: (engines/layout/params.py), so both engines call the same lines furniture.
FURNITURE_MAX_LINES = 2
FURNITURE_MAX_CHARS = 120
FURNITURE_MARGIN_SHARE = 0.075
#: Labels whose box may hold page words the model rightly does not transcribe.
OPAQUE_LABELS = frozenset({Label.IMAGE, Label.CHART, Label.TABLE, Label.FORMULA, Label.MUSIC, Label.CHEMISTRY})


@dataclass
class PageCheck:
    """The verdict on one page's blocks."""

    agreement: float  # 0..1 (1 when there is nothing to check)
    blocks: list[Block]
    checks: list[BlockCheck] = field(default_factory=list)
    omissions: int = 0  # runs of page words no block covers (inserted on text-layer pages only)
    hallucinations: int = 0
    dropped: int = 0
    repaired: int = 0
    source: str = "text"

    @property
    def flags(self) -> int:
        return self.omissions + self.hallucinations

    def summary(self) -> str:
        added = "added" if self.source == "text" else "seen, not added (OCR words)"
        return (f"verify ({self.source} words): agreement {self.agreement:.3f}; {self.repaired} blocks repaired, "
                f"{self.omissions} omissions {added}, {self.hallucinations} hallucinations flagged "
                f"({self.dropped} dropped)")


def verify_blocks(blocks: list[Block], words: PageWords, page_index: int) -> PageCheck:
    """Check and repair ``blocks`` (in place) against ``words``; add omissions, drop what the
    page shows nowhere. Returns the page's new block list and its verdict."""
    ordered = sorted(blocks, key=lambda b: (b.order is None, b.order if b.order is not None else 0))
    checks: list[BlockCheck] = []
    cursor = -1
    for block in ordered:
        check, cursor = check_block(block, words, cursor)
        checks.append(check)
    result = PageCheck(1.0, [], checks, source=words.source)
    kept: list[Block] = []
    owner = _owners(checks, words)
    for check in checks:
        taken = {w for w in check.words if owner[w] is not check}
        if check.words and len(taken) > DUPLICATE_SHARE * len(check.words):
            # the words are an earlier block's: a repeated line or a loop's echo, not new text
            result.hallucinations += 1
            check.block.meta["verify"]["status"] = "duplicate"
            check.checked = False
            if words.source == "text":
                result.dropped += 1
                continue
        if taken and check.status == "repaired" and check.block.label not in OPAQUE_LABELS and check.block.label != Label.LIST:
            check.words -= taken  # its text came from the words: leave out the ones another block has
            check.block.text = words.text_of(check.words, lines=check.block.label == Label.CODE)
        if _hallucinated(check):
            result.hallucinations += 1
            check.block.meta["verify"]["status"] = "hallucination"
            if words.source == "text" and (check.score or 0.0) < DROP_BELOW:
                result.dropped += 1
                check.checked = False  # dropped: the page no longer carries it (still a flag)
                continue
        if check.trimmed:
            result.hallucinations += 1  # repeated or invented text left out: a flag all the same
        if check.status == "repaired":
            result.repaired += 1
        kept.append(check.block)
    omitted = _omissions(kept, checks, words, page_index)
    result.omissions = len(omitted)
    result.agreement = _agreement(checks, omitted)
    if words.source != "text":
        for block in omitted:
            block.meta.pop("_first_word")
        omitted = []
    result.blocks = _insert(kept, omitted, words, checks)
    return result


def _owners(checks: list[BlockCheck], words: PageWords) -> dict[int, BlockCheck]:
    """Each page word's one block. A word two blocks claim (repetitive text such as a Lorem-ipsum
    page matches a neighbour's lines too; drifted boxes overlap) goes to the block whose text
    matched it exactly over one that only took it between its matches, then to a block that
    did not repeat itself (a loop's echo) over one that did, then to the block whose
    own (model) box holds it deepest, then to the first in reading order. A block whose words
    mostly go to earlier ones repeats them (a duplicate)."""
    claims: dict[int, list[BlockCheck]] = {}
    for check in checks:
        for w in check.words:
            claims.setdefault(w, []).append(check)
    owner: dict[int, BlockCheck] = {}
    for w, claimants in claims.items():
        if len(claimants) == 1:
            owner[w] = claimants[0]
            continue
        box = words.words[w].box
        # max() keeps the first of equals: reading order breaks ties
        owner[w] = max(claimants, key=lambda c: (c.matched_exactly(w), c.trimmed is None,
                                                 round(_depth(box, _model_box(c.block)), 1)))
    return owner


def _model_box(block: Block) -> BBox:
    snapped = block.meta.get("model_bbox")
    return tuple(snapped) if snapped else block.bbox  # type: ignore[return-value]


def _depth(word: BBox, box: BBox) -> float:
    """How far (points) the word's centre lies inside ``box``; negative outside."""
    cx, cy = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return min(cx - box[0], box[2] - cx, cy - box[1], box[3] - cy)


def _hallucinated(check: BlockCheck) -> bool:
    return (
        check.block.label not in OPAQUE_LABELS
        and check.trimmed is None  # its invented or repeated text is already left out
        and check.score is not None
        and check.score < MATCH_FLOOR
        and check.box_has_words
        and check.chars >= MIN_OMISSION_CHARS
    )


def _agreement(checks: list[BlockCheck], omitted: list[Block]) -> float:
    total = agreed = 0.0
    for check in checks:
        if check.checked and check.score is not None:
            total += check.chars
            agreed += check.chars * check.score
    total += sum(len("".join(keys(b.text))) for b in omitted)
    return agreed / total if total else 1.0


def _omissions(kept: list[Block], checks: list[BlockCheck], words: PageWords, page_index: int) -> list[Block]:
    """Runs of page words no block accounts for, one block per run (lines of one paragraph)."""
    covered: set[int] = set()
    for check in checks:
        if check.block in kept:
            covered |= check.words
    mx, my = max(MIN_MARGIN_PT, DRIFT_SHARE * words.width), max(MIN_MARGIN_PT, DRIFT_SHARE * words.height)
    rings: list[tuple[BBox, Counter[str] | None]] = []  # opaque blocks' boxes grown by the drift
    of_block = {id(c.block): c for c in checks}
    for block in kept:
        if block.label in OPAQUE_LABELS:
            inside = words.within(block.bbox)
            covered.update(inside)
            x0, y0, x1, y1 = block.bbox
            own = Counter(keys(" ".join(filter(None, [block.text, block.latex]))))
            # keys its text has that its words so far do not: what it may still own in the ring
            found = set(inside) | (of_block[id(block)].words if id(block) in of_block else set())
            missing = own - Counter(k for w in found for k in keys(words.words[w].text))
            rings.append(((x0 - mx, y0 - my, x1 + mx, y1 + my), missing if own else None))
    runs: list[list[int]] = []
    for i in range(len(words.words)):
        if i in covered:
            continue
        if runs and runs[-1][-1] == i - 1 and _same_run(words, runs[-1][-1], i):
            runs[-1].append(i)
        else:
            runs.append([i])
    out: list[Block] = []
    for n, run in enumerate(runs):
        text = words.text_of(run)
        if len("".join(keys(text))) < MIN_OMISSION_CHARS or _garbled(text):
            continue
        if words.source != "text" and len(run) < MIN_OCR_OMISSION_WORDS:
            continue
        if _in_a_drifted_box(run, text, rings, words):
            continue
        box = words.box_of(run)
        furniture = _furniture(run, text, box, words)
        block = Block(id=block_id(page_index, 10_000 + n), label=furniture or Label.PARAGRAPH, bbox=box,
                      text=text, page=page_index, source="verify", order=None if furniture else 0)
        block.meta["verify"] = {"status": "omission", "words": words.source, "score": 1.0}
        block.meta["_first_word"] = run[0]
        out.append(block)
    return out


def _furniture(run: list[int], text: str, box: BBox, words: PageWords) -> Label | None:
    """A running head or foot the model left out: a short run in the page's top or bottom band
    (the layout engine's rule, ``FURNITURE_MARGIN_SHARE``); it is no body text to put in order."""
    lines = len({words.words[w].line for w in run})
    if lines > FURNITURE_MAX_LINES or len(text) > FURNITURE_MAX_CHARS:
        return None
    if box[3] < FURNITURE_MARGIN_SHARE * words.height:
        return Label.HEADER
    if box[1] > (1 - FURNITURE_MARGIN_SHARE) * words.height:
        return Label.FOOTER
    return None


def _in_a_drifted_box(run: list[int], text: str, rings: list[tuple[BBox, Counter[str] | None]],
                      words: PageWords) -> bool:
    """A run just outside a picture, table or formula whose model box drifted off it: inside the
    box grown by the drift margin, and (when the block has text) made of keys of the block's
    text that its words do not have yet. The paragraph next to a table, which the table's text
    lacks or has already found in its cells ("the", "value" of a header row), stays an omission."""
    run_keys = keys(text)
    for ring, missing in rings:
        if 2 * sum(_depth(words.words[w].box, ring) >= 0 for w in run) < len(run):
            continue
        if missing is None or 2 * sum((Counter(run_keys) & missing).values()) >= len(run_keys):
            return True
    return False


def _garbled(text: str) -> bool:
    """Text of a font without a usable encoding ("]üìÆüéê •ìê"): the rule of ``docparse.garbled``
    (the layout engine's and ``PageWords.usable``'s), on a run as short as an omission may be."""
    return garbled(text, min_chars=MIN_OMISSION_CHARS)


def _same_run(words: PageWords, i: int, j: int) -> bool:
    """Consecutive words of the same or the next line, close enough to be one paragraph."""
    a, b = words.words[i], words.words[j]
    if b.line == a.line:
        return True
    height = max(1.0, a.box[3] - a.box[1])
    return b.line == a.line + 1 and 0 <= b.box[1] - a.box[1] <= 2.5 * height


def _insert(kept: list[Block], omitted: list[Block], words: PageWords, checks: list[BlockCheck]) -> list[Block]:
    """Body blocks and omissions in reading order (an omission after the block holding the page
    word before it), orders renumbered; furniture keeps ``order`` None."""
    body = [b for b in kept if b.order is not None]
    body.sort(key=lambda b: b.order)  # type: ignore[arg-type, return-value]
    rest = [b for b in kept if b.order is None]
    for block in [b for b in omitted if b.order is None]:  # furniture: no place in the order
        block.meta.pop("_first_word")
        rest.append(block)
    omitted = [b for b in omitted if b.order is not None]
    if omitted:
        owner: dict[int, Block] = {}
        for check in checks:
            if check.block in body:
                for w in check.words:
                    owner[w] = check.block
        place = {id(b): k for k, b in enumerate(body)}
        slots: list[tuple[float, int, Block]] = [(float(k), 0, b) for k, b in enumerate(body)]
        for n, block in enumerate(omitted):
            first = block.meta.pop("_first_word")
            before = max((w for w in owner if w < first), default=None)
            at = place[id(owner[before])] + 0.5 if before is not None else -0.5
            slots.append((at, n + 1, block))
        body = [b for _, _, b in sorted(slots, key=lambda s: (s[0], s[1]))]
    for k, block in enumerate(body):
        block.order = k
    renamed: dict[str, str] = {}
    for k, block in enumerate(body + rest):
        new = block_id(block.page, k)
        renamed[block.id] = new
        block.id = new
    for block in body + rest:
        if block.caption_for is not None:
            block.caption_for = renamed.get(block.caption_for)
    return body + rest
