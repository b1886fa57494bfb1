"""Low-level helpers of the QwenVL HTML reader: unwrap, repair, parse, take text, take boxes.

Model output is untrusted and often broken (fences, prose around it, cut off at the token limit,
LaTeX ``<`` that looks like a tag). Everything here is total: no input makes it raise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from docparse.qwenvl.tags import BLOCK_TAGS, IGNORED_TAGS, KNOWN_TAGS

PixelBox = tuple[float, float, float, float]

_FENCE_LINE = re.compile(r"```[^\n]*\n?")
_CLOSING_FENCE = re.compile(r"(?:^|\n)[ \t]*```[ \t]*(?:\n|$)")
_CLOSERS = re.compile(r"</\s*(?:html|body)\s*>", re.I)
_OPENERS = re.compile(r"<\s*(?:html|body)[\s>]", re.I)
# A "<" that does not open a known tag, a closing tag, a comment or a declaration is text.
# Unknown names count as tags only in unmistakable shapes: <name>, </name>, <name attr="...
_STRAY_LT = re.compile(
    r"<(?!/?\s*(?:%s)(?=[\s/>])|!|/?[A-Za-z][\w-]*\s*>|[A-Za-z][\w-]*\s+[\w-]+\s*=\s*[\"'])"
    % "|".join(sorted((re.escape(t) for t in KNOWN_TAGS), key=len, reverse=True)),
    re.I,
)
_TAG_NAME = re.compile(r"([A-Za-z][\w-]*)(\s|$)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_MAX_DEPTH = 200  # deeper markup is not a page layout; stop descending


@dataclass
class Prepared:
    """Model output unwrapped and repaired, ready for the HTML parser."""

    html: str
    cut_tag: bool = False  # an unfinished tag at the end was dropped
    unclosed: bool = False  # <html>/<body> was opened but never closed
    ends_mid_text: bool = False  # the output stops inside an element's text
    notes: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.cut_tag or self.unclosed or self.ends_mid_text


def prepare(raw: str) -> Prepared:
    """Strip a ```html fence (and prose around it), drop an unfinished last tag, escape stray "<"."""
    text = raw if isinstance(raw, str) else ""
    text = text.replace("\x00", "")
    fence = text.find("```")
    fenced = fence >= 0 and "<" not in text[:fence]  # a fence before any markup opens the HTML
    if fenced:
        m = _FENCE_LINE.match(text, fence)
        text = text[m.end() if m else fence + 3 :]
    closers = list(_CLOSERS.finditer(text))
    complete = bool(closers)
    if complete:
        text = text[: closers[-1].end()]  # drop the closing fence and any prose after it
    else:
        close = _CLOSING_FENCE.search(text) if fenced else None
        if close is not None:
            text = text[: close.start()]
            complete = True  # the model closed its fence: nothing was cut off
        elif text.rstrip().endswith("```"):
            text = text.rstrip()[:-3]
    out = Prepared(html=text)
    if not complete:
        last = text.rfind("<")
        if last >= 0 and ">" not in text[last:]:
            if _is_partial_tag(text[last + 1 :]):
                text = text[:last]
                out.cut_tag = True
        out.unclosed = bool(_OPENERS.search(text))
        body = text.rstrip()
        out.ends_mid_text = bool(body) and not body.endswith(">") and "<" in body
    out.html = _STRAY_LT.sub("&lt;", text)
    return out


def _is_partial_tag(tail: str) -> bool:
    """Whether the text after a last, unclosed "<" is a tag cut off by the token limit."""
    if tail[:1] in ("", "/", "!"):
        return True
    m = _TAG_NAME.match(tail)
    if m is None:
        return False
    return m.group(2) == "" or m.group(1).lower() in KNOWN_TAGS  # "<h" mid-name, "<img src=.."


#: Display-math delimiters: opener -> closer.
_MATH_DELIMITERS = {"$$": "$$", "\\[": "\\]"}


def display_math(text: str) -> list[tuple[int, int, str]]:
    """``$$...$$`` and ``\\[...\\]`` spans in ``text``: (start, end, inner LaTeX), left to right.

    A scan with ``str.find`` rather than a lazy regex: ``\\$\\$(.+?)\\$\\$`` retries from every
    unclosed opener and is quadratic on a long run of them. An opener whose closer never comes
    disables that kind for the rest of the text (no later one can close either).
    """
    spans: list[tuple[int, int, str]] = []
    live = dict(_MATH_DELIMITERS)
    pos = 0
    while live:
        found = [(text.find(o, pos), o) for o in live]
        found = [(i, o) for i, o in found if i >= 0]
        if not found:
            break
        start, opener = min(found)
        close = text.find(live[opener], start + len(opener) + 1)  # the LaTeX has >= 1 character
        if close < 0:
            del live[opener]
            continue
        end = close + len(live[opener])
        spans.append((start, end, text[start + len(opener) : close]))
        pos = end
    return spans


def parse(html: str) -> tuple[BeautifulSoup, str]:
    """Parse with lxml (repairs unclosed p/li/td as browsers do), html.parser as a fallback."""
    try:
        return BeautifulSoup(html, "lxml"), "lxml"
    except Exception:  # pragma: no cover - lxml missing or choking: the stdlib parser never fails
        return BeautifulSoup(html, "html.parser"), "html.parser"


def is_markup_noise(node: object) -> bool:
    """Comments, doctypes and processing instructions: never page content."""
    return isinstance(node, (Comment, Doctype, Declaration, ProcessingInstruction))


def element_text(node: Tag, verbatim: bool = False, skip: frozenset[str] = frozenset()) -> str:
    """The text of an element: block children on their own lines, ``<br>`` as a line break.

    ``verbatim`` keeps line breaks and indentation (code, abc notation); otherwise all
    whitespace collapses to single spaces. Elements named in ``skip`` are left out.
    """
    parts: list[str] = []
    _collect(node, parts, skip, 0)
    raw = "".join(parts)
    if not verbatim:
        return " ".join(raw.split())
    lines = [line.rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _collect(node: Tag, parts: list[str], skip: frozenset[str], depth: int) -> None:
    if depth > _MAX_DEPTH:  # no deeper recursion, but keep the text: flat, without structure
        parts.append(node.get_text())
        return
    for child in node.children:
        if isinstance(child, NavigableString):
            if not is_markup_noise(child):
                parts.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = (child.name or "").lower()
        if name == "br":
            parts.append("\n")
            continue
        if name in IGNORED_TAGS or name in skip:
            continue
        block = name in BLOCK_TAGS or name in ("td", "th")
        if block:
            parts.append("\n" if name not in ("td", "th") else " ")
        _collect(child, parts, skip, depth + 1)
        if block:
            parts.append("\n" if name not in ("td", "th") else " ")


def parse_box(value: object) -> PixelBox | None:
    """A ``data-bbox`` value ("x1 y1 x2 y2", commas and brackets tolerated) -> pixel box or None."""
    if not isinstance(value, str):
        return None
    nums = _NUMBER.findall(value)
    if len(nums) != 4:
        return None
    box = tuple(float(n) for n in nums)
    if not all(math.isfinite(v) for v in box):
        return None
    return box  # type: ignore[return-value]


def parse_polygon(value: object) -> PixelBox | None:
    """A ``data-polygon`` value (x y pairs) -> the pixel box around it, or None."""
    if not isinstance(value, str):
        return None
    nums = [float(n) for n in _NUMBER.findall(value)]
    if len(nums) < 4 or len(nums) % 2 or not all(math.isfinite(v) for v in nums):
        return None
    xs, ys = nums[0::2], nums[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def attr_str(node: Tag, name: str) -> str | None:
    """An attribute as one string (bs4 gives lists for multi-valued attributes like class)."""
    value = node.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def nesting_depth(node: Tag) -> int:
    """How deep elements nest under ``node`` (iterative: 10,000 levels must not recurse)."""
    deepest = 0
    stack: list[tuple[Tag, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in current.children if isinstance(c, Tag))
    return deepest


MAX_TEXT_DEPTH = _MAX_DEPTH


def depth_limited_tags(node: Tag, name: str, max_depth: int = _MAX_DEPTH) -> list[Tag]:
    """Descendant tags called ``name`` (bounded depth, document order)."""
    found: list[Tag] = []
    stack: list[tuple[Tag, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > max_depth:
            continue
        children = [c for c in current.children if isinstance(c, Tag)]
        for child in reversed(children):
            stack.append((child, depth + 1))
        if current is not node and (current.name or "").lower() == name:
            found.append(current)
    return found
