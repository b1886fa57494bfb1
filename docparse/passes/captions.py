"""Captions: each CAPTION block linked to the figure, table, chart, formula or code it describes.

The link is by position (vertical gap on the same page, same column), refined by the caption's
prefix: "Table 2" goes to a table, "Figure 3" / "Fig. 3" to an image or chart, "Eq. 4" to a
formula, "Listing 1" / "Example 2-1" to code (or to a monospaced paragraph, ``meta["mono"]``,
when the engine did not label the code). Tables usually carry their caption above, figures
below; that breaks ties. Every target takes one caption first (closest pairs first); an
unnumbered caption left over (a caption in two blocks, a sub-figure note) then goes to its
nearest target.

A CAPTION that reads as a sentence citing a figure ("Table 3-2 lists the ...") is demoted to
PARAGRAPH (``meta["demoted_from"]``). A PARAGRAPH that starts with such a prefix and touches a target that has no caption is promoted
to CAPTION (layout models miss some). Sets ``caption.caption_for`` and appends the caption id to
``target.meta["captions"]``. A caption with nothing near it is left unlinked, with a warning.
"""

from __future__ import annotations


from docparse.document import Block, Document, Label, Page
from docparse.patterns import CAPTION_CITATION, CAPTION_PREFIXES, CAPTION_SEPARATOR

from ._common import body, x_overlap, v_gap

TARGET_LABELS = frozenset({Label.IMAGE, Label.TABLE, Label.CHART, Label.FORMULA, Label.CODE})
MAX_GAP = 0.3  # fraction of the page height beyond which a caption is not linked
PROMOTE_GAP = 18.0  # points: a prefixed paragraph this close to an uncaptioned target is a caption

def is_caption_text(text: str) -> bool:
    """True for "Figure 2: ..." / "Table 1. ..." (a caption), false for "Figure 2 shows ..."."""
    return caption_kind(text) is not None and CAPTION_SEPARATOR.match(text) is not None


def caption_kind(text: str) -> frozenset[Label] | None:
    """The target labels a caption's prefix asks for ("Table 1" -> {TABLE}), or None."""
    for pattern, labels in CAPTION_PREFIXES:
        if pattern.match(text):
            return labels
    return None


def _cost(caption: Block, target: Block) -> float | None:
    """Distance in points (lower is closer), or None when the pair cannot go together."""
    kind = caption_kind(caption.text)
    if target.label == Label.PARAGRAPH and kind != {Label.CODE}:
        return None  # monospaced paragraphs are targets for "Listing n" / "Example n" only
    if kind is not None and target.label not in kind and target.label != Label.PARAGRAPH:
        return None
    gap = v_gap(caption.bbox, target.bbox)
    cost = gap
    if x_overlap(caption.bbox, target.bbox) < 0.3:
        cost += 200.0  # other column: possible (side captions) but unlikely
    above = caption.bbox[3] <= target.bbox[1] + 2
    if (target.label == Label.TABLE and above) or (target.label != Label.TABLE and not above):
        cost -= 5.0  # the usual side
    if kind is None:
        cost += 10.0  # an explicit prefix that agrees beats a bare caption
    return cost


def captions(doc: Document) -> Document:
    """Link CAPTION blocks to their figure/table/chart/formula/code on the same page."""
    for page in doc.pages:
        _page_captions(doc, page)
    return doc


def _page_captions(doc: Document, page: Page) -> None:
    blocks = body(page)
    # Code the engine did not label as such still shows as monospaced text (meta["mono"]).
    targets = [b for b in blocks if b.label in TARGET_LABELS or _is_mono_text(b)]
    ids = {b.id for b in targets}
    _promote(blocks, targets)

    _demote(blocks)
    caps = [b for b in blocks if b.label == Label.CAPTION]
    by_id = {t.id: t for t in targets}
    # An engine's own link (QwenVL "image caption") wins when it points at a target of the
    # kind the caption names ("Example 2-1" is never a table's caption).
    for c in caps:
        if c.caption_for is not None and (c.caption_for not in ids or _cost(c, by_id[c.caption_for]) is None):
            c.caption_for = None
    todo = [c for c in caps if c.caption_for is None]
    taken = {c.caption_for for c in caps if c.caption_for is not None}
    limit = MAX_GAP * page.height if page.height > 0 else float("inf")

    pairs = []
    for c in todo:
        for t in targets:
            cost = _cost(c, t)
            if cost is not None and v_gap(c.bbox, t.bbox) <= limit:
                pairs.append((cost, c.id, t.id, c, t))
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))

    linked: set[str] = set()
    for second_round in (False, True):
        for _, cid, tid, c, t in pairs:
            if cid in linked or (not second_round and tid in taken):
                continue
            if second_round and caption_kind(c.text) is not None:
                continue  # a numbered caption ("Figure 4") never shares a target
            c.caption_for = t.id
            linked.add(cid)
            taken.add(tid)

    for c in caps:
        c.caption_for = c.caption_for if c.caption_for in ids else None
        if c.caption_for is None:
            doc.warnings.append(f"captions: {c.id} on page {page.index + 1} has no figure or table near it")
            continue
        target = by_id[c.caption_for]
        target.meta.setdefault("captions", [])
        if c.id not in target.meta["captions"]:
            target.meta["captions"].append(c.id)


def _demote(blocks: list[Block]) -> None:
    """Relabel "Figure 1 breaks the error down ..." (a sentence citing a figure) as a paragraph."""
    for b in blocks:
        if b.label == Label.CAPTION and CAPTION_CITATION.match(b.text):
            b.label = Label.PARAGRAPH
            b.caption_for = None
            b.meta["demoted_from"] = "caption"


def _is_mono_text(b: Block) -> bool:
    return b.label == Label.PARAGRAPH and b.meta.get("mono") is True


def _promote(blocks: list[Block], targets: list[Block]) -> None:
    """Relabel "Figure 3: ..." paragraphs right next to an uncaptioned target as captions."""
    captioned = {b.caption_for for b in blocks if b.label == Label.CAPTION}
    for b in blocks:
        if b.label != Label.PARAGRAPH:
            continue
        kind = caption_kind(b.text)
        if kind is None or not is_caption_text(b.text):
            continue
        for t in targets:
            near_caption = any(
                o.label == Label.CAPTION and v_gap(o.bbox, t.bbox) <= 3 * PROMOTE_GAP for o in blocks
            )
            if (
                t.id not in captioned
                and not near_caption
                and t.label in kind
                and v_gap(b.bbox, t.bbox) <= PROMOTE_GAP
                and x_overlap(b.bbox, t.bbox) >= 0.3
            ):
                b.label = Label.CAPTION
                b.meta["promoted_from"] = "paragraph"
                captioned.add(t.id)
                break
