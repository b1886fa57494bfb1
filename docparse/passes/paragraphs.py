"""Paragraphs split across a column break or a page break, joined back into one block.

Two PARAGRAPH blocks, consecutive in reading order (figures, tables, captions and footnotes
between them are skipped), are one paragraph when
- there is a break between them: the next starts a new page, a new column (it starts above the
  first one's bottom, to its right), or floats stood between them;
- the first does not end a sentence (no ``. ! ? : ;`` at its end);
- the next continues it: it starts lowercase (or in a script without case), or the first ends
  with a hyphen, a comma or a word such as "the" / "of" that cannot end a sentence;
- paragraphs that read as captions ("Scheme 2. ...", unlabelled by the engine) count as floats;
- their fonts agree, when the engine gave ``meta["font_size"]`` / ``meta["bold"]``.

CJK lines joined without a space (``join_cjk_lines``) in every prose block.

De-hyphenation, at the joins and at line ends inside every prose block ("gravi-\\nmetric").
"docu-" + "ment" becomes "document", "state-of-the-" + "art" stays
"state-of-the-art". Without a dictionary download, a joined word counts as real when
(1) the document itself uses it unhyphenated, or (2) the small list in ``_words.py`` has it, or
(3) the right-hand fragment is a suffix ("-ment", "-tion"), or (4) the halves do not make a
compound (below): a syllable break ("infor-mation", "gravi-metric"). The hyphen is kept when the
left part is already a compound ("state-of-the-"), when the document writes the hyphenated
form elsewhere, when the right part starts with a capital or digit ("Anglo-Saxon",
"COVID-19"), for one-letter prefixes ("e-mail"), and when the right half is a word and the left
half a word too or a compound prefix ("well-known", "co-operation", "multi-layer").

The first block (the head) gets the joined text and a ``Block.continuation`` (pages, part ids,
its own text before the join). Each continuation stays on its page with its own box and text, out
of the reading order, with ``continuation.head_id`` = the head's id.
"""

from __future__ import annotations

import re
from collections import Counter

from docparse.document import Block, Document, Label

from ._common import FLOAT_LABELS, doc_body, font_size, join_continuation
from .captions import caption_kind, is_caption_text
from ._words import COMMON_WORDS, PREFIXES, SUFFIXES

HYPHENS = "-\u00ad\u2010"  # hyphen-minus, soft hyphen, hyphen
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Every pattern here is matched forward from a fixed start (``match``, ``finditer`` over runs
# that do not overlap), never searched for a suffix: a search for "word + hyphen at the end"
# retries from every letter of a long word and takes time quadratic in its length (80,000
# letters took minutes).
_LETTERS = re.compile(r"[^\W\d_]+")
#: A line-end hyphen: the hyphen, the line break and the next line's first word (group 1).
_LINE_BREAK_HYPHEN = re.compile(r"[" + HYPHENS + r"][ \t]*\n[ \t]*([^\W_]+)")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: A line break (with the spaces around it) between two CJK characters (groups 1 and 2).
_CJK_BREAK = re.compile(
    r"([\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])[ \t]*\n[ \t]*"
    r"(?=[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])"
)
_FIRST_WORD = re.compile(r"^([^\W\d_]+)")
#: Blocks whose text is prose, where a hyphen at a line end may be a word break.
TEXT_LABELS = frozenset(
    {Label.PARAGRAPH, Label.TITLE, Label.HEADING, Label.LIST, Label.CAPTION, Label.FOOTNOTE}
)
_OPEN_ENDINGS = frozenset(
    "a an the of and or to in for with by on at from as that which whose is are was were be "
    "not but than into its their this these those our your such".split()
)


class Vocabulary:
    """Words the document uses, split into plain words and hyphenated compounds.

    Tokens next to a line-end hyphen ("docu-" at a block's end) and a block's lowercase first
    word (maybe the tail of a split word) are left out, so fragments do not count as words.
    """

    def __init__(self, texts: list[str]) -> None:
        self.words: Counter[str] = Counter()
        self.compounds: Counter[str] = Counter()
        for text in texts:
            for i, m in enumerate(_WORD.finditer(text)):
                token = m.group()
                after = text[m.end(): m.end() + 2]
                if after[:1] in HYPHENS and (len(after) < 2 or after[1].isspace()):
                    continue  # a line-end fragment
                if i == 0 and token[:1].islower():
                    continue
                before = text[max(0, m.start() - 2): m.start()]
                if len(before) == 2 and before[0] in HYPHENS and before[1].isspace():
                    continue  # the tail of a line-end hyphenation inside a block
                if "-" in token:
                    self.compounds[token.lower()] += 1
                    for part in token.split("-"):
                        self.words[part.lower()] += 1
                else:
                    self.words[token.lower()] += 1

    def is_word(self, w: str) -> bool:
        w = w.lower()
        return w in self.words or w in COMMON_WORDS


def keep_hyphen(left_token: str, right: str, vocab: Vocabulary) -> bool:
    """Whether "left_token-" at a line end + "right" keeps its hyphen (True) or is one word."""
    if not right or not right[0].isalpha() or right[0].isupper():
        return True
    if "-" in left_token:
        # a compound's last part decides: "non-selec-" + "tive" is "non-selective", while
        # "state-of-the-" + "art" keeps its hyphen ("the" and "art" are both words)
        head, _, left = left_token.rpartition("-")
        if not left or not head:
            return True
        if vocab.is_word(left) and vocab.is_word(right):
            return True
    else:
        left = left_token
    joined = (left + right).lower()
    if f"{left}-{right}".lower() in vocab.compounds:
        return True
    if joined in vocab.words or joined in COMMON_WORDS:
        return False
    if len(left) == 1:
        return True  # "e-mail", "x-ray"
    if right.lower() in SUFFIXES:
        return False
    if vocab.is_word(right) and (vocab.is_word(left) or left.lower() in PREFIXES):
        return True  # "well-known", "multi-layer", "co-operation"
    return False  # "infor-mation", "gravi-metric": no compound of words, so one word


def dehyphenate_lines(text: str, vocab: Vocabulary) -> str:
    """Line-end hyphenation inside one block undone: "gravi-\nmetric" -> "gravimetric".

    A kept hyphen loses its line break ("state-of-the-\nart" -> "state-of-the-art").
    """

    if "\n" not in text:
        return text
    # Where each compound token ("state-of-the") ends -> where it starts: one forward scan.
    token_start = {m.end(): m.start() for m in _WORD.finditer(text)}
    out: list[str] = []
    done = 0  # text[:done] is written (a replaced join ends there)
    for m in _LINE_BREAK_HYPHEN.finditer(text):
        start = token_start.get(m.start())
        if start is None:
            continue  # no word before the hyphen ("12-")
        if start < done:  # the token's head belongs to the previous join: "ab-\ncd-ef-\ngh"
            start = done + 1 if text[done] == "-" else done
            if start >= m.start():
                continue
        left, right = text[start: m.start()], m.group(1)
        out.append(text[done:start])
        out.append(f"{left}-{right}" if keep_hyphen(left, right, vocab) else left + right)
        done = m.end()
    out.append(text[done:])
    return "".join(out)


def join_cjk_lines(text: str) -> str:
    """Line breaks between two CJK characters removed: Chinese and Japanese put no space between
    words, and a renderer turns a soft line break into one ("万公\n里" -> "万公里"). A break next to
    Latin letters or digits stays (it reads as a space there)."""
    if "\n" not in text:
        return text
    return _CJK_BREAK.sub(r"\1", text)


def join_texts(first: str, second: str, vocab: Vocabulary) -> str:
    """``first`` and ``second`` as one text, undoing a line-end hyphenation when it is one."""
    a, b = first.rstrip(), second.lstrip()
    left = _last_token(a)
    if left:
        w = _FIRST_WORD.match(b)
        right = w.group(1) if w else ""
        if keep_hyphen(left, right, vocab):
            return a[:-1] + "-" + b
        return a[:-1] + b
    if a.endswith(("—", "–")) and not a[:-1].endswith(" "):
        return a + b
    if _CJK.match(a[-1]) and _CJK.match(b[0]):
        return a + b  # Chinese and Japanese put no space between words
    return a + " " + b


def _last_token(text: str) -> str:
    """The (compound) word right before a hyphen that ends ``text``; "" when there is none.

    Read backwards with a forward match: the token pattern reads the same both ways.
    """
    if not text or text[-1] not in HYPHENS:
        return ""
    m = _WORD.match(text[-2::-1])
    return m.group()[::-1] if m else ""


def _ends_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text.rstrip()) is not None


def _continues(first: str, second: str) -> bool:
    a, b = first.rstrip(), second.lstrip()
    if not a or not b or _ends_sentence(a):
        return False
    if a[-1] in HYPHENS or a[-1] == ",":
        return True
    if b[0].islower():
        return True
    if b[0].isalpha() and not b[0].isupper():
        return True  # a script without case (Hangul, CJK, Arabic): no capital marks a new sentence
    last = _LETTERS.match(a[::-1])  # the last word, read backwards (a suffix search is quadratic)
    return last is not None and last.group()[::-1].lower() in _OPEN_ENDINGS


def _looks_like_caption(b: Block) -> bool:
    """A paragraph the engine did not label as a caption but that reads as one ("Scheme 2. ...")."""
    return b.label == Label.PARAGRAPH and caption_kind(b.text) is not None and is_caption_text(b.text)


def _fonts_agree(a: Block, b: Block) -> bool:
    sa, sb = font_size(a), font_size(b)
    if sa is not None and sb is not None and abs(sa - sb) > 1.0:
        return False
    ba, bb = a.meta.get("bold"), b.meta.get("bold")
    return not (isinstance(ba, bool) and isinstance(bb, bool) and ba != bb)


def _is_break(tail: Block, nxt: Block, skipped_floats: bool) -> bool:
    if nxt.page != tail.page or skipped_floats:
        return True
    # A new column: the next block starts above the previous one's bottom, to its right.
    return nxt.bbox[1] < tail.bbox[3] and nxt.bbox[0] >= tail.bbox[0] + 0.5 * (tail.bbox[2] - tail.bbox[0])


def paragraphs(doc: Document) -> Document:
    """Join paragraphs split across columns or pages, undoing line-end hyphenation."""
    blocks = doc_body(doc)
    vocab = Vocabulary([b.text for b in blocks if b.text])
    for b in blocks:
        if b.label in TEXT_LABELS:
            b.text = join_cjk_lines(dehyphenate_lines(b.text, vocab))
            for item in b.items:
                item.text = join_cjk_lines(dehyphenate_lines(item.text, vocab))
    head: Block | None = None  # paragraph being extended
    tail: Block | None = None  # its last part (for geometry)
    skipped = False
    for b in blocks:
        if b.label in FLOAT_LABELS or _looks_like_caption(b):
            skipped = skipped or head is not None
            continue
        if (
            head is not None
            and tail is not None
            and b.label == Label.PARAGRAPH
            and b.page in (tail.page, tail.page + 1)  # a page range with gaps: no join over them
            and _is_break(tail, b, skipped)
            and _continues(head.text, b.text)
            and _fonts_agree(tail, b)
        ):
            _join(head, b, vocab)
            tail, skipped = b, False
            continue
        head = tail = b if b.label == Label.PARAGRAPH else None
        skipped = False
    return doc


def _join(head: Block, part: Block, vocab: Vocabulary) -> None:
    join_continuation(head, part)
    head.text = join_texts(head.text, part.text, vocab)
