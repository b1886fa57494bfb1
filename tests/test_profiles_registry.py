"""The profile registry: names, detection from a checkpoint or a served model name, the listing."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from docparse.cli import app
from docparse.errors import OptionsError
from docparse.profiles import detect_profile, get_profile, match_name, resolve_profile


@pytest.mark.parametrize("name,profile", [
    ("allenai/olmOCR-2-7B-1025-FP8", "olmocr"),
    ("nanonets/Nanonets-OCR2-3B", "nanonets"),
    ("reducto/RolmOCR", "rolmocr"),
    ("infly/Infinity-Parser-7B", "infinity-parser"),
    ("ByteDance/Dolphin-v2", "dolphin"),
    ("echo840/MonkeyOCR-pro-3B", "monkeyocr"),
    ("rednote-hilab/dots.ocr", "dotsocr"),
    ("Qwen/Qwen2.5-VL-7B-Instruct", "qwenvl-html"),
])
def test_served_model_names_pick_their_family(name, profile):
    found, note = detect_profile(name)
    assert found.name == profile
    assert note.startswith(f"profile {profile} (from the model name") and "--profile" in note


def test_config_name_or_path_wins_over_a_plain_folder_name(tmp_path):
    root = tmp_path / "checkpoint"
    root.mkdir()
    (root / "config.json").write_text(json.dumps({"_name_or_path": "allenai/olmOCR-2-7B-1025",
                                                  "model_type": "qwen2_5_vl"}))
    found, note = detect_profile(str(root))
    assert found.name == "olmocr" and "config.json _name_or_path" in note


def test_model_card_names_the_fine_tune_even_when_it_mentions_its_base(tmp_path):
    root = tmp_path / "weights"
    root.mkdir()
    (root / "config.json").write_text(json.dumps({"model_type": "qwen2_5_vl"}))
    (root / "README.md").write_text("---\nbase_model: Qwen/Qwen2.5-VL-3B-Instruct\n---\n# Nanonets-OCR-s\n"
                                    "Nanonets-OCR-s is fine-tuned from Qwen2.5-VL-3B. It beats olmOCR on forms.\n")
    found, note = detect_profile(str(root))
    assert found.name == "nanonets" and "model card" in note


def test_generation_config_and_folder_name_are_evidence_too(tmp_path):
    root = tmp_path / "RolmOCR"
    root.mkdir()
    assert detect_profile(str(root))[0].name == "rolmocr"
    other = tmp_path / "plain"
    other.mkdir()
    (other / "generation_config.json").write_text(json.dumps({"_name_or_path": "ByteDance/Dolphin-v2"}))
    assert detect_profile(str(other))[0].name == "dolphin"


def test_nothing_known_falls_back_to_qwenvl_html_and_says_so(tmp_path):
    found, note = detect_profile(str(tmp_path))
    assert found.name == "qwenvl-html" and "no known fine-tune" in note and "--profile NAME" in note
    assert detect_profile(None)[0].name == "qwenvl-html"
    assert match_name("some/other-model") is None


def test_explicit_profile_and_unknown_names():
    assert resolve_profile("olmocr", "Qwen/Qwen2.5-VL-7B-Instruct")[0].name == "olmocr"
    assert resolve_profile("auto", "reducto/RolmOCR")[0].name == "rolmocr"
    with pytest.raises(OptionsError, match="unknown profile 'nope'; known: qwenvl-html"):
        get_profile("nope")
    with pytest.raises(OptionsError, match="has no prompt 'v9'; known: v4, v3"):
        get_profile("olmocr").prompt("v9")


def test_docparse_profiles_lists_every_profile_with_its_checkpoints():
    result = CliRunner().invoke(app, ["profiles"])
    assert result.exit_code == 0, result.output
    for name, checkpoint in [("olmocr", "allenai/olmOCR-2-7B-1025"), ("dolphin", "ByteDance/Dolphin-v2"),
                             ("dotsocr", "rednote-hilab/dots.ocr"), ("qwen-spotting", "Qwen2.5-VL-7B-Instruct")]:
        assert name in result.output and checkpoint in result.output
    assert "remote only" in result.output


def test_convert_with_an_unknown_profile_or_prompt_is_a_one_line_usage_error(simple_pdf, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(simple_pdf), "-o", str(tmp_path / "out"), "--profile", "nope"])
    assert result.exit_code == 2 and "unknown profile 'nope'" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["convert", str(simple_pdf), "-o", str(tmp_path / "out"), "--profile", "olmocr",
                                 "--prompt", "v9"])
    assert result.exit_code == 2 and "has no prompt 'v9'" in result.output


def test_hostile_checkpoint_files_are_no_evidence(tmp_path):
    root = tmp_path / "ckpt"
    root.mkdir()
    (root / "config.json").write_text("[" * 10000 + "]" * 10000)
    (root / "generation_config.json").write_bytes(b"\xff\xfe not json")
    (root / "README.md").write_bytes(b"\x00" * 100)
    assert detect_profile(str(root))[0].name == "qwenvl-html"
