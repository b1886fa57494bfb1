"""Fuzzing every profile reader: whatever a model writes, the reader returns blocks (never raises),
boxes stay on the page and the rendered HTML carries nothing live."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docparse.document import Document, EngineInfo, Page, SourceInfo
from docparse.geometry import PageSpace
from docparse.profiles import PROFILES
from docparse.profiles.dolphin import read_dolphin_page_json

SPACE = PageSpace(612.0, 792.0, 1008, 1288)

#: Pieces of every dialect, hostile markup included; the fuzzer glues them with random text.
FRAGMENTS = [
    "---\n", "primary_language: en\n", "is_rotation_valid: False\n", "rotation_correction: 90\n", "is_table: True\n",
    "# ", "## Heading\n", "- item\n", "1. first\n", "  continued\n", "| a | b |\n", "|---|---|\n", "| 1 | 2 |\n",
    "<table><tr><td rowspan=\"99999\" onclick=\"x()\">c</td>", "</table>", "<tr><th colspan=3>h</th></tr>",
    "$$", "\\[", "\\]", "x^2", "```", "```mermaid\n", "```html\n", "<img>", "</img>", "<watermark>W</watermark>",
    "<page_number>3</page_number>", "<signature>S</signature>", "☐ ☑ ☒", "![alt](page_1_2_3_4.png)", "![x](image)",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">l</a>",
    "<svg onload=alert(1)>", "<md>", "</md>", "Figure 1: cap\n", "Table 2. cap\n",
    '[{"bbox": [1, 2, 300, 400], "category": "Table", "text": "<table><tr><td>x</td></tr></table>"},',
    '{"bbox": [-5, 9e9, "a", null], "category": "Picture"}', '{"bbox_2d": [10, 10, 50, 20], "text_content": "t",},',
    '"category": "Section-header", "text": "## H"}', "]", "[", "{", "}", ",", "[1,2,3,4][para][PAIR_SEP]",
    "[0.1,0.2,0.3,0.4] sec[RELATION_SEP]", "[5,5,2000,3000][tab][page_num]", "[PAIR_SEP]",
    '<p data-bbox="1 2 3 4">p</p>', '<div class="formula">$$y$$</div>', "\n\n", "\n", " ", "\x00", "\ufffd",
]
model_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join)
READERS = {name: p.reader for name, p in PROFILES.items()} | {"dolphin-page-json": read_dolphin_page_json}


def check(reading) -> None:  # noqa: ANN001
    for block in reading.blocks:
        x0, y0, x1, y1 = block.bbox
        assert 0 <= x0 <= x1 <= SPACE.width_pt and 0 <= y0 <= y1 <= SPACE.height_pt
        assert isinstance(block.text, str)
    page = Page(index=0, width=SPACE.width_pt, height=SPACE.height_pt, blocks=reading.blocks)
    doc = Document(SourceInfo(), EngineInfo("fuzz"), [page])
    assert_nothing_live(doc.to_html())
    doc.to_markdown()


def assert_nothing_live(html: str) -> None:
    """No script/svg element, no event handler, no javascript:/data: link in the parsed page
    (model text shown escaped, e.g. ``&lt;script&gt;``, is not live and is fine)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["svg", "iframe", "object", "embed", "circle"])
    assert all(s.get("src") is None and "alert" not in (s.string or "") for s in soup.find_all("script"))
    for tag in soup.find_all(True):
        for key, value in tag.attrs.items():
            assert not key.lower().startswith("on"), (tag.name, key)
            if key in ("href", "src"):
                v = "".join(str(value).split()).lower()
                assert not v.startswith(("javascript:", "vbscript:")), v


@pytest.mark.parametrize("name", sorted(READERS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=model_text)
def test_reader_never_raises_and_renders_nothing_live(name, raw):
    check(READERS[name](raw, SPACE, 0, "fuzz"))
