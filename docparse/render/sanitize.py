"""An allowlist HTML sanitizer for untrusted fragments (table and chart markup from PDFs and models).

The fragment is parsed and *rebuilt*: only allowlisted tags and attributes are written back, every
text and attribute value is escaped again, and nothing of the input's serialisation survives. So
whatever the parser made of broken or hostile markup, the output carries no script, no event
handler, no style and no javascript:/data: URL (in ``href`` or ``src``: a ``data:`` image in a
table is page or model content like any other; the only data URIs docparse writes are its own
figure crops, which ``render.html`` passes with ``safe_url(..., allow_data_image=True)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Callable

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

#: Tags written back (attributes filtered further below).
ALLOWED_TAGS = frozenset(
    {
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
        "b", "strong", "i", "em", "u", "s", "del", "ins", "sub", "sup", "small", "mark", "span",
        "br", "p", "div", "ul", "ol", "li", "code", "pre", "a", "img",
    }
)  # fmt: skip

#: Tags dropped with everything inside them (their text is not content).
DROPPED_TAGS = frozenset(
    {
        "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet",
        "noscript", "noembed", "noframes", "svg", "canvas", "audio", "video", "source",
        "track", "head", "title", "meta", "link", "base", "form", "input", "button", "select",
        "textarea", "option", "xmp", "plaintext",
    }
)  # fmt: skip

VOID_TAGS = frozenset({"br", "img", "col"})

#: Attributes kept, per tag ("*" for every allowed tag).
ALLOWED_ATTRS: dict[str, frozenset[str]] = {
    "*": frozenset({"title", "lang", "dir"}),
    "th": frozenset({"rowspan", "colspan", "scope", "headers", "align"}),
    "td": frozenset({"rowspan", "colspan", "headers", "align"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "type"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
}

_NUMERIC_ATTRS = frozenset({"rowspan", "colspan", "span", "start", "width", "height"})
#: A BCP 47 language tag ("ar", "fa-IR", "zh-Hans"): nothing else reaches a ``lang`` attribute.
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$")
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[a-z0-9+/=\s]*$", re.I)
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")
MAX_SPAN = 1000  # a rowspan of 10**9 is a denial of service for table layout
MAX_DEPTH = 64  # deeper markup is not a table; below this depth only its text is kept


@dataclass(frozen=True)
class _Policy:
    """What one kind of fragment may keep: tags written back, tags dropped with their content,
    empty tags, and the attribute filter."""

    allowed: frozenset[str]
    dropped: frozenset[str]
    void: frozenset[str]
    clean_attrs: Callable[[str, dict[str, object]], list[tuple[str, str]]]


def sanitize_html(fragment: str | None) -> str:
    """The fragment rebuilt from allowlisted tags and attributes only; text is escaped."""
    return _rebuild(fragment, _HTML_POLICY)


def _rebuild(fragment: str | None, policy: _Policy) -> str:
    if not fragment:
        return ""
    soup = BeautifulSoup(fragment, "html.parser")
    out: list[str] = []
    for child in soup.contents:
        _write(child, out, 0, policy)
    return "".join(out)


def safe_url(url: str | None, allow_data_image: bool = False) -> str | None:
    """``url`` when it is relative, a fragment or http(s)/mailto (optionally a base64 raster
    ``data:image``); None otherwise. Browsers ignore control characters and spaces inside a
    scheme ("java\\tscript:"), so they are removed before the check."""
    if url is None:
        return None
    compact = _CONTROL_OR_SPACE.sub("", url)
    if not compact:
        return None
    lower = compact.lower()
    if allow_data_image and _SAFE_DATA_IMAGE.match(url.strip()):
        return url.strip()
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", lower)
    if scheme is None:
        # Relative path or fragment. A ":" before the first "/" would make a scheme in a browser.
        return url.strip()
    if lower.startswith(_SAFE_SCHEMES):
        return url.strip()
    return None


def _write(node: object, out: list[str], depth: int, policy: _Policy) -> None:
    if isinstance(node, Comment):
        return
    if isinstance(node, NavigableString):
        # Other NavigableString subclasses (CData, Doctype, ProcessingInstruction, Declaration)
        # are not content.
        if type(node) is NavigableString:
            out.append(escape(str(node), quote=False))
        return
    if not isinstance(node, Tag):
        return
    name = (node.name or "").lower()
    if name in policy.dropped:
        return
    if depth >= MAX_DEPTH:  # hostile nesting must not exhaust the stack: text only from here
        out.append(escape(_visible_text(node, policy.dropped), quote=False))
        return
    if name not in policy.allowed:  # unknown wrapper (font, center, html, body ...): keep its content
        for child in node.contents:
            _write(child, out, depth + 1, policy)
        return
    attrs = policy.clean_attrs(name, node.attrs)
    if name == "img" and not any(k == "src" for k, _ in attrs):
        return  # its only source was unsafe: nothing left to show
    out.append("<" + name + "".join(f' {k}="{escape(v, quote=True)}"' for k, v in attrs))
    out.append(">")
    if name in policy.void:
        return
    for child in node.contents:
        _write(child, out, depth + 1, policy)
    out.append(f"</{name}>")


def _visible_text(node: Tag, dropped: frozenset[str]) -> str:
    """The text of a subtree without the text of dropped tags (iterative: any depth)."""
    parts: list[str] = []
    for text in node.find_all(string=True):
        if type(text) is not NavigableString:
            continue
        if any((p.name or "").lower() in dropped for p in text.parents):
            continue
        parts.append(str(text))
    return "".join(parts)


def _clean_attrs(tag: str, attrs: dict[str, object]) -> list[tuple[str, str]]:
    allowed = ALLOWED_ATTRS["*"] | ALLOWED_ATTRS.get(tag, frozenset())
    kept: list[tuple[str, str]] = []
    for raw_key, raw_value in attrs.items():
        key = str(raw_key).lower()
        if key not in allowed:
            continue
        value = " ".join(raw_value) if isinstance(raw_value, list) else str(raw_value)
        if key in _NUMERIC_ATTRS:
            digits = value.strip()
            if not digits.isdigit():
                continue
            value = str(max(1, min(int(digits), MAX_SPAN)) if key != "start" else int(digits))
        elif key == "href":
            url = safe_url(value)
            if url is None:
                continue
            value = url
        elif key == "src":
            # No remote images (the page must read offline and must not call home), no data: URIs.
            url = safe_url(value)
            if url is None or url.startswith("//") or url.lower().startswith(_SAFE_SCHEMES):
                continue
            value = url
        elif key == "align" and value.lower() not in ("left", "right", "center", "justify"):
            continue
        elif key == "dir" and value.lower() not in ("ltr", "rtl", "auto"):
            continue
        elif key == "lang" and not _LANGUAGE_TAG.match(value.strip()):
            continue
        kept.append((key, value))
    if tag == "a" and any(k == "href" for k, _ in kept):
        kept.append(("rel", "noopener noreferrer nofollow"))
    return kept


def sanitize_table(fragment: str | None) -> str:
    """``sanitize_html`` for table markup; rows or cells given without a ``<table>`` around
    them get one, so the output is always one well-formed table (or "")."""
    clean = sanitize_html(fragment).strip()
    if clean and "<table" not in clean.lower():
        clean = f"<table>{clean}</table>"
    return clean


_HTML_POLICY = _Policy(ALLOWED_TAGS, DROPPED_TAGS, VOID_TAGS, _clean_attrs)

# -- MathML (formulas: latex2mathml's output, written by docparse from untrusted LaTeX) ------------

#: MathML Core presentation elements. No ``annotation-xml`` (it may carry HTML), no ``maction``
#: (it toggles on events), nothing with a link.
MATHML_TAGS = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
        "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mmultiscripts", "mprescripts",
        "none", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror",
        "mfenced", "semantics", "annotation",
    }
)  # fmt: skip
MATHML_DROPPED = DROPPED_TAGS | {"annotation-xml", "maction"}
MATHML_VOID = frozenset({"mspace", "mprescripts", "none"})
#: Presentation attributes kept; their values must look like a word, a number or a length.
MATHML_ATTRS = frozenset(
    {
        "display", "mathvariant", "mathsize", "mathcolor", "mathbackground", "dir",
        "stretchy", "fence", "form", "separator", "accent", "accentunder", "lspace", "rspace",
        "minsize", "maxsize", "largeop", "movablelimits", "symmetric", "linethickness", "bevelled",
        "numalign", "denomalign", "columnalign", "rowalign", "columnspacing", "rowspacing",
        "columnlines", "rowlines", "frame", "framespacing", "equalrows", "equalcolumns",
        "columnspan", "rowspan", "width", "height", "depth", "voffset", "notation",
        "displaystyle", "scriptlevel", "open", "close", "separators", "encoding",
    }
)  # fmt: skip
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
# Words, numbers, lengths, colour names and #rgb: no "(", ":", quotes or "/" (no url(), no scheme).
_MATHML_VALUE = re.compile(r"^[#A-Za-z0-9 .%+\-]{0,64}$")


def _clean_mathml_attrs(tag: str, attrs: dict[str, object]) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for raw_key, raw_value in attrs.items():
        key = str(raw_key).lower()
        value = " ".join(raw_value) if isinstance(raw_value, list) else str(raw_value)
        if key == "xmlns" and tag == "math" and value == MATHML_NAMESPACE:
            kept.append((key, value))
        elif key in MATHML_ATTRS and _MATHML_VALUE.match(value):
            kept.append((key, value))
    return kept


_MATHML_POLICY = _Policy(MATHML_TAGS, MATHML_DROPPED, MATHML_VOID, _clean_mathml_attrs)


def sanitize_mathml(fragment: str | None) -> str:
    """A MathML fragment rebuilt from MathML presentation elements and attributes only (no
    links, no event handlers, no style, no ``annotation-xml``); "" unless it is one ``<math>``."""
    clean = _rebuild(fragment, _MATHML_POLICY).strip()
    return clean if clean.startswith("<math") and clean.endswith("</math>") else ""
