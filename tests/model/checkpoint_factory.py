"""Tiny Qwen2.5-VL checkpoints written on the fly (a few KB): a good one, then broken on purpose.

``good_checkpoint(dir)`` writes config.json, model.safetensors (random weights of the tiny shapes) and
a byte-level tokenizer.json carrying the Qwen2.5-VL special tokens at ids that agree with the config,
so the folder loads end to end. Every helper below breaks one thing in such a folder.
Runs as a script too: ``python tests/model/checkpoint_factory.py CASE DIR`` (used by the measurements
in /work/notes and by the subprocess tests).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any, Callable

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                  "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
                  "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
BYTE_TOKENS = 256  # the byte-level alphabet; special tokens follow at 256...
VOCAB = 288  # embedding rows: bytes + specials + spare rows, as real checkpoints pad their vocab


def special_id(token: str) -> int:
    return BYTE_TOKENS + SPECIAL_TOKENS.index(token)


def tiny_config(vision: dict[str, Any] | None = None, **text: Any):
    from qwen2_5_vl.config import Qwen2_5_VLConfig

    return Qwen2_5_VLConfig.tiny(
        text={"vocab_size": VOCAB, **text}, vision=dict(vision or {}),
        image_token_id=special_id("<|image_pad|>"), video_token_id=special_id("<|video_pad|>"),
        vision_start_token_id=special_id("<|vision_start|>"), vision_end_token_id=special_id("<|vision_end|>"),
        bos_token_id=special_id("<|endoftext|>"), eos_token_id=special_id("<|im_end|>"),
        pad_token_id=special_id("<|endoftext|>"),
    )


def write_tokenizer(path: Path) -> Path:
    """A byte-level BPE tokenizer.json (no merges) with the Qwen2.5-VL special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    assert len(vocab) == BYTE_TOKENS
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIAL_TOKENS)
    tok.save(str(path / "tokenizer.json"))
    return path / "tokenizer.json"


def good_checkpoint(path: Path, *, tied: bool = False) -> Path:
    """config.json + model.safetensors + tokenizer.json of a tiny random model that loads and runs."""
    import torch
    from safetensors.torch import save_file

    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    path.mkdir(parents=True, exist_ok=True)
    config = tiny_config()
    config.tie_word_embeddings = tied
    torch.manual_seed(0)
    model = Qwen2_5_VLForConditionalGeneration(config)
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    if tied:
        tensors.pop("lm_head.weight")
    (path / "config.json").write_text(json.dumps(config.to_dict()))
    save_file(tensors, str(path / "model.safetensors"), metadata={"format": "pt"})
    write_tokenizer(path)
    return path


# -- editing a good checkpoint ---------------------------------------------------------------------
def edit_config(path: Path, change: Callable[[dict], None]) -> Path:
    file = path / "config.json"
    data = json.loads(file.read_text())
    change(data)
    file.write_text(json.dumps(data))
    return path


def read_header(file: Path) -> tuple[dict, bytes]:
    """(header dict, tensor bytes) of a safetensors file."""
    raw = file.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_raw(file: Path, header: dict | bytes, data: bytes) -> None:
    blob = header if isinstance(header, bytes) else json.dumps(header).encode()
    file.write_bytes(struct.pack("<Q", len(blob)) + blob + data)


def shard(path: Path, names: list[str]) -> Path:
    """Replace model.safetensors by an index listing ``names`` as the shard file(s) (first keeps all)."""
    weights = path / "model.safetensors"
    header, _ = read_header(weights)
    keys = [k for k in header if k != "__metadata__"]
    target = path / "shard-1.safetensors"
    weights.rename(target)
    weight_map = {k: names[i % len(names)] for i, k in enumerate(keys)}
    (path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return path


# -- the cases (name -> change applied to a good checkpoint) --------------------------------------
def _set_text(key: str, value: Any) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        def put(d: dict) -> None:
            d["text_config"][key] = value
        return edit_config(path, put)
    return change


def _set_vision(key: str, value: Any) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        def put(d: dict) -> None:
            d["vision_config"][key] = value
        return edit_config(path, put)
    return change


def _set_raw_config(text: str) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        (path / "config.json").write_text(text)
        return path
    return change


def _nan_eps(path: Path) -> Path:
    raw = (path / "config.json").read_text()
    data = json.loads(raw)
    data["text_config"]["rms_norm_eps"] = float("nan")
    (path / "config.json").write_text(json.dumps(data))  # json.dumps writes NaN, as Python's json reads it
    return path


def _mrope(value: Any) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        def put(d: dict) -> None:
            d["text_config"]["rope_parameters"]["mrope_section"] = value
        return edit_config(path, put)
    return change


def _weights_bytes(data: bytes) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        (path / "model.safetensors").write_bytes(data)
        return path
    return change


def _truncated(path: Path) -> Path:
    file = path / "model.safetensors"
    raw = file.read_bytes()
    file.write_bytes(raw[: len(raw) * 2 // 3])
    return path


def _corrupt_middle(path: Path) -> Path:
    """Random bytes over the header (the length prefix kept)."""
    import random

    file = path / "model.safetensors"
    raw = bytearray(file.read_bytes())
    rng = random.Random(7)
    for i in range(8, min(len(raw), 400)):
        raw[i] = rng.randrange(256)
    file.write_bytes(bytes(raw))
    return path


def _header_bad_json(path: Path) -> Path:
    file = path / "model.safetensors"
    header, data = read_header(file)
    blob = json.dumps(header).encode()
    write_raw(file, blob[:-5] + b"!!!!!", data)
    return path


def _header_length_beyond_file(path: Path) -> Path:
    file = path / "model.safetensors"
    raw = file.read_bytes()
    file.write_bytes(struct.pack("<Q", len(raw) * 10) + raw[8:])
    return path


def _offsets_beyond_file(path: Path) -> Path:
    file = path / "model.safetensors"
    header, data = read_header(file)
    last = max((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][1])
    begin, end = header[last]["data_offsets"]
    header[last]["data_offsets"] = [begin + 10**6, end + 10**6]
    write_raw(file, header, data)
    return path


def _pickle_renamed(path: Path) -> Path:
    import torch

    file = path / "model.safetensors"
    file.unlink()
    torch.save({"model.norm.weight": torch.ones(64)}, file)
    return path


def _integer_weights(path: Path) -> Path:
    import torch
    from safetensors.torch import load_file, save_file

    file = path / "model.safetensors"
    tensors = load_file(str(file))
    tensors["model.norm.weight"] = torch.ones(tensors["model.norm.weight"].shape, dtype=torch.int32)
    save_file(tensors, str(file), metadata={"format": "pt"})
    return path


SPARSE_BYTES = 128 * 2**30  # 128 GiB: far beyond this machine's memory


def _sparse_128g(path: Path) -> Path:
    """model.safetensors extended to 128 GiB with a hole (no disk used): valid header, bogus size."""
    with open(path / "model.safetensors", "r+b") as f:
        f.truncate(SPARSE_BYTES)
    return path


def _sparse_128g_zeros(path: Path) -> Path:
    file = path / "model.safetensors"
    file.unlink()
    with open(file, "wb") as f:
        f.truncate(SPARSE_BYTES)
    return path


def _sparse_128g_valid(path: Path) -> Path:
    """A well-formed 128 GiB checkpoint (a 2M x 8192 vocabulary), all but its header a hole on disk:
    the header and config agree, so only the memory a load needs can refuse it."""
    import torch

    from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration

    config = tiny_config(vision=dict(out_hidden_size=8192), vocab_size=2**21, hidden_size=8192,
                         num_attention_heads=64, num_key_value_heads=8, num_hidden_layers=1, intermediate_size=64,
                         mrope_section=(16, 24, 24))
    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration(config)
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, tensor in sorted(model.state_dict().items()):
        size = tensor.numel() * 4
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + size]}
        offset += size
    (path / "config.json").write_text(json.dumps(config.to_dict()))
    blob = json.dumps(header).encode()
    file = path / "model.safetensors"
    file.write_bytes(struct.pack("<Q", len(blob)) + blob)
    with open(file, "r+b") as f:
        f.truncate(8 + len(blob) + offset)
    return path


def _tokenizer(text: str | None) -> Callable[[Path], Path]:
    def change(path: Path) -> Path:
        file = path / "tokenizer.json"
        if text is None:
            file.unlink()
        else:
            file.write_text(text)
        return path
    return change


def _tokenizer_without_specials(path: Path) -> Path:
    data = json.loads((path / "tokenizer.json").read_text())
    data["added_tokens"] = []
    (path / "tokenizer.json").write_text(json.dumps(data))
    return path


def _outside_shard(path: Path) -> Path:
    (path.parent / "outside.safetensors").write_bytes((path / "model.safetensors").read_bytes())
    return shard(path, ["../outside.safetensors"])


def _absolute_shard(path: Path) -> Path:
    outside = path.parent / "abs.safetensors"
    outside.write_bytes((path / "model.safetensors").read_bytes())
    return shard(path, [str(outside.resolve())])


def _symlink_shard(path: Path) -> Path:
    outside = path.parent / "linked.safetensors"
    outside.write_bytes((path / "model.safetensors").read_bytes())
    shard(path, ["shard-1.safetensors"])
    (path / "shard-1.safetensors").unlink()
    (path / "shard-1.safetensors").symlink_to(outside)
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    # item 3: absurd or malformed config values
    "layers_1e9": _set_text("num_hidden_layers", 10**9),
    "layers_400_digits": _set_text("num_hidden_layers", int("9" * 400)),
    "vision_depth_1e7": _set_vision("depth", 10**7),
    "hidden_size_huge": _set_text("hidden_size", 2**40),
    "vocab_huge": _set_text("vocab_size", 10**12),
    "layers_disagree_with_weights": _set_text("num_hidden_layers", 64),
    "vocab_disagrees_with_weights": _set_text("vocab_size", 4096),
    "eps_nan": _nan_eps,
    "eps_inf": _set_text("rms_norm_eps", float("inf")),
    "eps_negative": _set_text("rms_norm_eps", -1e-6),
    "fullatt_string": _set_vision("fullatt_block_indexes", "13"),
    "mrope_bad": _mrope(["a", 3, 3]),
    "mrope_string": _mrope("233"),
    "tokenizer_missing": _tokenizer(None),
    "shard_outside": _outside_shard,
    "shard_absolute": _absolute_shard,
    "shard_symlink_out": _symlink_shard,
    # item 4: corrupt files
    "weights_empty": _weights_bytes(b""),
    "weights_truncated": _truncated,
    "weights_corrupt": _corrupt_middle,
    "header_bad_json": _header_bad_json,
    "header_length_beyond_file": _header_length_beyond_file,
    "offsets_beyond_file": _offsets_beyond_file,
    "pickle_renamed": _pickle_renamed,
    "integer_weights": _integer_weights,
    "sparse_128g": _sparse_128g,
    "sparse_128g_zeros": _sparse_128g_zeros,
    "sparse_128g_valid": _sparse_128g_valid,
    "tokenizer_corrupt": _tokenizer('{"version": "1.0", "model": {"type": "BPE", "vocab": 7'),
    "tokenizer_not_qwen": _tokenizer_without_specials,
    "config_nested_10000": _set_raw_config('{"a": ' * 10000 + "1" + "}" * 10000),
}


def make_case(name: str, path: Path) -> Path:
    return CASES[name](good_checkpoint(path))


if __name__ == "__main__":  # python tests/model/checkpoint_factory.py CASE DIR
    print(make_case(sys.argv[1], Path(sys.argv[2])))
