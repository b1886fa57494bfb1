from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from docparse.render.sanitize import safe_url, sanitize_html, sanitize_table

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JAVASCRIPT:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<svg onload=alert(1)><circle/></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<table><tr><td style="background:url(javascript:alert(1))" onmouseover="x()">c</td></tr></table>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<td colspan="2" rowspan="3" scope="row" ONCLICK="x()">ok</td>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<p title="&quot; onmouseover=&quot;alert(1)">x</p>',
    "<</script>script>alert(1)<</script>/script>",
    '<a href="http://ok.example/" target="_blank" onclick="x()">fine</a>',
]


def assert_clean(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name not in ("script", "style", "svg", "iframe", "object", "embed", "form", "base", "meta", "math")
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), name
            assert name not in ("style", "target", "action", "data", "srcdoc")
            if name in ("href", "src"):
                compact = re.sub(r"[\x00-\x20]", "", str(value)).lower()
                assert not compact.startswith(("javascript:", "vbscript:", "data:text", "data:image/svg"))
    # and nothing the browser would read as markup again
    assert "<script" not in html.lower()


@pytest.mark.parametrize("fragment", HOSTILE)
def test_hostile_input_is_neutralised(fragment: str) -> None:
    assert_clean(sanitize_html(fragment))


def test_table_structure_and_spans_survive() -> None:
    html = '<table><thead><tr><th colspan="2" scope="col">H</th></tr></thead><tbody><tr><td rowspan="2">a</td><td>b<br>c</td></tr></tbody></table>'
    assert sanitize_html(html) == html


def test_text_is_escaped_again() -> None:
    assert sanitize_html("<td>1 &lt; 2 &amp; <b>3</b> > 0</td>") == "<td>1 &lt; 2 &amp; <b>3</b> &gt; 0</td>"


def test_unknown_wrappers_keep_text_and_dropped_tags_lose_it() -> None:
    assert sanitize_html("<center><font color=red>kept</font></center><script>gone</script>") == "kept"


def test_spans_are_clamped_and_numeric() -> None:
    assert sanitize_html('<td colspan="99999999" rowspan="two">x</td>') == '<td colspan="1000">x</td>'


def test_links_and_images() -> None:
    assert sanitize_html('<a href="https://e.org/?a=1&b=2">x</a>') == (
        '<a href="https://e.org/?a=1&amp;b=2" rel="noopener noreferrer nofollow">x</a>'
    )
    assert sanitize_html('<img src="https://tracker.example/p.gif">') == ""  # no remote loads
    assert sanitize_html('<img src="//tracker.example/p.gif">') == ""
    # data: URIs come only from docparse's own crops (render.html), never from table markup
    assert sanitize_html('<img src="data:image/png;base64,iVBOR" alt="a">') == ""
    assert sanitize_html('<img src=" DATA:image/png;base64,iVBOR">') == ""
    assert sanitize_html('<a href="data:image/png;base64,iVBOR">x</a>') == "<a>x</a>"
    assert sanitize_html('<img src="assets/p0-b1.png">') == '<img src="assets/p0-b1.png">'


def test_safe_url() -> None:
    assert safe_url("assets/x.png") == "assets/x.png"
    assert safe_url("#frag") == "#frag"
    assert safe_url("mailto:a@b.c") == "mailto:a@b.c"
    assert safe_url("\x01javascript:alert(1)") is None
    assert safe_url("data:image/png;base64,AAAA") is None  # only where allowed
    assert safe_url("data:image/png;base64,AAAA", allow_data_image=True) is not None
    assert safe_url("") is None and safe_url(None) is None


def test_sanitize_table_wraps_loose_rows() -> None:
    assert sanitize_table("<tr><td>1</td></tr>") == "<table><tr><td>1</td></tr></table>"
    assert sanitize_table("<p>n</p><table><tr><td>1</td></tr></table>") == "<p>n</p><table><tr><td>1</td></tr></table>"
    assert sanitize_table("<script>x</script>") == ""
    assert sanitize_table(None) == ""


TOKENS = list("<>/=\"' \tabcdijlnoprstvx:&#;()!-") + [
    "script", "onerror", "javascript:", "img", "svg", "href", "src", "td", "style", "<!--", "-->", "&#x09;",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_random_markup_never_yields_active_content(fragment: str) -> None:
    assert_clean(sanitize_html(fragment))


def test_deep_nesting_keeps_text_without_recursion_error() -> None:
    deep = "<div>" * 5000 + "x<script>bad()</script>" + "</div>" * 5000
    out = sanitize_table(f"<table><tr><td>{deep}</td></tr></table>")
    assert out.startswith("<table><tr><td>") and "x" in out
    assert "bad()" not in out and "<script" not in out
