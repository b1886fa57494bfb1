"""Every pass over page text runs in time linear in the text (issue 13, item 1).

A regular expression that backtracks over a long run of one character class (an unbroken
80,000-letter word, a run of spaces or digits) made conversions take minutes. The fixed patterns
are checked against the straightforward ones they replace on short texts (same output), and
every module-level pattern over page text is run against long adversarial runs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import docparse
from docparse.document import Block, Document, EngineInfo, Label, Page, SourceInfo, block_id
from docparse.passes import run_passes
from docparse.qwenvl.markup import display_math

P = importlib.import_module("docparse.passes.paragraphs")  # the package re-exports a function of that name

#: Modules whose patterns see page text or model output.
TEXT_PACKAGES = ("docparse.passes", "docparse.qwenvl", "docparse.render")
TEXT_MODULES = ("docparse.engines.layout.labels", "docparse.engines.layout.regions.heuristic", "docparse.engines.layout.text")
#: Patterns only ever used with ``.match`` at one position (so a scan from every position is not
#: how they run): (module, name).
MATCH_ONLY = {("docparse.qwenvl.markup", "_TAG_NAME")}
#: Runs that make a backtracking pattern rescan: every character class the patterns use.
UNITS = [
    "a", "A", "I", "1", " ", "\t", "\n", "-", "a-", "a ", "1 ", "1.", ".", ",", ":", "(", ")", "<", "<a", "<p>",
    "$", "$$", "\\[", "`", "#", "|", "*", "_", "&", "=", "-\n", "a-\n", "\u00ad", "é", "这", "- ", " -", "i.",
]
N = 3000  # characters per run: a quadratic pattern takes seconds here, a linear one microseconds
PER_PATTERN_S = 1.0  # generous for a loaded 2-core machine; the quadratic ones took 16-19 s at 8,000


def _text_patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    names = list(TEXT_MODULES)
    for pkg_name in TEXT_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        names += [m.name for m in pkgutil.iter_modules(pkg.__path__, pkg_name + ".")]
    found = []
    for name in names:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, re.Pattern) and value.pattern and isinstance(value.pattern, str):
                found.append((name, attr, value))
    return found


PATTERNS = _text_patterns()


def test_the_audit_sees_the_patterns() -> None:
    names = {(m, a) for m, a, _ in PATTERNS}
    assert ("docparse.passes.paragraphs", "_LINE_BREAK_HYPHEN") in names
    assert ("docparse.qwenvl.markup", "_STRAY_LT") in names
    assert len(PATTERNS) > 30


@pytest.mark.parametrize("module,name,pattern", PATTERNS, ids=[f"{m.rsplit('.', 1)[1]}.{a}" for m, a, _ in PATTERNS])
def test_pattern_is_linear_on_long_runs(module: str, name: str, pattern: re.Pattern[str]) -> None:
    run = pattern.match if (module, name) in MATCH_ONLY else pattern.findall
    start = time.perf_counter()
    for unit in UNITS:
        for tail in ("", "!", "x\x00"):
            run(unit * (N // len(unit)) + tail)
    assert time.perf_counter() - start < PER_PATTERN_S, f"{module}.{name} backtracks on a long run"


# -- the replaced patterns, as they were: the reference on short texts ------------------------------
_OLD_LINE_HYPHEN = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)[" + P.HYPHENS + r"][ \t]*\n[ \t]*([^\W_]+)")
_OLD_LAST_TOKEN = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)[" + P.HYPHENS + r"]$")
_OLD_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.S)
VOCAB = P.Vocabulary(["well known state of the art multi layer"])


def _old_dehyphenate(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        return f"{left}-{right}" if P.keep_hyphen(left, right, VOCAB) else left + right

    return _OLD_LINE_HYPHEN.sub(fix, text)


SHORT = st.text(alphabet="ab-\n \t1A\u00ad\u2010é_.", max_size=24)


@settings(max_examples=400, deadline=None)
@given(SHORT)
def test_dehyphenation_same_as_the_plain_pattern(text: str) -> None:
    assert P.dehyphenate_lines(text, VOCAB) == _old_dehyphenate(text)
    stripped = text.rstrip()
    m = _OLD_LAST_TOKEN.search(stripped)
    assert P._last_token(stripped) == (m.group(1) if m else "")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["$", "$$", "\\[", "\\]", "a", " ", "\n", "\\"]), max_size=12))
def test_display_math_same_as_the_plain_pattern(parts: list[str]) -> None:
    text = "".join(parts)
    old = [(m.start(), m.end(), m.group(1) if m.group(1) is not None else m.group(2)) for m in _OLD_DISPLAY_MATH.finditer(text)]
    assert display_math(text) == old


def test_dehyphenation_examples() -> None:
    assert P.dehyphenate_lines("gravi-\nmetric and state-of-the-\nart", VOCAB) == "gravimetric and state-of-the-art"
    assert P.dehyphenate_lines("ab-\ncd-ef-\ngh", VOCAB) == _old_dehyphenate("ab-\ncd-ef-\ngh")


# -- whole passes over hostile texts ---------------------------------------------------------------
HOSTILE = [
    "a" * 200_000,
    "a" * 200_000 + "-\nb",
    "a-" * 100_000 + "\nb",
    "a" * 200_000 + "1",
    " " * 200_000 + "x",
    "1" * 200_000,
    "Table " + "1" * 200_000,
    "#" * 200_000 + "x",
    "- " * 100_000,
]


def _doc(texts: list[str], label: Label) -> Document:
    blocks = [
        Block(id=block_id(0, i), label=label, bbox=(72, 100 + 20 * i, 540, 115 + 20 * i), text=t, page=0, order=i)
        for i, t in enumerate(texts)
    ]
    page = Page(index=0, width=612, height=792, blocks=blocks)
    return Document(source=SourceInfo(name="x.pdf"), engine=EngineInfo(name="test"), pages=[page])


@pytest.mark.parametrize("label", [Label.PARAGRAPH, Label.HEADING, Label.CAPTION])
def test_passes_and_renderers_are_linear_on_hostile_text(label: Label) -> None:
    doc = _doc(HOSTILE, label)
    start = time.perf_counter()
    run_passes(doc)
    doc.to_markdown()
    doc.to_html()
    elapsed = time.perf_counter() - start
    assert not [w for w in doc.warnings if "failed" in w]
    assert elapsed < 10.0, f"passes + renderers took {elapsed:.1f} s on 1.8 M characters"


def test_long_word_pdf_converts_fast(tmp_path) -> None:
    """One unbroken 200,000-letter word (a 1.4 KB PDF): took minutes, now about a second."""
    import pymupdf

    from docparse.engines.layout import LayoutEngine

    path = tmp_path / "word.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((10, 100), "a" * 200_000, fontsize=580 / 200_000 / 0.556)  # one line across the page
    page.insert_text((72, 300), "Some ordinary body text follows the word.", fontsize=11)
    doc.save(path, deflate=True, garbage=4)
    doc.close()
    engine = LayoutEngine()
    start = time.perf_counter()
    result = docparse.convert(path, engine=engine)
    elapsed = time.perf_counter() - start
    assert elapsed < 15.0, f"took {elapsed:.1f} s"  # ~1 s alone; minutes before the fix
    text = "".join(b.text for b in result.pages[0].blocks)
    assert "a" * 200_000 in text
    assert any("200000 characters" in w for w in result.pages[0].warnings)
