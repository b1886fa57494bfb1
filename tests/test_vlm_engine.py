"""The vlm engine with a stand-in PageParser and the real QwenVL reader.

The stand-in returns scripted model outputs, so these tests check what the engine does with
them (rendering, one batch, raw output kept, status from the stop reason, boxes in points)
without loading a model.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest
from PIL import Image

from docparse.document import Label, PageStatus
from docparse.engines.base import PageInput
from docparse.errors import EngineError, OptionsError
from docparse.options import ConvertOptions

vlm = pytest.importorskip("docparse.engines.vlm")


@dataclass
class FakeGeneration:
    max_new_tokens: int = 4096
    repetition_penalty: float = 1.05


@dataclass
class FakeResult:
    text: str
    stop_reason: str
    image_size: tuple[int, int]


@dataclass
class FakeParser:
    """Answers each image with the next scripted (text, stop_reason)."""

    script: list[tuple[str, str]]
    generation: FakeGeneration = field(default_factory=FakeGeneration)
    calls: list[dict] = field(default_factory=list)
    seen_size: tuple[int, int] | None = None  # force a wrong image_size in the results

    def parse(self, images, prompt, *, resize=True, generation=None):
        self.calls.append(dict(sizes=[im.size for im in images], prompt=prompt, resize=resize,
                               generation=generation))
        return [FakeResult(text, stop, self.seen_size or im.size)
                for im, (text, stop) in zip(images, self.script[: len(images)])]


def page(index: int = 0, size_pt=(612.0, 792.0), size_px=(616, 812)) -> PageInput:
    rendered = []

    def render() -> Image.Image:
        rendered.append(index)
        return Image.new("RGB", size_px, "white")

    p = PageInput(doc=None, index=index, width=size_pt[0], height=size_pt[1], image_size=size_px, render=render)
    p.rendered = rendered  # type: ignore[attr-defined]
    return p


def engine(script, batch_size=4, max_new_tokens=8192, **kw) -> "vlm.VLMEngine":
    return vlm.VLMEngine(FakeParser(script, **kw), model="/models/fake", batch_size=batch_size,
                         max_new_tokens=max_new_tokens)


GOOD = ('<html><body><h1 data-bbox="56 56 560 112">Title</h1>'
        '<p data-bbox="56 140 560 308">Some paragraph text.</p></body></html>')


def test_pages_go_in_one_batch_at_their_rendered_size_with_the_cookbook_prompt():
    eng = engine([(GOOD, "eos"), (GOOD, "eos"), (GOOD, "eos")], max_new_tokens=123)
    pages = [page(0), page(1, size_px=(588, 840)), page(2)]
    outs = eng.process(pages)
    assert [o.index for o in outs] == [0, 1, 2]
    assert all(p.rendered == [p.index] for p in pages)  # each page rendered exactly once
    (call,) = eng.parser.calls
    assert call["sizes"] == [(616, 812), (588, 840), (616, 812)]
    assert call["resize"] is False and call["prompt"] == "QwenVL HTML "
    assert call["generation"].max_new_tokens == 123 and call["generation"].repetition_penalty == 1.05
    assert [o.image_size for o in outs] == [(616, 812), (588, 840), (616, 812)]


def test_good_output_becomes_blocks_in_page_points_and_raw_is_kept():
    (out,) = engine([(GOOD, "eos")]).process([page(size_pt=(308.0, 406.0), size_px=(616, 812))])
    assert out.status == PageStatus.OK and out.stop_reason == "eos" and out.raw == GOOD
    labels = [b.label for b in out.blocks]
    assert labels[:1] in ([Label.TITLE], [Label.HEADING]) and Label.PARAGRAPH in labels
    para = next(b for b in out.blocks if b.label == Label.PARAGRAPH)
    assert para.bbox == pytest.approx((28, 70, 280, 154))  # pixels * (308 / 616) and * (406 / 812)
    assert para.text == "Some paragraph text." and para.source == "vlm"


@pytest.mark.parametrize("garbage", [
    "",
    "ĠthereÃ¤ 是 <|im_end|> randomtokens ))) <<<< >>>> &&& \x00\ufffd",
    '<table data-bbox="a b c"><tr><td colspan="-5">x</td></tr><tr><td rowspan="999999">',
    '<p data-bbox="900 900 -5 1e99">out of range</p><div class="formula.machine_printed">$$\\frac{',
    "<script>alert(1)</script><img src=x onerror=alert(1)>" * 3,
])
def test_garbage_output_never_crashes_and_is_kept(garbage):
    (out,) = engine([(garbage, "eos")]).process([page()])
    assert out.raw == garbage
    assert out.status in (PageStatus.OK, PageStatus.EMPTY)
    if not out.blocks:
        assert out.status == PageStatus.EMPTY
    for block in out.blocks:
        x0, y0, x1, y1 = block.bbox
        assert 0 <= x0 <= x1 <= 612 and 0 <= y0 <= y1 <= 792
        assert "<script" not in (block.html or "") and "onerror" not in (block.html or "")


def test_output_cut_by_the_token_limit_is_partial_and_keeps_what_was_read():
    raw = GOOD.replace("</body></html>", '<p data-bbox="56 336 560 4')  # cut mid-tag
    (out,) = engine([(raw, "length")]).process([page()])
    assert out.status == PageStatus.PARTIAL and out.stop_reason == "length" and out.raw == raw
    assert any(b.text == "Some paragraph text." for b in out.blocks)
    assert any("max_new_tokens" in w for w in out.warnings)


def test_loop_stop_is_partial():
    raw = "<table><tr><td>1</td></tr>" + "<tr><td>1</td></tr>" * 20
    (out,) = engine([(raw, "loop")]).process([page()])
    assert out.status == PageStatus.PARTIAL and out.stop_reason == "loop" and out.raw == raw
    assert any("loop guard" in w for w in out.warnings)


def test_mixed_batch_keeps_each_page_its_own_status():
    outs = engine([(GOOD, "eos"), ("", "eos"), ("<p>cut", "length")]).process([page(0), page(1), page(2)])
    assert [o.status for o in outs] == [PageStatus.OK, PageStatus.EMPTY, PageStatus.PARTIAL]
    assert [o.raw for o in outs] == [GOOD, "", "<p>cut"]


def test_a_result_in_another_pixel_space_is_an_error_not_wrong_boxes():
    eng = engine([(GOOD, "eos")], seen_size=(28, 28))
    with pytest.raises(RuntimeError, match="model saw"):
        eng.process([page()])


def test_info_close_and_empty_batch():
    eng = engine([], batch_size=3)
    assert eng.name == "vlm" and eng.batch_size == 3 and eng.process([]) == []
    info = eng.info()
    assert info.name == "vlm" and info.model == "/models/fake"
    assert info.settings["prompt"] == "qwenvl-html" and info.settings["max_new_tokens"] == 8192
    assert {"device", "dtype", "batch_size"} <= set(info.settings)
    eng.close()
    assert eng.parser is None
    eng.close()  # twice is fine
    with pytest.raises(EngineError, match="closed"):
        eng.process([page()])


# -------------------------------------------------------------------------------------------------
# Device and dtype
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device, dtype, cuda, expected", [
    (None, None, True, ("cuda", "bfloat16")),
    (None, None, False, ("cpu", "float32")),
    (None, "bf16", False, ("cpu", "bfloat16")),
    ("cpu", None, True, ("cpu", "float32")),
    ("cuda:1", "float16", True, ("cuda:1", "float16")),
    (None, "FP32", True, ("cuda", "float32")),
])
def test_device_and_dtype_choice(device, dtype, cuda, expected):
    choice = vlm.choose_device(device, dtype, cuda_available=cuda)
    assert (choice.device, choice.dtype) == expected


def test_bad_device_or_dtype_is_an_options_error():
    with pytest.raises(OptionsError, match="dtype"):
        vlm.choose_device(None, "int4", cuda_available=True)
    with pytest.raises(OptionsError, match="CUDA"):
        vlm.choose_device("cuda", None, cuda_available=False)


def test_missing_checkpoint_is_an_engine_error(tmp_path):
    pytest.importorskip("torch")
    options = ConvertOptions(engine="vlm", model=str(tmp_path / "nowhere"), device="cpu")
    with pytest.raises(EngineError, match="nowhere"):
        vlm.VLMEngine.from_options(options)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EngineError, match="safetensors"):
        vlm.VLMEngine.from_options(ConvertOptions(engine="vlm", model=str(empty), device="cpu"))


def test_importing_docparse_and_the_engine_module_does_not_load_torch():
    code = ("import sys, docparse, docparse.engines, docparse.engines.vlm, docparse.cli; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
