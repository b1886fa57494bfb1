"""Hybrid verification end to end through the in-process vlm engine (the tiny random checkpoint of
test_e2e_vlm.py): its output matches nothing on the page, so each page climbs the retry ladder
(real sampled generations) and falls back to the layout engine, marked in status and warnings."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from .test_e2e_vlm import ARTICLE, checkpoint, convert  # noqa: E402,F401  (checkpoint: a fixture)

pytestmark = pytest.mark.slow


def test_garbage_pages_climb_the_ladder_and_fall_back(checkpoint, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    res = convert("--engine", "vlm", "--model", checkpoint, "--pages", "1", "--verify-retries", "1", "--samples", "2",
                  ARTICLE, "-o", out)
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "article" / "article.json").read_text())
    settings = doc["engine"]["settings"]
    assert (settings["verify"], settings["samples"], settings["verify_retries"]) == ("auto", 2, 1)
    page = doc["pages"][0]
    assert page["status"] == "partial"
    assert "after 3 answer(s)" in page["warnings"][0] and "layout engine's reading" in page["warnings"][0]
    assert page["raw"] and page["stop_reason"] in ("eos", "length", "loop")  # the model's best answer kept
    assert page["blocks"] and {b["meta"]["verify"]["status"] for b in page["blocks"]} == {"fallback"}
    assert "Capacitive Sensors" in " ".join(b["text"] for b in page["blocks"])  # the layout engine read it


def test_verify_off_keeps_the_model_blocks(checkpoint, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    res = convert("--engine", "vlm", "--model", checkpoint, "--pages", "1", "--verify", "off", ARTICLE, "-o", out)
    assert res.exit_code == 0, res.output
    page = json.loads((out / "article" / "article.json").read_text())["pages"][0]
    assert not any("layout engine" in w for w in page["warnings"])
    assert all("verify" not in b["meta"] for b in page["blocks"])
