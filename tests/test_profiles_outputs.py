"""Every real model output under ../shared/model-outputs read by its profile's reader.

The expected facts are written per file from reading the file (labels in order, texts that must
be there, tables with their spans, formulas with their LaTeX, pictures with their descriptions).
Skipped when ../shared is absent (``DOCPARSE_SHARED`` points elsewhere, e.g. from a worktree).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from docparse.document import Label
from docparse.geometry import PageSpace
from docparse.profiles import dolphin, nanonets, olmocr, qwen_spotting, qwenvl_html, rolmocr
from tests.test_profiles_fuzz import assert_nothing_live

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCPARSE_SHARED") or REPO.parent / "shared")
OUTPUTS = SHARED / "model-outputs"
LETTER = PageSpace(612.0, 792.0, 1008, 1288)  # olmOCR: a Letter page, longest side 1288


def raw(rel: str) -> str:
    path = OUTPUTS / rel
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared is absent)")
    return path.read_text(encoding="utf-8")


def labels(reading) -> list[str]:  # noqa: ANN001
    return [b.label.value for b in reading.blocks]


def texts(reading) -> str:  # noqa: ANN001
    return "\n".join(b.text for b in reading.blocks)


def no_live_html(reading) -> None:  # noqa: ANN001
    from docparse.document import Document, EngineInfo, Page, SourceInfo

    page = Page(index=0, width=612, height=792, blocks=reading.blocks)
    html = Document(SourceInfo(), EngineInfo("test"), [page]).to_html()
    assert_nothing_live(html)
    assert "<circle" not in html  # the SVG a model drew inside <img> is not shown, even escaped


# -- olmOCR ---------------------------------------------------------------------------------------
OLMOCR_FACTS = {
    # file: (labels in order, or None; texts that must appear; front matter expected or None)
    "out-olmocr-0725-v0.2.2-raw-frontmatter-norwegian-form.md": (
        ["paragraph", "paragraph", "paragraph"],
        ["Dette skjemaet er obligatorisk", "DU HAR 14 DAGERS (EV. 30 DAGERS) UBETINGET ANGRERETT"],
        {"primary_language": "no", "is_rotation_valid": True, "rotation_correction": 0, "is_table": True,
         "is_diagram": False},
    ),
    "out-olmocr-0825-v0.3.4-ambiguous-p1.natural_text.md": (
        ["paragraph"] * 4, ["Hello", "Apples and Bananas", "Read this first", "Greek Yogurt"], None),
    "out-olmocr-0825-v0.3.4-badlines-p3.natural_text.md": (
        None, ["3. Structural-RNN architectures", "Conditional Random Fields (CRF) model"], None),
    "out-olmocr-0825-v0.3.4-discoverworld_crazy_tables-p19.natural_text.md": (
        ["paragraph", "paragraph", "table"], ["Table 8: High-level descriptions", "Multi-turn dialog with agent"], None),
    "out-olmocr-0825-v0.3.4-edgar-rotated90-p1.natural_text.md": (
        ["paragraph", "paragraph", "paragraph", "table"], ["Edgar (or Eadgar;[1]", "King of the English"], None),
    "out-olmocr-0825-v0.3.4-instructions_and_schematics-p18.natural_text.md": (
        ["paragraph", "paragraph", "list", "paragraph", "image", "caption", "list"],
        ["Windows 98 USB Driver Installation", "Insert the EZ-KIT Lite CD-ROM", "Click Next."], None),
    "out-olmocr-0825-v0.3.4-instructions_and_schematics-p60.natural_text.md": ([], [], None),
    "out-olmocr-0825-v0.3.4-olmo-page-1-p1.natural_text.md": (
        ["paragraph"] * 6, ["Abstract", "1 Introduction", "truly Open Language Model"], None),
    "out-olmocr-0825-v0.3.4-overrun_on_pg8-p12.natural_text.md": (
        ["paragraph", "paragraph", "paragraph", "paragraph", "image", "caption", "paragraph", "list", "paragraph"],
        ["3 The Kernel Language", "Fig. 1. Processing diagram", r"\(\langle\text{kernel}\rangle"], None),
    "out-olmocr-0825-v0.3.4-pdftotext_two_column_issue-p3.natural_text.md": (
        ["table"], ["Table 1 Clinical features in Turner syndrome", "Redundant nuchal skin"], None),
    "out-olmocr-0825-v0.3.4-skinnypage-p2.natural_text.md": ([], [], None),
    "target-trainingformat-blanktext.md": (
        [], [], {"primary_language": "en", "is_rotation_valid": True, "rotation_correction": 0, "is_table": False,
                 "is_diagram": False}),
    "target-trainingformat-edgar.md": (
        ["paragraph", "paragraph", "paragraph"], ["Edgar (or Eadgar;[1]"], {"is_table": True}),
    "target-trainingformat-untable.md": (
        ["paragraph", "paragraph", "table"], ["Annex I: Annual mid-year population", "Algeria - Algérie"],
        {"is_table": True}),
}


@pytest.mark.parametrize("name", sorted(OLMOCR_FACTS))
def test_olmocr_outputs_read_into_the_expected_blocks(name):
    expected_labels, expected_texts, front = OLMOCR_FACTS[name]
    reading = olmocr.read_olmocr(raw(f"olmocr2/{name}"), LETTER)
    if expected_labels is not None:
        assert labels(reading) == expected_labels
    for text in expected_texts:
        assert text in texts(reading)
    if front is not None:
        got = reading.meta["front_matter"]
        assert {k: got[k] for k in front} == front
    meta = OUTPUTS / "olmocr2" / name.replace(".natural_text.md", ".meta.json")
    if name.endswith(".natural_text.md"):  # natural text as the pipeline stored it: its front matter was parsed off
        assert "front_matter" not in reading.meta
        assert json.loads(meta.read_text())["natural_text_chars"] == 0 or reading.blocks
    assert all(b.meta.get("bbox") == "none" for b in reading.blocks)  # no boxes in the dialect
    no_live_html(reading)


def test_olmocr_html_table_keeps_its_spans():
    reading = olmocr.read_olmocr(raw("olmocr2/target-trainingformat-untable.md"), LETTER)
    table = reading.blocks[2]
    assert 'rowspan="2"' in table.html and 'colspan="10"' in table.html and 'colspan="11"' in table.html
    assert "class=" not in table.html  # only the allowlist survives


def test_olmocr_figure_and_caption_are_linked():
    reading = olmocr.read_olmocr(raw("olmocr2/out-olmocr-0825-v0.3.4-instructions_and_schematics-p18.natural_text.md"),
                                 LETTER)
    image, caption = reading.blocks[4], reading.blocks[5]
    assert image.text == "Add New Hardware Wizard Dialog Box" == image.meta["description"]
    assert caption.caption_for == image.id and caption.text.startswith("Figure 2-2:")
    assert [i.text for i in reading.blocks[2].items] == ["Insert the EZ-KIT Lite CD-ROM into the CD-ROM drive."]


def test_olmocr_markdown_table_becomes_html_with_a_header_row():
    reading = olmocr.read_olmocr(
        raw("olmocr2/out-olmocr-0825-v0.3.4-discoverworld_crazy_tables-p19.natural_text.md"), LETTER)
    table = reading.blocks[2]
    assert table.html.startswith("<table><tr><th>#</th><th>Theme</th><th>Description</th></tr>")
    assert table.html.count("<tr>") == 11  # header + the 10 themes


# -- Nanonets -------------------------------------------------------------------------------------
NANONETS_FACTS = {
    "out-ocr-s-banner-1.md": (["paragraph", "paragraph", "image", "image", "image", "image"],
                              ["Nanonets Batch OCR Processor", "Icon of a document with a magnifying glass."]),
    "out-ocr-s-banner-2.md": (["paragraph", "image"], ["Extract Text, Tables, and More with Ease",
                                                       "stylized illustration of documents"]),
    "out-ocr-s-gui_tkinter-icon.md": (["image"], ["DQ"]),
    "out-ocr-s-iam-a01-000u.md": (["paragraph"] * 4, ["Sentence Database A01-000", "Mr. Will Griffiths", "Name:"]),
    "out-ocr-s-iam-a01-026u.md": (["paragraph"] * 4, ["MR. IAIN MACLEOD", "Welensky"]),
    "out-ocr-s-iam-a01-030u.md": (["paragraph"] * 4, ["I have no knowledge of secret negotiations"]),
    "out-ocr-s-networkx-empty_graph.md": (["image"], ["White background with no visible content."]),
    "out-ocr-s-networkx-house_with_colors.md": (["image"], []),
}


@pytest.mark.parametrize("name", sorted(NANONETS_FACTS))
def test_nanonets_outputs_read_into_the_expected_blocks(name):
    expected_labels, expected_texts = NANONETS_FACTS[name]
    reading = nanonets.read_nanonets(raw(f"nanonets/{name}"), PageSpace(756, 1092, 756, 1092))
    assert labels(reading) == expected_labels
    for text in expected_texts:
        assert text in texts(reading)
    for block in reading.blocks:
        if block.label == Label.IMAGE and block.text:
            assert block.meta["description"] == block.text
    no_live_html(reading)


def test_nanonets_svg_inside_img_is_not_text_and_never_rendered_live():
    reading = nanonets.read_nanonets(raw("nanonets/out-ocr-s-networkx-house_with_colors.md"), LETTER)
    (image,) = reading.blocks
    assert image.text == "" and image.meta.get("markup") is True


def test_nanonets_handwritten_copy_keeps_its_words():
    reading = nanonets.read_nanonets(raw("nanonets/out-ocr-s-iam-a01-026u.md"), LETTER)
    assert "denied in the Commons last night" in reading.blocks[2].text
    assert "\n" not in reading.blocks[2].text  # handwritten line breaks are soft breaks


# -- Dolphin --------------------------------------------------------------------------------------
def test_dolphin_v2_layout_string_reads_into_boxed_elements_in_reading_order():
    text = raw("dolphin/sample-dolphin-v2-layout-string-from-code.txt")
    elements, distorted = dolphin.parse_layout(text, 1036, 1484)
    assert not distorted and len(elements) == 14
    assert elements[0].box == (210, 136, 910, 172) and elements[0].label == "sec_0"
    assert elements[1].tags == ["author"] and elements[3].tags == ["paper_abstract"]
    assert elements[8].continues and not elements[7].continues  # [RELATION_SEP] before it
    assert (elements[-1].label, elements[-1].tags) == ("watermark", ["meta_num"])
    space = PageSpace(1036, 1484, 1036, 1484)
    reading = dolphin.read_dolphin_layout(text, space)
    assert labels(reading)[:4] == ["title", "paragraph", "paragraph", "heading"]
    assert reading.blocks[12].label == Label.FOOTNOTE
    assert reading.blocks[0].bbox == (210.0, 136.0, 910.0, 172.0)


def test_dolphin_v1_layout_excerpt_scales_normalised_boxes():
    elements, _ = dolphin.parse_layout(raw("dolphin/excerpt-dolphin-v1-layout-format-issue83.txt"), 896, 896)
    assert [e.label for e in elements] == ["sec", "sec", "para"]
    assert elements[0].box == pytest.approx((0.16 * 896, 0.35 * 896, 0.35 * 896, 0.37 * 896))
    assert elements[1].continues and not elements[0].continues and not elements[2].continues  # one heading, two boxes


def test_dolphin_page_json_two_column_page():
    reading = dolphin.read_dolphin_page_json(raw("dolphin/out-dolphin-v1-page_2.recognition.json"),
                                             PageSpace(1444, 2006, 1444, 2006))
    assert labels(reading).count("table") == 2 and labels(reading).count("caption") == 2
    table = next(b for b in reading.blocks if b.label == Label.TABLE)
    assert '<td rowspan="4">LLaMA</td>' in table.html
    caption = next(b for b in reading.blocks if b.label == Label.CAPTION)
    assert caption.text.startswith("Table 5: TriviaQA") and caption.caption_for == table.id
    heading = next(b for b in reading.blocks if b.label == Label.HEADING)
    assert (heading.text, heading.level) == ("3.2 Closed-book Question Answering", 2)
    assert reading.blocks[0].bbox == (155.0, 160.0, 704.0, 401.0)
    no_live_html(reading)


def test_dolphin_page_json_math_page_with_a_page_number_footer():
    reading = dolphin.read_dolphin_page_json(raw("dolphin/out-dolphin-v1-page_3.recognition.json"),
                                             PageSpace(1712, 2400, 1712, 2400))
    assert labels(reading)[-1] == "footer" and reading.blocks[-1].text == "392"
    assert reading.blocks[-1].order is None  # furniture
    assert "\\begin{gathered}" in reading.blocks[0].text
    assert labels(reading).count("list") == 2


# -- base Qwen2.5-VL ------------------------------------------------------------------------------
SPOTTING = {  # file: (items, first text, first box)
    "out-cookbook-ocr-cell13-text-spotting-json-7B.md": (39, "UNIHAKKA INTERNATIONAL SDN BHD", (125, 169, 754, 208)),
    "out-blog-ocr_grounding1.json.md": (14, "AuntieAnne's", (108, 175, 496, 230)),
    "out-blog-ocr_grounding2.json.md": (2, "路翼汽车工作室", (209, 87, 603, 140)),
}


@pytest.mark.parametrize("name", sorted(SPOTTING))
def test_text_spotting_json_with_trailing_commas_reads_every_line_with_its_box(name):
    count, first, box = SPOTTING[name]
    space = PageSpace(868, 1400, 868, 1400)
    reading = qwen_spotting.read_spotting(raw(f"qwen2_5_vl-markdown/{name}"), space)
    assert len(reading.blocks) == count and reading.blocks[0].text == first
    assert reading.blocks[0].bbox == tuple(float(v) for v in box)
    assert not reading.warnings and not reading.truncated


@pytest.mark.parametrize("name,first", [
    ("out-blog-ocr_arabic.txt", "SMK أبو منير"),
    ("out-blog-ocr_dense.txt", "品名：初吻巧克力"),
    ("out-blog-ocr_korean.txt", "a product of The Coca-Cola Company"),
    ("out-blog-ocr_vertical.txt", "平安喜樂"),
    ("out-cookbook-ocr-cell10-plain-ocr-7B.txt", "品名：初吻巧克力"),
    ("out-cookbook-ocr-cell7-read-all-text-72B-api.txt", "Auntie Anne's"),
    ("out-cookbook-ocr-cell9-plain-ocr-7B.txt", "a product of The Coca-Cola Company"),
])
def test_plain_ocr_lines_read_as_text_without_boxes(name, first):
    reading = rolmocr.read_rolmocr(raw(f"qwen2_5_vl-markdown/{name}"), LETTER)
    assert reading.blocks and reading.blocks[0].text.startswith(first)
    assert set(labels(reading)) == {"paragraph"}


def test_ordinary_html_page_reads_through_the_qwenvl_reader_without_boxes():
    reading = qwenvl_html.read_qwenvl_html(
        raw("qwen2_5_vl-markdown/out-cookbook-docparsing-cell13-ordinary-html-72B-truncated.html.md"),
        PageSpace(1596, 1680, 1596, 1680))
    assert "百度为您找到以下结果" in texts(reading)
    assert any("has no data-bbox" in w for w in reading.warnings)
    no_live_html(reading)


@pytest.mark.parametrize("name", ["out-blog-kie_receipt.json.md", "out-cookbook-ocr-cell16-kie-json-7B.md",
                                  "out-cookbook-ocr-cell17-kie-json-zh-7B.md", "out-blog-docparsing8.html.md"])
def test_other_modes_read_without_raising(name):
    text = raw(f"qwen2_5_vl-markdown/{name}")
    for reader in (rolmocr.read_rolmocr, qwen_spotting.read_spotting, qwenvl_html.read_qwenvl_html):
        no_live_html(reader(text, LETTER))
