"""Hostile and corrupt checkpoints (issue 13, items 3 and 4): each is refused with one line naming the
file or the config field, before anything is built or a tensor is read, in bounded time and memory.

The checkpoints are tiny ones from ``checkpoint_factory``, broken one way each. The absurd sizes
(which used to grow memory without limit) run in a subprocess under a memory and time bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from qwen2_5_vl.errors import CheckpointError, ConfigError  # noqa: E402
from qwen2_5_vl.pipeline import PageParser  # noqa: E402
from qwen2_5_vl.weights import checkpoint_info, load_model  # noqa: E402

from .checkpoint_factory import CASES, good_checkpoint, make_case  # noqa: E402

HERE = Path(__file__).resolve().parent

# What the one-line refusal must say, per case (the field, the file's fault, or the refusal).
EXPECTED = {
    "layers_1e9": "text_config.num_hidden_layers: 1000000000 is outside the sane range",
    "layers_400_digits": "text_config.num_hidden_layers: an integer of 400 digits is outside",
    "vision_depth_1e7": "vision_config.depth: 10000000 is outside the sane range",
    "hidden_size_huge": "text_config.hidden_size",
    "vocab_huge": "text_config.vocab_size",
    "layers_disagree_with_weights": "text_config.num_hidden_layers is 64 but the weights hold only 2 decoder layers",
    "vocab_disagrees_with_weights": "text_config.vocab_size is 4,096 but model.embed_tokens.weight has shape [288, 64]",
    "eps_nan": "text_config.rms_norm_eps: must be a finite positive number, got nan",
    "eps_inf": "text_config.rms_norm_eps: must be a finite positive number, got inf",
    "eps_negative": "text_config.rms_norm_eps: must be a finite positive number",
    "fullatt_string": "vision_config.fullatt_block_indexes: must be a list of integers, got '13'",
    "mrope_bad": "text_config.mrope_section: must hold integers only, got 'a'",
    "mrope_string": "text_config.mrope_section: must be a list of integers, got '233'",
    "tokenizer_missing": "no tokenizer.json",
    "shard_outside": "names a shard outside the checkpoint folder: '../outside.safetensors'",
    "shard_absolute": "names a shard outside the checkpoint folder: '/",
    "shard_symlink_out": "shard shard-1.safetensors leads outside the checkpoint folder",
    "weights_empty": "model.safetensors is empty: not a safetensors file",
    "weights_truncated": "model.safetensors is truncated",
    "weights_corrupt": "model.safetensors is corrupt",
    "header_bad_json": "its header is not valid JSON",
    "header_length_beyond_file": "goes past the end of the",
    "offsets_beyond_file": "model.safetensors is corrupt: tensor",
    "pickle_renamed": "is not a safetensors file: it is a zip archive",
    "integer_weights": "non float tensors (1): model.norm.weight (I32)",
    "sparse_128g": "bytes follow the last tensor",
    "sparse_128g_zeros": "its header length is 0",
    "sparse_128g_valid": "GB on cpu to load, only",
    "tokenizer_corrupt": "tokenizer.json is not a valid tokenizer file",
    "tokenizer_not_qwen": "not a Qwen2.5-VL tokenizer",
    "config_nested_10000": "config.json is nested too deeply",
}
# Sizes that used to grow memory until killed (10 GB after ~230 s): only run under a bound.
ABSURD = ("layers_1e9", "layers_400_digits", "vision_depth_1e7", "hidden_size_huge", "vocab_huge")
# Header-only checks that model info reports as a config / tokenizer problem (not an exception).
INFO_INCOMPLETE = {"integer_weights", "tokenizer_missing", "tokenizer_corrupt", "tokenizer_not_qwen"}
INFO_COMPLETE = {"sparse_128g_valid"}  # well-formed: only loading it is impossible here
SECONDS = 10.0  # each refusal takes milliseconds; generous for a loaded 2-core machine


def test_every_case_has_an_expectation():
    assert set(EXPECTED) == set(CASES)


def _refusal(path: Path) -> str:
    start = time.perf_counter()
    with pytest.raises((CheckpointError, FileNotFoundError)) as err:
        PageParser.from_pretrained(path, dtype=None, device="cpu")
    assert time.perf_counter() - start < SECONDS
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("case", [c for c in CASES if c not in ABSURD])
def test_broken_checkpoint_is_refused_in_one_line(case, tmp_path):
    path = make_case(case, tmp_path / "ckpt")
    assert EXPECTED[case] in _refusal(path)


@pytest.mark.parametrize("case", [c for c in CASES if c not in ABSURD])
def test_model_info_never_calls_a_broken_checkpoint_complete(case, tmp_path):
    path = make_case(case, tmp_path / "ckpt")
    try:
        info = checkpoint_info(path)
    except CheckpointError as exc:  # a file that cannot even be described
        assert EXPECTED[case] in str(exc) and "\n" not in str(exc)
        assert case not in INFO_INCOMPLETE | INFO_COMPLETE
        return
    if case in INFO_COMPLETE:
        assert info["complete"] is True
        return
    assert info["complete"] is False
    said = json.dumps(info)
    if case == "integer_weights":
        assert info["non_float_tensors"] == ["model.norm.weight (I32)"]
    else:
        assert json.dumps(EXPECTED[case])[1:-1] in said


def test_absurd_sizes_are_refused_under_a_memory_and_time_bound(tmp_path):
    """Before: each grew memory without limit (killed at 1.25 GB RSS after 90 s under a 4 GB bound)."""
    script = f"""
import resource, sys, time, json
resource.setrlimit(resource.RLIMIT_AS, ({3 * 2**30}, {3 * 2**30}))
sys.path.insert(0, {str(HERE)!r})
from pathlib import Path
from checkpoint_factory import make_case
from qwen2_5_vl.pipeline import PageParser
from qwen2_5_vl.weights import checkpoint_info
out = {{}}
for case in {list(ABSURD)!r}:
    path = make_case(case, Path({str(tmp_path)!r}) / case)
    start = time.perf_counter()
    try:
        PageParser.from_pretrained(path, dtype=None, device="cpu")
        load = "loaded"
    except Exception as exc:
        load = type(exc).__name__ + ": " + str(exc)
    info = checkpoint_info(path)
    out[case] = dict(load=load, info=info["config"].get("error"), complete=info["complete"],
                     seconds=time.perf_counter() - start)
print(json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for case in ABSURD:
        r = results[case]
        assert r["load"].startswith("ConfigError: ") and EXPECTED[case] in r["load"], r
        assert EXPECTED[case] in r["info"] and r["complete"] is False, r
        assert r["seconds"] < SECONDS, r


def test_the_tokenizer_is_checked_before_the_weights(tmp_path):
    path = make_case("tokenizer_missing", tmp_path / "ckpt")
    (path / "model.safetensors").write_bytes(b"\x00" * 64)  # the weights are broken too
    assert "no tokenizer.json" in _refusal(path)


def test_config_values_are_strict(tmp_path):
    from qwen2_5_vl.config import Qwen2_5_VLConfig

    base = Qwen2_5_VLConfig.tiny().to_dict()

    def refused(change, field):
        d = json.loads(json.dumps(base))
        change(d)
        with pytest.raises(ConfigError, match=field):
            Qwen2_5_VLConfig.from_dict(d)

    refused(lambda d: d["vision_config"].update(fullatt_block_indexes=[1.5]), "fullatt_block_indexes")
    refused(lambda d: d["vision_config"].update(fullatt_block_indexes=[True]), "fullatt_block_indexes")
    refused(lambda d: d["text_config"].update(num_hidden_layers=2.0), "num_hidden_layers: must be an integer")
    refused(lambda d: d["text_config"].update(rms_norm_eps="1e-6"), "rms_norm_eps: must be a number")
    refused(lambda d: d["text_config"]["rope_parameters"].update(rope_theta=float("nan")), "rope_theta")
    refused(lambda d: d["text_config"]["rope_parameters"].update(mrope_section=[2, 3]), "mrope_section")
    refused(lambda d: d.update(tie_word_embeddings="false"), "tie_word_embeddings: must be true or false")
    refused(lambda d: d["vision_config"].update(rope_parameters=5), "vision_config.rope_parameters")
    refused(lambda d: d.update(image_token_id=True), "image_token_id")
    # a 5000-digit integer is past Python's int parsing limit: still a clean ConfigError
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(base).replace('"num_hidden_layers": 2', '"num_hidden_layers": ' + "9" * 5000))
    with pytest.raises(ConfigError, match="config.json is not usable JSON"):
        Qwen2_5_VLConfig.from_json_file(cfg)
    cfg.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        Qwen2_5_VLConfig.from_json_file(cfg)
    cfg.write_bytes(b"{\xff}")
    with pytest.raises(ConfigError, match="not UTF-8"):
        Qwen2_5_VLConfig.from_json_file(cfg)


def test_presets_pass_the_bounds():
    from qwen2_5_vl.config import PRESETS, Qwen2_5_VLConfig

    for name in PRESETS:
        Qwen2_5_VLConfig.from_preset(name)


def test_hugging_face_cache_symlinks_into_blobs_are_followed(tmp_path, monkeypatch):
    """The cache's snapshots are symlinks into the repository's blobs/: that is not "leaving" it."""
    source = good_checkpoint(tmp_path / "src")
    repo = tmp_path / "hub" / "models--Acme--Tiny-VL"
    snap = repo / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for f in source.iterdir():
        blob = repo / "blobs" / f"sha-{f.name}"
        blob.write_bytes(f.read_bytes())
        (snap / f.name).symlink_to(Path("..", "..", "blobs", blob.name))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    parser = PageParser.from_pretrained("Acme/Tiny-VL", dtype=None, device="cpu")
    assert parser.tokenizer.image_pad_id == parser.model.config.image_token_id
    assert checkpoint_info("Acme/Tiny-VL")["complete"] is True
    (repo / "refs" / "main").write_text("../../../elsewhere")
    with pytest.raises(FileNotFoundError, match="missing snapshot"):
        load_model("Acme/Tiny-VL")


def test_shard_index_names_are_checked(tmp_path):
    from .checkpoint_factory import shard

    path = shard(good_checkpoint(tmp_path / "ckpt"), ["shard-1.safetensors"])
    assert checkpoint_info(path)["complete"] is True  # a plain name inside the folder is fine
    index = path / "model.safetensors.index.json"
    for bad, message in ((["x"], "not a file name"), ("..\\..\\win.safetensors", "outside the checkpoint folder"),
                         ("C:/x.safetensors", "outside the checkpoint folder")):
        data = json.loads(index.read_text())
        data["weight_map"]["model.norm.weight"] = bad
        index.write_text(json.dumps(data))
        with pytest.raises(CheckpointError, match=message):
            load_model(path)
    index.write_text('{"weight_map": ' * 5000 + "{}" + "}" * 5000)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load_model(path)


def test_a_good_checkpoint_still_loads_and_runs(tmp_path):
    import torch

    path = good_checkpoint(tmp_path / "ckpt")
    parser = PageParser.from_pretrained(path, dtype=torch.float32, device="cpu")
    info = checkpoint_info(path)
    assert info["complete"] is True and info["tokenizer"] == {"vocab_size": 270}
    assert not any(p.is_meta for p in parser.model.parameters())
