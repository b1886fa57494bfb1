"""The request each profile sends (prompt bytes, chat order, system turn, image size, settings),
checked against the families' PROMPT.md facts and byte-exact prompt files, and the page jobs
(ladder, rotation retry, Dolphin's two stages, MonkeyOCR's crops) driven with stored answers."""

from __future__ import annotations

import os
from pathlib import Path

import pymupdf
import pytest

from docparse.document import Label, PageStatus
from docparse.profiles import PROFILES, get_profile
from docparse.profiles.base import Reply
from docparse.profiles.jobs import drive
from docparse.profiles.base import PageContext
from docparse.source import make_page_input
from tests.conftest import make_pdf

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCPARSE_SHARED") or REPO.parent / "shared")
OUTPUTS = SHARED / "model-outputs"

#: (profile, --prompt, prompt file byte-exact under model-outputs/)
PROMPT_FILES = [
    ("olmocr", "v4", "olmocr2/prompt-v4-olmocr2.txt"),
    ("olmocr", "v3", "olmocr2/prompt-v3-olmocr-0725-0825.txt"),
    ("nanonets", "full", "nanonets/prompt-nanonets-ocr-s-and-ocr2.txt"),
    ("nanonets", "docext", "nanonets/prompt-docext-pdf2md-short.txt"),
    ("rolmocr", "default", "rolmocr/prompt-rolmocr.txt"),
    ("infinity-parser", "server", "infinity-parser/prompt-readme-vllm-server-example.txt"),
    ("infinity-parser", "cli", "infinity-parser/prompt-cli-consant-PROMPT.txt"),
    ("infinity-parser", "short", "infinity-parser/prompt-readme-transformers-example.txt"),
    ("dotsocr", "layout-all", "dotsocr/prompt-prompt_layout_all_en.txt"),
    ("dotsocr", "layout-only", "dotsocr/prompt-prompt_layout_only_en.txt"),
    ("dotsocr", "ocr", "dotsocr/prompt-prompt_ocr.txt"),
]

#: PROMPT.md facts: (order, system turn, longest side of a Letter page, temperature, max tokens)
CHAT = {
    "olmocr": ("text-first", None, 1288, 0.1, 8000),
    "nanonets": ("image-first", "You are a helpful assistant.", 1024, 0.0, 4096),
    "rolmocr": ("image-first", None, 1024, 0.2, 4096),
    "infinity-parser": ("image-first", "You are a helpful assistant.", 1512, 0.0, 8192),  # 200 dpi, then max_pixels
    "dotsocr": ("image-first", None, 2200, 0.1, 16384),  # 200 dpi
    "dolphin": ("image-first", None, 896, 0.0, 4096),
    "qwen-spotting": ("text-first", "You are a helpful assistant.", None, 0.0, 4096),
    "qwenvl-html": ("text-first", "You are a helpful assistant", None, 0.0, 8192),
}


@pytest.mark.parametrize("profile,prompt,path", PROMPT_FILES)
def test_prompts_are_byte_exact(profile, prompt, path):
    file = OUTPUTS / path
    if not file.is_file():
        pytest.skip(f"{file} is not present (../shared is absent)")
    assert get_profile(profile).prompt(prompt).text.encode("utf-8") == file.read_bytes()


def test_monkeyocr_prompts_match_the_pipeline_file():
    import json

    file = OUTPUTS / "monkeyocr/prompts-batch_analyze_llm.json"
    if not file.is_file():
        pytest.skip("../shared is absent")
    from docparse.profiles import monkeyocr

    data = json.loads(file.read_text(encoding="utf-8"))
    assert (monkeyocr.PROMPT_TEXT, monkeyocr.PROMPT_FORMULA, monkeyocr.PROMPT_TABLE_HTML) == (
        data["instruction"], data["instruction_mf"], data["instruction_table"])


@pytest.fixture
def letter(tmp_path):
    path = make_pdf(tmp_path / "letter.pdf", ["Hello first page."])
    doc = pymupdf.open(path)
    yield make_page_input(doc, 0)
    doc.close()


def context(page, **kw) -> PageContext:
    return PageContext(page=page, source="test", min_pixels=3136, max_pixels=1_605_632, dpi=200, **kw)


def run_job(profile_name, page, answers, prompt=None, **ctx):
    """Drive one page job; ``answers`` maps a request kind (or "*") to a list of replies in turn."""
    profile = get_profile(profile_name)
    seen = []

    def ask(requests):
        out = []
        for r in requests:
            seen.append(r)
            queue = answers.get(r.kind) or answers["*"]
            out.append(queue.pop(0) if len(queue) > 1 else queue[0])
        return out

    job = (profile.job or __import__("docparse.profiles.jobs", fromlist=["x"]).single_job)(
        profile, context(page, **ctx), prompt)
    (output,) = drive([job], ask, [page.index])
    return output, seen


@pytest.mark.parametrize("name", sorted(CHAT))
def test_each_profile_sends_its_familys_chat_order_system_image_and_settings(name, letter):
    order, system, longest, temperature, max_tokens = CHAT[name]
    profile = get_profile(name)
    answer = {"dolphin": "[10,10,200,40][para]"}.get(name, "Hello first page.")
    out, seen = run_job(name, letter, {"*": [Reply(answer)]}, align=False)
    first = seen[0]
    assert first.order == order and first.system == system
    assert first.prompt == profile.prompt_prefix + profile.default_prompt.text
    assert (first.generation.temperature, first.generation.max_tokens) == (temperature, max_tokens)
    w, h = first.image.size
    assert w % 28 == 0 and h % 28 == 0
    if longest is not None:
        assert abs(max(w, h) - longest) <= 14  # smart_resize rounds to a multiple of 28
    else:
        assert (w, h) == tuple(letter.image_size)  # docparse's own page size
    assert out.image_size == (w, h) and out.meta["profile"] == name
    messages = first.messages({"type": "image_url"})
    kinds = [p["type"] for p in messages[-1]["content"]]
    assert kinds == (["text", "image_url"] if order == "text-first" else ["image_url", "text"])
    assert (messages[0]["role"] == "system") == (system is not None)


def test_dotsocr_text_starts_with_the_clients_image_tokens(letter):
    _, seen = run_job("dotsocr", letter, {"*": [Reply("[]")]})
    assert seen[0].prompt.startswith("<|img|><|imgpad|><|endofimg|>Please output the layout information")


def test_olmocr_ladder_asks_again_hotter_until_the_answer_ends(letter):
    answers = {"*": [Reply("---\nprimary_language: en", "length"), Reply("---\nprimary_language: en", "length"),
                     Reply("---\nprimary_language: en\nis_rotation_valid: True\nrotation_correction: 0\n"
                           "is_table: False\nis_diagram: False\n---\nHello first page.", "eos")]}
    out, seen = run_job("olmocr", letter, answers, align=False)
    assert [r.generation.temperature for r in seen] == [0.1, 0.1, 0.2]
    assert out.status == PageStatus.OK and out.meta["attempts"] == 3
    assert out.meta["front_matter"]["primary_language"] == "en"
    assert [b.text for b in out.blocks] == ["Hello first page."]


def test_olmocr_ladder_gives_up_after_its_last_temperature(letter):
    out, seen = run_job("olmocr", letter, {"*": [Reply("---\n", "length")]}, align=False)
    assert [r.generation.temperature for r in seen] == [0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 1.0]
    assert out.status == PageStatus.PARTIAL


def test_olmocr_rotation_retry_sends_the_page_turned(letter):
    turned = ("---\nprimary_language: en\nis_rotation_valid: False\nrotation_correction: 90\nis_table: False\n"
              "is_diagram: False\n---\n")
    upright = "---\nprimary_language: en\nis_rotation_valid: True\nrotation_correction: 0\n---\nHello first page."
    out, seen = run_job("olmocr", letter, {"*": [Reply(turned), Reply(upright)]}, align=False)
    assert len(seen) == 2
    assert seen[1].image.size == (seen[0].image.size[1], seen[0].image.size[0])
    assert out.meta["rotation"] == 90 and out.image_size == seen[1].image.size
    assert out.blocks[0].text == "Hello first page."


def test_dolphin_two_stages_batch_the_crops_of_a_page(letter):
    layout = "[20,20,600,60][sec_0][PAIR_SEP][20,80,600,300][para][PAIR_SEP][20,320,600,500][tab][PAIR_SEP]" \
             "[20,520,300,700][fig][PAIR_SEP][20,720,600,760][equ]"
    answers = {"layout": [Reply(layout)], "sec_0": [Reply("A Title")], "para": [Reply("Body text.")],
               "tab": [Reply('<table><tr><td rowspan="2">a</td><td>b</td></tr><tr><td>c</td></tr></table>')],
               "equ": [Reply("$$E=mc^2$$")], "*": [Reply("?")]}
    out, seen = run_job("dolphin", letter, answers)
    assert [r.kind for r in seen] == ["layout", "sec_0", "para", "tab", "equ"]  # the figure is not sent
    assert [r.prompt for r in seen[1:]] == ["Read text in the image.", "Read text in the image.",
                                            "Parse the table in the image.", "Read formula in the image."]
    assert seen[2].image.size[0] % 28 == 0 and seen[2].image.size != seen[0].image.size
    assert [b.label for b in out.blocks] == [Label.TITLE, Label.PARAGRAPH, Label.TABLE, Label.IMAGE, Label.FORMULA]
    assert out.blocks[2].html == '<table><tr><td rowspan="2">a</td><td>b</td></tr><tr><td>c</td></tr></table>'
    assert out.blocks[4].latex == "E=mc^2"
    w, h = out.image_size
    assert out.blocks[0].bbox == pytest.approx((20 * 612 / w, 20 * 792 / h, 600 * 612 / w, 60 * 792 / h))


def test_dolphin_distorted_layout_reads_the_page_whole(letter):
    out, seen = run_job("dolphin", letter, {"layout": [Reply("not a layout at all")],
                                            "text": [Reply("Hello first page.")]}, align=False)
    assert [r.prompt for r in seen] == ["Parse the reading order of this document.", "Read text in the image."]
    assert [b.text for b in out.blocks] == ["Hello first page."]
    assert any("distorted" in w for w in out.warnings)


def test_monkeyocr_reads_each_layout_region_on_a_padded_crop(letter):
    from docparse.engines.layout import LayoutEngine

    engine = LayoutEngine(ocr="never")
    out, seen = run_job("monkeyocr", letter, {"*": [Reply("<md>Hello first page, read by the recognizer.</md>")]},
                        layout=lambda page: engine.process([page])[0])
    assert seen and all(r.prompt == "Please output the text content from the image." for r in seen)
    assert all(r.order == "image-first" and r.system is None for r in seen)
    texts = [b.text for b in out.blocks]
    assert "Hello first page, read by the recognizer." in texts
    assert all(b.meta.get("bbox") == "layout" for b in out.blocks)


def test_a_failed_request_fails_only_its_page(letter):
    out, _ = run_job("nanonets", letter, {"*": [Reply("", "error", error="server said 500")]})
    assert out.status == PageStatus.FAILED and "server said 500" in out.error


def test_every_profile_is_listed_with_checkpoints_and_a_reader():
    expected = {"qwenvl-html", "olmocr", "nanonets", "rolmocr", "infinity-parser", "dolphin", "monkeyocr",
                "dotsocr", "qwen-spotting"}
    assert set(PROFILES) == expected
    for profile in PROFILES.values():
        assert profile.checkpoints and profile.good_at and profile.reader is not None and profile.prompts
    assert PROFILES["dotsocr"].remote_only and not PROFILES["olmocr"].remote_only


def test_blocks_without_boxes_get_the_box_of_their_words_on_the_page(letter):
    answer = "Hello first page.\n\nThis paragraph gives the page a realistic body, so that layout analysis sees " \
             "running text rather than a lone line, which it could take for a page header or footer.\n\n" \
             "Words that are nowhere on this page at all."
    out, _ = run_job("rolmocr", letter, {"*": [Reply(answer)]})
    hello, body, missing = out.blocks
    assert hello.meta["bbox"] == "aligned" and hello.meta["align_score"] > 0.9
    x0, y0, x1, y1 = hello.bbox
    assert 60 < x0 < 90 and 195 < y0 < 215 and y1 < 230  # insert_textbox(72, 200, ...) in conftest.make_pdf
    assert body.meta["bbox"] == "aligned" and 265 < body.bbox[1] < 290
    assert missing.meta["bbox"] == "none" and missing.bbox == (0.0, 0.0, 612.0, 792.0)
    assert any("could not be aligned" in w for w in out.warnings)
