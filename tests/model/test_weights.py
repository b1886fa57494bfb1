"""qwen2_5_vl.weights: layouts, shards, HF cache ids, strict errors, pickle refusal, checkpoint_info."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from qwen2_5_vl.config import Qwen2_5_VLConfig
from qwen2_5_vl.modeling import Qwen2_5_VLForConditionalGeneration
from qwen2_5_vl.rope import get_rope_index
from qwen2_5_vl.weights import CheckpointError, checkpoint_info, load_model, load_state, to_legacy_key


def random_model(config: Qwen2_5_VLConfig, seed: int = 0) -> Qwen2_5_VLForConditionalGeneration:
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    return model.eval()


def checkpoint_tensors(model) -> dict[str, torch.Tensor]:
    """The tensors a checkpoint holds: legacy names, no lm_head when tied."""
    sd = {k: v.clone().contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        sd.pop("lm_head.weight")
    return sd


def write_checkpoint(path: Path, config: Qwen2_5_VLConfig, tensors: dict[str, torch.Tensor],
                     shards: int = 1) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config.to_dict()))
    if shards == 1:
        save_file(tensors, str(path / "model.safetensors"), metadata={"format": "pt"})
        return path
    names = sorted(tensors)
    weight_map = {}
    for i in range(shards):
        part = names[i::shards]
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        save_file({n: tensors[n] for n in part}, str(path / fname), metadata={"format": "pt"})
        weight_map.update({n: fname for n in part})
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (path / "model.safetensors.index.json").write_text(json.dumps(index))
    return path


def assert_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k].float(), sb[k].float()), k


@pytest.fixture(params=[False, True], ids=["untied", "tied"])
def saved(request, tmp_path):
    config = Qwen2_5_VLConfig.tiny(tie_word_embeddings=request.param)
    model = random_model(config)
    return model, write_checkpoint(tmp_path / "ckpt", config, checkpoint_tensors(model))


def test_state_dict_keys_are_the_legacy_checkpoint_names():
    keys = set(Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig.tiny()).state_dict())
    assert {"visual.patch_embed.proj.weight", "visual.blocks.0.attn.qkv.bias", "visual.merger.ln_q.weight",
            "visual.merger.mlp.0.weight", "visual.merger.mlp.2.bias", "model.embed_tokens.weight",
            "model.layers.1.self_attn.k_proj.bias", "model.layers.0.post_attention_layernorm.weight",
            "model.norm.weight", "lm_head.weight"} <= keys
    assert not any(k.startswith(("model.visual", "model.language_model")) for k in keys)
    assert "model.layers.0.self_attn.o_proj.bias" not in keys


def test_load_roundtrip_fp32(saved):
    model, path = saved
    loaded = load_model(path, dtype=torch.float32)
    assert_same_weights(model, loaded)
    assert not any(p.is_meta for p in loaded.parameters())
    assert not loaded.training
    assert (loaded.lm_head.weight is loaded.model.embed_tokens.weight) == model.config.tie_word_embeddings


def test_load_casts_to_bf16_and_runs(saved):
    model, path = saved
    loaded = load_model(str(path))  # default bfloat16
    assert {p.dtype for p in loaded.parameters()} == {torch.bfloat16}
    ids = torch.tensor([[5, 6, 7, 8]])
    pos, _ = get_rope_index(ids, None, None, loaded.config)
    with torch.no_grad():
        ours = loaded(ids, pos)
        ref = model(ids, pos)
    assert ours.dtype == torch.float32 and torch.isfinite(ours).all()
    assert torch.allclose(ours, ref, atol=0.15 * ref.abs().max().item())


def test_transformers_452_key_layout(saved, tmp_path):
    model, _ = saved
    renamed = {("model.language_model." + k[len("model."):]) if k.startswith("model.") else
               ("model." + k if k.startswith("visual.") else k): v for k, v in checkpoint_tensors(model).items()}
    assert any(k.startswith("model.visual.") for k in renamed)
    path = write_checkpoint(tmp_path / "new_layout", model.config, renamed)
    assert_same_weights(model, load_model(path, dtype=torch.float32))
    assert checkpoint_info(path)["key_layout"] == "transformers>=4.52"
    assert to_legacy_key("model.language_model.norm.weight") == "model.norm.weight"
    assert to_legacy_key("model.visual.merger.ln_q.weight") == "visual.merger.ln_q.weight"
    assert to_legacy_key("lm_head.weight") == "lm_head.weight"


def test_sharded_checkpoint_with_index(saved, tmp_path):
    model, _ = saved
    path = write_checkpoint(tmp_path / "sharded", model.config, checkpoint_tensors(model), shards=3)
    assert len(list(path.glob("*.safetensors"))) == 3
    assert_same_weights(model, load_model(path, dtype=torch.float32))
    (path / "model-00002-of-00003.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model-00002-of-00003"):
        load_model(path)


def test_missing_and_unexpected_keys_are_listed(tmp_path):
    config = Qwen2_5_VLConfig.tiny()
    tensors = checkpoint_tensors(random_model(config))
    tensors.pop("model.layers.1.mlp.up_proj.weight")
    tensors.pop("visual.merger.ln_q.weight")
    tensors["model.layers.9.extra.weight"] = torch.zeros(2)
    path = write_checkpoint(tmp_path / "bad", config, tensors)
    with pytest.raises(CheckpointError) as err:
        load_model(path)
    message = str(err.value)
    assert "missing keys (2)" in message and "unexpected keys (1)" in message
    for name in ("model.layers.1.mlp.up_proj.weight", "visual.merger.ln_q.weight", "model.layers.9.extra.weight"):
        assert name in message
    info = checkpoint_info(path)
    assert info["missing_keys"] == ["model.layers.1.mlp.up_proj.weight", "visual.merger.ln_q.weight"]
    assert info["unexpected_keys"] == ["model.layers.9.extra.weight"]
    assert info["complete"] is False


def test_untied_checkpoint_needs_lm_head(tmp_path):
    config = Qwen2_5_VLConfig.tiny(tie_word_embeddings=False)
    tensors = checkpoint_tensors(random_model(config))
    tensors.pop("lm_head.weight")
    with pytest.raises(CheckpointError, match="lm_head.weight"):
        load_model(write_checkpoint(tmp_path / "c", config, tensors))


def test_tied_checkpoint_may_carry_lm_head(tmp_path):
    config = Qwen2_5_VLConfig.tiny(tie_word_embeddings=True)
    model = random_model(config)
    tensors = checkpoint_tensors(model)
    tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"].clone()
    loaded = load_model(write_checkpoint(tmp_path / "c", config, tensors), dtype=torch.float32)
    assert loaded.lm_head.weight is loaded.model.embed_tokens.weight
    assert_same_weights(model, loaded)


def test_mis_shaped_tensor_is_listed(tmp_path):
    config = Qwen2_5_VLConfig.tiny()
    tensors = checkpoint_tensors(random_model(config))
    tensors["model.norm.weight"] = torch.ones(65)
    with pytest.raises(CheckpointError, match=r"mismatched shapes \(1\): model.norm.weight: checkpoint \[65\]"):
        load_model(write_checkpoint(tmp_path / "c", config, tensors))


def test_pickle_checkpoints_are_refused(tmp_path):
    ckpt = tmp_path / "pickled"
    ckpt.mkdir()
    (ckpt / "config.json").write_text(json.dumps(Qwen2_5_VLConfig.tiny().to_dict()))
    torch.save({"x": torch.zeros(1)}, ckpt / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="pickle.*arbitrary code.*safetensors"):
        load_model(ckpt)
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        load_model(ckpt / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="refused"):
        checkpoint_info(ckpt)


def test_model_id_from_local_hf_cache(saved, tmp_path, monkeypatch):
    model, path = saved
    hub = tmp_path / "hf_home" / "hub"
    repo = hub / "models--Acme--Tiny-VL"
    snap = repo / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    for f in path.iterdir():
        (snap / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd\n")
    (repo / "snapshots" / "stale").mkdir()  # another revision: refs/main decides
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    assert_same_weights(model, load_model("Acme/Tiny-VL", dtype=torch.float32))
    assert checkpoint_info("Acme/Tiny-VL")["path"] == str(snap)
    with pytest.raises(FileNotFoundError, match="not in the local Hugging Face cache"):
        load_model("Acme/Other-VL")
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_model(tmp_path / "nowhere" / "deeper" / "path")


def test_load_state_into_existing_meta_model(saved):
    model, path = saved
    with torch.device("meta"):
        target = Qwen2_5_VLForConditionalGeneration(model.config)
    report = load_state(target, path, dtype=None)
    assert report["key_layout"] == "legacy" and report["files"] == ["model.safetensors"]
    assert_same_weights(model, target)


def test_checkpoint_info_numbers(saved):
    model, path = saved
    info = checkpoint_info(path)
    tensors = checkpoint_tensors(model)
    assert info["num_tensors"] == len(tensors)
    assert info["parameter_count"] == sum(t.numel() for t in tensors.values())
    assert info["dtype"] == "float32" and info["dtypes"] == {"float32": len(tensors)}
    assert info["size_bytes"] == (path / "model.safetensors").stat().st_size
    assert info["missing_keys"] == [] and info["non_float_tensors"] == []
    # weights and config are fine, but without tokenizer.json the checkpoint cannot be used
    assert "no tokenizer.json" in info["tokenizer"]["error"] and info["complete"] is False
    assert info["config"]["tie_word_embeddings"] == model.config.tie_word_embeddings
    assert info["key_layout"] == "legacy"


@pytest.mark.parametrize("tied", [False, True])
def test_random_model_for_benchmarks(tied):
    from qwen2_5_vl.weights import random_model as make_random

    config = Qwen2_5_VLConfig.tiny(tie_word_embeddings=tied)
    model = make_random(config, dtype=torch.bfloat16, seed=3)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert not any(p.is_meta for p in model.parameters())
    assert (model.lm_head.weight is model.model.embed_tokens.weight) == tied
    assert torch.equal(model.model.norm.weight, torch.ones_like(model.model.norm.weight))
    assert model.model.layers[0].self_attn.q_proj.weight.float().std().item() == pytest.approx(0.02, rel=0.2)
    again = make_random(config, dtype=torch.bfloat16, seed=3)
    assert_same_weights(model, again)
    ids = torch.tensor([[5, 6, 7]])
    with torch.no_grad():
        assert torch.isfinite(model(ids, torch.arange(3).view(1, 1, 3).expand(3, 1, 3))).all()
