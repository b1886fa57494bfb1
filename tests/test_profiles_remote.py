"""End to end per profile: a PDF page -> ``docparse convert --engine remote --profile NAME`` -> a
real OpenAI-compatible replay server on 127.0.0.1 (tests/replay_server.py) answering with a
stored model output -> the profile's reader -> Markdown.

Answers are the real outputs under ../shared/model-outputs where a family has them (olmOCR,
Nanonets, base Qwen2.5-VL text spotting and QwenVL HTML, Dolphin's layout string and page
texts); RolmOCR and Infinity-Parser, which have none, get an olmOCR output (the same dialect:
RolmOCR is trained on olmOCR's data); MonkeyOCR and dots.ocr, which have none either, get answers
written here in their documented shape (marked synthetic).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docparse.cli import app
from tests.conftest import make_pdf
from tests.replay_server import Answer, ReplayServer, request_image, request_text, user_order

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCPARSE_SHARED") or REPO.parent / "shared")
OUTPUTS = SHARED / "model-outputs"


def stored(rel: str) -> str:
    path = SHARED / rel
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared is absent)")
    return path.read_text(encoding="utf-8")


def convert(tmp_path: Path, server: ReplayServer, profile: str, *extra: str) -> tuple[str, dict]:
    pdf = make_pdf(tmp_path / "page.pdf", ["Hello first page."])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["convert", str(pdf), "-o", str(out), "--engine", "remote", "--server",
                                      server.url, "--profile", profile, "--format", "md,json", "--quiet",
                                      "--verify", "off", *extra])  # the replayed answers are not this page's text
    assert result.exit_code == 0, result.output
    markdown = (out / "page" / "page.md").read_text(encoding="utf-8")
    document = json.loads((out / "page" / "page.json").read_text(encoding="utf-8"))
    return markdown, document


def olmocr_answer() -> str:
    return stored("model-outputs/olmocr2/out-olmocr-0725-v0.2.2-raw-frontmatter-norwegian-form.md")


CASES = {
    # profile: (served model name, answers(), texts the Markdown must hold)
    "olmocr": ("allenai/olmOCR-2-7B-1025", lambda: [Answer(olmocr_answer())],
               ["DU HAR 14 DAGERS (EV. 30 DAGERS) UBETINGET ANGRERETT", "Dette skjemaet er obligatorisk",
                "(fjernsalg)"]),
    "nanonets": ("nanonets/Nanonets-OCR-s", lambda: [Answer(stored("model-outputs/nanonets/out-ocr-s-banner-1.md"))],
                 ["Nanonets Batch OCR Processor", "Icon of a document with a magnifying glass."]),
    "rolmocr": ("reducto/RolmOCR", lambda: [Answer(stored(
        "model-outputs/olmocr2/out-olmocr-0825-v0.3.4-instructions_and_schematics-p18.natural_text.md"))],
        ["Windows 98 USB Driver Installation", "1. Insert the EZ-KIT Lite CD-ROM into the CD-ROM drive."]),
    "infinity-parser": ("infly/Infinity-Parser-7B", lambda: [Answer("```markdown\n" + stored(
        "model-outputs/olmocr2/out-olmocr-0825-v0.3.4-discoverworld_crazy_tables-p19.natural_text.md") + "\n```")],
        ["Table 8: High-level descriptions", "| 25 | Multi-turn dialog with agent |"]),
    "qwen-spotting": ("Qwen/Qwen2.5-VL-7B-Instruct", lambda: [Answer(stored(
        "model-outputs/qwen2_5_vl-markdown/out-cookbook-ocr-cell13-text-spotting-json-7B.md"))],
        ["UNIHAKKA INTERNATIONAL SDN BHD", "TAX INVOICE"]),
    "qwenvl-html": ("Qwen/Qwen2.5-VL-7B-Instruct", lambda: [Answer(stored(
        "qwenvl-examples/blog_docparsing4_qwenvl_html_paper.html"))], []),
    "dotsocr": ("rednote-hilab/dots.ocr", lambda: [Answer(json.dumps([  # synthetic, in the documented shape
        {"bbox": [100, 100, 900, 160], "category": "Title", "text": "# A Synthetic Title"},
        {"bbox": [100, 200, 900, 300], "category": "Text", "text": "Hello first page, **as dots.ocr** writes it."},
        {"bbox": [100, 320, 900, 600], "category": "Table",
         "text": '<table><tr><td rowspan="2">a</td><td>b</td></tr><tr><td>c</td></tr></table>'},
        {"bbox": [100, 620, 900, 700], "category": "Formula", "text": "$$E = mc^2$$"},
        {"bbox": [100, 2100, 300, 2150], "category": "Page-footer", "text": "7"},
    ]))], ["# A Synthetic Title", "Hello first page, as dots.ocr writes it.", "rowspan", "$$\nE = mc^2\n$$"]),
    "monkeyocr": ("echo840/MonkeyOCR", lambda: [Answer("<md>Hello first page, as the recognizer reads it.</md>")],
                  ["Hello first page, as the recognizer reads it."]),  # synthetic answer
}


@pytest.mark.parametrize("profile", sorted(CASES))
def test_remote_profile_end_to_end_through_the_replay_server(tmp_path, profile):
    model, answers, expected = CASES[profile]
    with ReplayServer(answers(), model=model) as server:
        markdown, document = convert(tmp_path, server, profile)
        requests = list(server.requests)
    for text in expected:
        assert text in markdown, (text, markdown[:500])
    page = document["pages"][0]
    assert page["meta"]["profile"] == profile and page["status"] in ("ok", "partial")
    assert requests and requests[0]["model"] == model
    from docparse.profiles import get_profile

    p = get_profile(profile)
    body = requests[0]
    assert user_order(body) == (["text", "image_url"] if p.order == "text-first" else ["image_url", "text"])
    assert (body["messages"][0]["role"] == "system") == (p.system is not None or profile == "qwenvl-html")
    if profile not in ("monkeyocr",):
        assert p.default_prompt.text in request_text(body)
        image = request_image(body)
        assert image.size == tuple(page["image_size"]) and image.width % 28 == 0 and image.height % 28 == 0
    assert body["temperature"] == p.generation.temperature


def test_profile_is_detected_from_the_served_model_name(tmp_path):
    with ReplayServer([Answer(stored("model-outputs/nanonets/out-ocr-s-banner-1.md"))],
                      model="nanonets/Nanonets-OCR-s") as server:
        pdf = make_pdf(tmp_path / "page.pdf", ["Hello first page."])
        result = CliRunner().invoke(app, ["convert", str(pdf), "-o", str(tmp_path / "out"), "--engine", "remote",
                                          "--server", server.url, "--format", "md", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "profile nanonets (from the model name 'nanonets/Nanonets-OCR-s')" in result.output
    assert "<img>" not in (tmp_path / "out" / "page" / "page.md").read_text()


def test_dolphin_two_stages_end_to_end(tmp_path):
    layout = stored("model-outputs/dolphin/sample-dolphin-v2-layout-string-from-code.txt")
    page2 = json.loads(stored("model-outputs/dolphin/out-dolphin-v1-page_2.recognition.json"))
    table = next(e["text"] for e in page2 if e["label"] == "tab")
    para = next(e["text"] for e in page2 if e["label"] == "para")
    answers = [Answer(layout, match="Parse the reading order"), Answer(table, match="Parse the table"),
               Answer(para, match="Read text in the image.")]
    with ReplayServer(answers, model="ByteDance/Dolphin-v2") as server:
        markdown, document = convert(tmp_path, server, "dolphin")
        requests = list(server.requests)
    prompts = [request_text(r) for r in requests]
    assert prompts[0] == "Parse the reading order of this document."
    # 14 elements; the sample's boxes come from a larger image than a Letter page at 896 px, so the
    # ones outside it have no pixels to send (and are left empty, with a warning)
    assert 1 < len(requests) <= 15 and set(prompts[1:]) <= {"Read text in the image.", "Parse the table in the image."}
    assert any("no pixels" in w for w in document["pages"][0]["warnings"])
    assert all(user_order(r) == ["image_url", "text"] for r in requests)
    assert "HellaSwag" in markdown
    blocks = document["pages"][0]["blocks"]
    assert blocks[0]["label"] == "title" and blocks[-1]["meta"]["tags"] == ["meta_num"]


def test_olmocr_ladder_through_the_server(tmp_path):
    cut = "---\nprimary_language: en\nis_rotation_valid: True\n"
    answers = [Answer([cut, olmocr_answer()], finish_reason=["length", "stop"])]
    with ReplayServer(answers, model="allenai/olmOCR-2-7B-1025") as server:
        markdown, document = convert(tmp_path, server, "olmocr")
        temperatures = [r["temperature"] for r in server.requests]
    assert temperatures == [0.1, 0.1]
    assert document["pages"][0]["status"] == "ok" and "Dette skjemaet" in markdown
