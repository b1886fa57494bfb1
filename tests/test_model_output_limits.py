"""Oversized and hostile model output (issue 13, item 13): a page is capped at what its token
limit can say, with a warning, and text nested deeper than the reader descends is kept."""

from __future__ import annotations

import time

from docparse.engines.base import MAX_CHARS_PER_TOKEN, PageInput, cap_output, qwenvl_output
from docparse.document import PageStatus
from docparse.geometry import PageSpace
from docparse.qwenvl.reader import read_qwenvl

SPACE = PageSpace(612, 792, 1000, 1300)


def _page() -> PageInput:
    return PageInput(doc=None, index=0, width=612, height=792, image_size=(1000, 1300), render=lambda: None)


def test_cap_keeps_an_ordinary_page_whole() -> None:
    raw = '<html><body><p data-bbox="10 10 500 40">Hello</p></body></html>'
    assert cap_output(raw, 100) == (raw, None)


def test_a_50_mb_page_is_cut_to_the_token_limit_with_a_warning() -> None:
    """50 MB of text took the paragraphs pass minutes; 50 MB of <p> 83 s and 8.5 GB."""
    for raw in ("word " * 10_000_000, "<p>" * 16_666_666):
        start = time.perf_counter()
        out = qwenvl_output(_page(), raw, "eos", "remote", max_tokens=1024)
        elapsed = time.perf_counter() - start
        assert elapsed < 10.0, f"{elapsed:.1f} s"  # ~0.2 s alone
        assert out.status is PageStatus.PARTIAL
        assert "tokens can say" in out.warnings[0]
        assert len(out.raw) <= 1024 * MAX_CHARS_PER_TOKEN


def test_tag_count_is_capped_too() -> None:
    raw, why = cap_output("<p>" * 10_000, 100)
    assert raw.count("<") <= 200 and why is not None


def test_text_nested_10000_deep_is_kept_and_warned() -> None:
    raw = '<html><body><p data-bbox="10 10 500 50">' + "<span>" * 10_000 + "deep text" + "</span>" * 10_000 + "</p></body></html>"
    result = read_qwenvl(raw, SPACE)
    assert [b.text for b in result.blocks] == ["deep text"]
    assert any("nested 10" in w for w in result.warnings)


def test_moderate_nesting_reads_without_a_warning() -> None:
    raw = '<html><body><p data-bbox="10 10 500 50">' + "<span>" * 50 + "text" + "</span>" * 50 + "</p></body></html>"
    result = read_qwenvl(raw, SPACE)
    assert [b.text for b in result.blocks] == ["text"] and result.warnings == []


def test_every_profile_reader_gets_the_cap() -> None:
    """The dialect readers (olmOCR, Nanonets, ...) share ``read_safely``: the cap is there too."""
    from docparse.profiles import PROFILES
    from docparse.profiles.base import PageContext, Reply
    from docparse.profiles.jobs import finish, read_safely

    ctx = PageContext(page=_page(), source="remote", min_pixels=3136, max_pixels=1_605_632, dpi=200, align=False)
    raw = "word " * 4_000_000  # 20 MB
    for profile in PROFILES.values():
        if profile.reader is None:
            continue
        start = time.perf_counter()
        reading = read_safely(profile, raw, SPACE, ctx)
        assert time.perf_counter() - start < 10.0, profile.name
        assert "tokens can say" in reading.warnings[0], profile.name
        out = finish(ctx, profile, reading, Reply(text=raw, stop_reason="eos"), 1000, 1300)
        assert out.status is PageStatus.PARTIAL, profile.name
