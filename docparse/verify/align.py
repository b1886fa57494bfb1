"""Align a block's text to the page's own words: which words it holds, their box, how well they agree.

Used by ``verify/`` (is the model's block right? repair it from the words) and by the profiles
(a dialect without boxes gets the box of the words its text matches).

    words = text_layer_words(page)                      # or ocr_words(page) on a scan
    al = align_block("The quick brown fox", box, words)  # box in page points, or None
    al.bbox, al.score, al.words, al.text

How, and why it stays fast on dense pages:
1. Candidates: the tokens whose words lie in the block's box grown by a margin (models draw boxes
   a few percent off), in page order. Without a box, or when the box holds nothing like the text,
   a window of the whole page found by anchor voting (rare keys vote for an offset; O(n)).
2. Token matching is a patience diff: keys unique to both sides are anchors, the longest
   increasing chain of them is kept (O(n log n)), and the gaps between anchors are matched the
   same way, recursively; only small gaps fall back to an exact LCS table, bounded in size. No
   difflib: its autojunk heuristic drops frequent tokens on long text and its worst case is
   quadratic.
3. The matched words are the exact matches, the candidate words between two matches (a misread
   word, a line the model dropped inside its own box) and a misread word at either end.
4. The score is 1 - normalised Levenshtein distance between the block's letters and digits and
   the matched words' (bit-parallel, so a 10,000-character table costs milliseconds).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from docparse.evaluation.metrics import levenshtein
from docparse.geometry import BBox
from docparse.verify.words import PageWords, keys, ocr_words, text_layer_words, words_from_tuples

__all__ = [
    "Alignment", "align_block", "align_page", "match_tokens", "agreement",
    "PageWords", "keys", "text_layer_words", "ocr_words", "words_from_tuples",
]

#: Box drift tolerated, as a share of the page's width/height added on each side of the box
#: (the corruption study of benchmarks/hybrid.py: model boxes are off by up to ~3% of the page).
DRIFT_SHARE = 0.04
#: ... and at least this many points (a one-line heading box drawn slightly high).
MIN_MARGIN_PT = 6.0
#: Below this score inside the box the whole page is searched (the box may be far off).
RELOCATE_BELOW = 0.6
#: A page-wide match replaces the box's only when it scores this much better.
RELOCATE_GAIN = 0.15
#: Largest gap (block tokens x candidate tokens) matched by the exact LCS table.
MAX_LCS_CELLS = 2500
#: Candidate tokens between two matches taken even when the block has fewer there: a gap of up to
#: 2 * block gap + this many tokens is a misreading, a longer one another block (unless in the box).
GAP_SLACK = 3
#: Unmatched words at either end of a block taken as misreadings: at most this many (more is
#: not a misread word but text the model does not have, or text of a neighbour).
MAX_EDGE_TOKENS = 4
#: A key that occurs more often than this on the page casts no vote when locating a block.
MAX_VOTE_POSITIONS = 12
#: A block of at most this many keys that matches no page token exactly ("qolumn mosk": every
#: word misread) is compared letter by letter with each run of about as many tokens near its box.
FUZZY_MAX_KEYS = 6


@dataclass
class Alignment:
    """Where a block's text sits among the page's words."""

    bbox: BBox | None  # union of the matched words' boxes (page points); None when nothing matched
    score: float  # 0..1: 1 - normalised edit distance of letters/digits, block vs matched words
    words: list[int] = field(default_factory=list)  # indices into PageWords.words, page order
    text: str = ""  # the matched words' own text, page order, line-end hyphens healed
    tokens: int = 0  # comparison keys in the block's text (0: nothing to align)
    where: str = "none"  # "box" (inside / near its box), "page" (found elsewhere), "none"
    last_token: int = -1  # the page token the match ends on (a cursor for the next block)
    matched: list[int] = field(default_factory=list)  # the words of exact token matches (a subset of words)
    #: the block's first and last key (indices into ``keys(text)``) that matched a page token
    span: tuple[int, int] | None = None


def agreement(a: list[str], b: list[str]) -> float:
    """1 - Levenshtein / max length over the concatenated keys (1 = the same letters and digits)."""
    sa, sb = "".join(a), "".join(b)
    upper = max(len(sa), len(sb))
    return 1.0 - levenshtein(sa, sb) / upper if upper else 1.0


# -- token matching ----------------------------------------------------------------------------
def match_tokens(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Monotone pairs (i, j) with ``a[i] == b[j]``, close to a longest common subsequence."""
    pairs: list[tuple[int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
            pairs.append((a0, b0))
            a0, b0 = a0 + 1, b0 + 1
        while a0 < a1 and b0 < b1 and a[a1 - 1] == b[b1 - 1]:
            pairs.append((a1 - 1, b1 - 1))
            a1, b1 = a1 - 1, b1 - 1
        if a0 == a1 or b0 == b1:
            continue
        anchors = _anchors(a, a0, a1, b, b0, b1)
        if not anchors:
            if (a1 - a0) * (b1 - b0) <= MAX_LCS_CELLS:
                # before the block's first anchor, matches hug the anchor (the candidates start
                # with a neighbour's words, and "the" of the line above is not ours)
                pairs.extend(_lcs(a, a0, a1, b, b0, b1, from_end=a0 == 0))
            continue
        pa, pb = a0, b0
        for i, j in anchors:
            pairs.append((i, j))
            stack.append((pa, i, pb, j))
            pa, pb = i + 1, j + 1
        stack.append((pa, a1, pb, b1))
    pairs.sort()
    return pairs


def _anchors(a: list[str], a0: int, a1: int, b: list[str], b0: int, b1: int) -> list[tuple[int, int]]:
    """Anchor pairs for a gap, in order: the longest increasing chain of keys found once on each
    side (patience diff). Repetitive text (a table of the same few numbers) has no such keys: in
    a gap too large for the LCS table, runs of 2, 4, 8 keys once on each side serve instead."""
    for k in (1, 2, 4, 8):
        if k > 1 and (a1 - a0) * (b1 - b0) <= MAX_LCS_CELLS:
            return []
        if a1 - a0 < k or b1 - b0 < k:
            return []
        grams_a = Counter(tuple(a[i:i + k]) for i in range(a0, a1 - k + 1))
        grams_b: dict[tuple[str, ...], int] = {}
        twice: set[tuple[str, ...]] = set()
        for j in range(b0, b1 - k + 1):
            g = tuple(b[j:j + k])
            if grams_a.get(g) == 1:
                if g in grams_b:
                    twice.add(g)
                grams_b[g] = j
        cand = []
        for i in range(a0, a1 - k + 1):
            g = tuple(a[i:i + k])
            if grams_a[g] == 1 and g in grams_b and g not in twice:
                cand.append((i, grams_b[g]))
        if not cand:
            continue
        out: list[tuple[int, int]] = []
        for i, j in _increasing_chain(cand):
            if out and (i <= out[-1][0] or j <= out[-1][1]):
                continue  # overlaps the previous run of keys
            out.extend((i + d, j + d) for d in range(k))
        return out
    return _proportional(a, a0, a1, b, b0, b1)


def _proportional(a: list[str], a0: int, a1: int, b: list[str], b0: int, b1: int) -> list[tuple[int, int]]:
    """Last resort for text that repeats itself (a Lorem-ipsum page, a column of equal numbers):
    each key at its occurrence nearest the proportional position, the longest increasing chain."""
    where: dict[str, list[int]] = defaultdict(list)
    for j in range(b0, b1):
        where[b[j]].append(j)
    ratio = (b1 - b0) / (a1 - a0)
    cand = []
    for i in range(a0, a1):
        spots = where.get(a[i])
        if not spots:
            continue
        target = b0 + (i - a0) * ratio
        k = bisect_left(spots, target)
        near = [spots[n] for n in (k - 1, k) if 0 <= n < len(spots)]
        cand.append((i, min(near, key=lambda j: abs(j - target))))
    chain = _increasing_chain(cand)
    return chain if len(chain) >= 2 else []


def _increasing_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of ``pairs`` (sorted by i) with increasing j (patience sorting)."""
    tails: list[int] = []  # j of the last pair of the best chain of each length
    tail_at: list[int] = []  # index into pairs of that pair
    back: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k] = j
            tail_at[k] = n
        back[n] = tail_at[k - 1] if k else -1
    chain: list[tuple[int, int]] = []
    n = tail_at[-1] if tail_at else -1
    while n >= 0:
        chain.append(pairs[n])
        n = back[n]
    return chain[::-1]


def _lcs(a: list[str], a0: int, a1: int, b: list[str], b0: int, b1: int,
         from_end: bool = False) -> list[tuple[int, int]]:
    """Exact longest common subsequence of a small gap (the table is at most MAX_LCS_CELLS);
    ``from_end``: among equally long ones, the one matching as late as possible."""
    if from_end:
        ra, rb = a[a0:a1][::-1], b[b0:b1][::-1]
        return [(a1 - 1 - i, b1 - 1 - j) for i, j in _lcs(ra, 0, len(ra), rb, 0, len(rb))][::-1]
    n, m = a1 - a0, b1 - b0
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        ai = a[a0 + i]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if ai == b[b0 + j] else max(below[j], row[j + 1])
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if a[a0 + i] == b[b0 + j]:
            out.append((a0 + i, b0 + j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


# -- one block ---------------------------------------------------------------------------------
def align_block(text: str, box: BBox | None, words: PageWords, *, search_page: bool = True,
                cursor: int = -1) -> Alignment:
    """Align ``text`` to the words in and near ``box`` (page points), or anywhere on the page
    when ``box`` is None or holds nothing like it. ``cursor`` (a page token index) breaks ties
    towards text after it, for blocks aligned one after the other in reading order."""
    a = keys(text)
    if not a or not words.tokens:
        return Alignment(None, 0.0 if a else 1.0, tokens=len(a))
    if box is None:
        return _align_page(a, words, cursor)
    mx = max(MIN_MARGIN_PT, DRIFT_SHARE * words.width)
    my = max(MIN_MARGIN_PT, DRIFT_SHARE * words.height)
    near = set(words.within((box[0] - mx, box[1] - my, box[2] + mx, box[3] + my)))
    inside = set(words.within(box))
    positions = [t for t, tok in enumerate(words.tokens) if tok.words[0] in near]
    result = _align_in(a, words, positions, inside, "box")
    if not result.matched and len(a) <= FUZZY_MAX_KEYS:
        result = _align_fuzzy(a, words, positions, inside) or result
    if search_page and result.score < RELOCATE_BELOW:
        elsewhere = _align_page(a, words, cursor)
        if elsewhere.score >= result.score + RELOCATE_GAIN:
            return elsewhere
    return result


def align_page(blocks: list[tuple[str, BBox | None]], words: PageWords) -> list[Alignment]:
    """Align a page's blocks (text, box or None) in reading order, each after the previous."""
    out: list[Alignment] = []
    cursor = -1
    for text, box in blocks:
        al = align_block(text, box, words, cursor=cursor)
        if al.last_token >= 0:
            cursor = al.last_token
        out.append(al)
    return out


def _align_page(a: list[str], words: PageWords, cursor: int) -> Alignment:
    """Search the page; with a cursor, the text after it first (the next block in reading order
    usually follows the previous one), the whole page when that finds nothing as good."""
    n = len(words.tokens)
    best: Alignment | None = None
    if 0 <= cursor < n - 1:
        lo, hi = _locate(a, words, cursor + 1, n)
        best = _align_in(a, words, list(range(lo, hi)), set(), "page")
        if best.score >= RELOCATE_BELOW:
            return best
    lo, hi = _locate(a, words, 0, n)
    whole = _align_in(a, words, list(range(lo, hi)), set(), "page")
    return best if best is not None and best.score >= whole.score else whole


def _locate(a: list[str], words: PageWords, start: int, stop: int) -> tuple[int, int]:
    """The window of page tokens in [start, stop) most likely to hold ``a``: rare keys vote
    for an offset; the earliest best window wins ties."""
    span = len(a) + len(a) // 2 + 8
    if stop - start <= 2 * span:
        return start, stop
    positions = _positions(words)
    bucket = max(8, len(a) // 4)
    votes: Counter[int] = Counter()
    for i, key in enumerate(a):
        spots = [j for j in positions.get(key, ()) if start <= j < stop]
        if 0 < len(spots) <= MAX_VOTE_POSITIONS:
            for j in spots:
                votes[(j - i) // bucket] += len(key)
    if not votes:
        return start, stop
    best = max(votes, key=lambda k: (votes[k - 1] + votes[k] + votes[k + 1], -k))
    first = best * bucket
    return max(start, first - bucket - len(a) // 4 - 4), min(stop, first + span + bucket)


def _positions(words: PageWords) -> dict[str, list[int]]:
    cached = getattr(words, "_key_positions", None)
    if cached is None:
        cached = defaultdict(list)
        for t, tok in enumerate(words.tokens):
            cached[tok.key].append(t)
        words._key_positions = cached  # type: ignore[attr-defined]
    return cached


def _align_in(a: list[str], words: PageWords, positions: list[int], inside: set[int], where: str) -> Alignment:
    """Align ``a`` to the page tokens at ``positions`` (page order); ``inside``: the words in the
    block's own box (a longer gap of those between two matches is still the block's)."""
    b = [words.tokens[t].key for t in positions]
    pairs = match_tokens(a, b)
    if not pairs:
        return Alignment(None, 0.0, tokens=len(a))
    in_box = [words.tokens[t].words[0] in inside for t in positions]
    pairs = _main_runs(pairs, in_box)
    chosen = {j for _, j in pairs}
    for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]):
        gap = range(j1 + 1, j2)
        if len(gap) <= 2 * (i2 - i1 - 1) + GAP_SLACK:
            chosen.update(gap)
        else:
            chosen.update(j for j in gap if in_box[j])
    chosen.update(_edge(a[: pairs[0][0]], b, pairs[0][1], -1))
    chosen.update(_edge(a[pairs[-1][0] + 1:], b, pairs[-1][1], +1))
    picked = sorted(chosen)
    word_ids = _with_keyless(sorted({w for j in picked for w in words.tokens[positions[j]].words}), words)
    return Alignment(
        bbox=words.box_of(word_ids),
        score=agreement(a, [b[j] for j in picked]),
        words=word_ids,
        text=words.text_of(word_ids),
        tokens=len(a),
        where=where,
        last_token=positions[picked[-1]],
        matched=sorted({w for _, j in pairs for w in words.tokens[positions[j]].words}),
        span=(pairs[0][0], pairs[-1][0]),
    )


def _align_fuzzy(a: list[str], words: PageWords, positions: list[int], inside: set[int]) -> Alignment | None:
    """A short block none of whose keys matches exactly: the run of ``len(a)`` (+-1) candidate
    tokens whose letters agree best (ties: more words inside the box, then the earlier run)."""
    b = [words.tokens[t].key for t in positions]
    best: tuple[float, int, int, int] | None = None  # (score, words in box, -start, length)
    for size in {max(1, len(a) - 1), len(a), len(a) + 1}:
        for start in range(0, len(b) - size + 1):
            score = agreement(a, b[start:start + size])
            held = sum(words.tokens[positions[j]].words[0] in inside for j in range(start, start + size))
            cand = (score, held, -start, size)
            if best is None or cand > best:
                best = cand
    if best is None or best[0] <= 0.0:
        return None
    start, size = -best[2], best[3]
    picked = list(range(start, start + size))
    word_ids = _with_keyless(sorted({w for j in picked for w in words.tokens[positions[j]].words}), words)
    return Alignment(bbox=words.box_of(word_ids), score=best[0], words=word_ids, text=words.text_of(word_ids),
                     tokens=len(a), where="box", last_token=positions[picked[-1]])


def _with_keyless(word_ids: list[int], words: PageWords) -> list[int]:
    """``word_ids`` plus the words without letters or digits lying between two of them ("{",
    "+", "=" of code and formulas): no token stands for them, yet they are the block's text."""
    out = list(word_ids)
    for u, v in zip(word_ids, word_ids[1:]):
        between = range(u + 1, v)
        if between and all(w in words.keyless for w in between):
            out.extend(between)
    return sorted(out) if len(out) > len(word_ids) else word_ids


def _main_runs(pairs: list[tuple[int, int]], in_box: list[bool]) -> list[tuple[int, int]]:
    """Drop stray matches: split where the candidate gap is far longer than the block's (and not
    inside its box), keep the heaviest run and every run of at least 3 matches."""
    runs: list[list[tuple[int, int]]] = [[pairs[0]]]
    for prev, cur in zip(pairs, pairs[1:]):
        gap_b = range(prev[1] + 1, cur[1])
        if len(gap_b) > 2 * (cur[0] - prev[0] - 1) + GAP_SLACK and not all(in_box[j] for j in gap_b):
            runs.append([])
        runs[-1].append(cur)
    if len(runs) == 1:
        return pairs
    heaviest = max(runs, key=len)
    return [p for run in runs if run is heaviest or len(run) >= 3 for p in run]


def _edge(rest: list[str], b: list[str], j: int, step: int) -> list[int]:
    """Candidate tokens next to the first (step -1) or last (+1) match that are a misreading of
    the block's unmatched tokens at that end (at most as many, similar letters)."""
    rest = rest[:MAX_EDGE_TOKENS] if step > 0 else rest[-MAX_EDGE_TOKENS:]
    if not rest:
        return []
    take: list[int] = []
    k = j + step
    while 0 <= k < len(b) and len(take) < len(rest):
        take.append(k)
        k += step
    if not take:
        return []
    ours = rest if step > 0 else rest[::-1]
    theirs = [b[k] for k in take]
    # grow one token at a time while the letters still agree
    best: list[int] = []
    for n in range(1, len(take) + 1):
        mine = ours[:n]
        if agreement(mine if step > 0 else mine[::-1], theirs[:n] if step > 0 else theirs[:n][::-1]) >= 0.5:
            best = take[:n]
    if not best and len(ours[0]) == 1 and len(theirs[0]) == 1:
        best = take[:1]  # a one-character word misread as another ("l Introduction" for "1 Introduction")
    return best
