"""qwen2_5_vl.config: both config.json layouts, presets, validation."""

from __future__ import annotations

import copy
import json

import pytest

from qwen2_5_vl.config import PRESETS, Qwen2_5_VLConfig, TextConfig, VisionConfig

# What transformers 5.24 save_pretrained writes for a tiny model (nested layout).
NESTED_5X = {
    "architectures": ["Qwen2_5_VLForConditionalGeneration"],
    "dtype": "float32",
    "image_token_id": 200,
    "model_type": "qwen2_5_vl",
    "text_config": {
        "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 1, "hidden_act": "silu", "hidden_size": 64,
        "intermediate_size": 96, "layer_types": ["full_attention", "full_attention"],
        "max_position_embeddings": 1024, "max_window_layers": 80, "model_type": "qwen2_5_vl_text",
        "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "pad_token_id": 2,
        "rms_norm_eps": 1e-06,
        "rope_parameters": {"mrope_section": [2, 3, 3], "rope_theta": 10000.0, "rope_type": "default"},
        "sliding_window": None, "use_cache": True, "use_sliding_window": False, "vocab_size": 256,
    },
    "tie_word_embeddings": True,
    "video_token_id": 201,
    "vision_config": {
        "depth": 4, "fullatt_block_indexes": [1, 3], "hidden_act": "silu", "hidden_size": 32, "in_channels": 3,
        "intermediate_size": 48, "model_type": "qwen2_5_vl_vision", "num_heads": 4, "out_hidden_size": 64,
        "patch_size": 14, "rope_parameters": {"rope_theta": 10000.0, "rope_type": "axial"},
        "spatial_merge_size": 2, "temporal_patch_size": 2, "tokens_per_second": 2, "window_size": 112,
    },
    "vision_end_token_id": 203,
    "vision_start_token_id": 202,
}


def test_presets_are_the_released_shapes():
    c3, c7 = Qwen2_5_VLConfig.from_preset("3B"), Qwen2_5_VLConfig.from_preset("Qwen2.5-VL-7B-Instruct")
    assert (c3.text_config.hidden_size, c3.text_config.num_hidden_layers, c3.text_config.num_key_value_heads) == \
        (2048, 36, 2)
    assert c3.tie_word_embeddings and not c7.tie_word_embeddings
    assert (c7.text_config.hidden_size, c7.text_config.intermediate_size, c7.text_config.vocab_size) == \
        (3584, 18944, 152064)
    for c in (c3, c7):
        assert c.text_config.head_dim == 128
        assert c.text_config.mrope_section == (16, 24, 24)
        assert c.text_config.rope_theta == 1_000_000.0
        assert c.vision_config.head_dim == 80 and c.vision_config.patch_dim == 1176
        assert c.vision_config.fullatt_block_indexes == (7, 15, 23, 31)
        assert c.vision_config.out_hidden_size == c.text_config.hidden_size
        assert (c.image_token_id, c.vision_start_token_id, c.eos_token_id) == (151655, 151652, 151645)
    with pytest.raises(ValueError, match="unknown preset"):
        Qwen2_5_VLConfig.from_preset("72B")


def test_flat_4x_layout():
    d = copy.deepcopy(PRESETS["7B"])
    assert "text_config" not in d and d["rope_scaling"]["type"] == "mrope"
    c = Qwen2_5_VLConfig.from_dict(d)
    assert c.vision_config.in_channels == 3  # read from "in_chans"
    assert c.text_config.rms_norm_eps == 1e-6


def test_nested_5x_layout():
    c = Qwen2_5_VLConfig.from_dict(NESTED_5X)
    assert c.tie_word_embeddings
    assert c.text_config.mrope_section == (2, 3, 3) and c.text_config.rope_theta == 10000.0
    assert (c.bos_token_id, c.eos_token_id, c.pad_token_id) == (0, 1, 2)
    assert c.vision_config.fullatt_block_indexes == (1, 3)
    assert c.image_token_id == 200 and c.vision_end_token_id == 203
    assert c == Qwen2_5_VLConfig.tiny(tie_word_embeddings=True)


def test_tie_in_text_config_only():
    d = copy.deepcopy(NESTED_5X)
    d.pop("tie_word_embeddings")
    assert not Qwen2_5_VLConfig.from_dict(d).tie_word_embeddings
    d["text_config"]["tie_word_embeddings"] = True
    assert Qwen2_5_VLConfig.from_dict(d).tie_word_embeddings


def test_text_config_wins_over_flat_keys():
    # transformers 4.57 writes both; the nested values are the ones it uses
    d = copy.deepcopy(NESTED_5X)
    d.update(hidden_size=999, num_hidden_layers=7)
    c = Qwen2_5_VLConfig.from_dict(d)
    assert (c.text_config.hidden_size, c.text_config.num_hidden_layers) == (64, 2)


def test_round_trip_and_json_file(tmp_path):
    c = Qwen2_5_VLConfig.tiny(text=dict(num_key_value_heads=1))
    (tmp_path / "config.json").write_text(json.dumps(c.to_dict()))
    assert Qwen2_5_VLConfig.from_json_file(tmp_path) == c
    assert Qwen2_5_VLConfig.from_json_file(tmp_path / "config.json") == c
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        Qwen2_5_VLConfig.from_json_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        Qwen2_5_VLConfig.from_json_file(tmp_path / "missing")


@pytest.mark.parametrize(
    "overrides, field",
    [
        (dict(text=dict(hidden_size=66)), "text_config.hidden_size"),  # 66 % 4 heads
        (dict(text=dict(num_key_value_heads=3)), "text_config.num_key_value_heads"),
        (dict(text=dict(mrope_section=(2, 2, 2))), "text_config.mrope_section"),
        (dict(text=dict(mrope_section=(4, 4))), "text_config.mrope_section"),
        (dict(text=dict(hidden_act="gelu")), "text_config.hidden_act"),
        (dict(text=dict(vocab_size=0)), "text_config.vocab_size"),
        (dict(vision=dict(num_heads=5)), "vision_config.hidden_size"),  # 32 % 5
        (dict(vision=dict(hidden_size=24, num_heads=4)), "vision_config.num_heads"),  # head_dim 6 % 4
        (dict(vision=dict(out_hidden_size=32)), "vision_config.out_hidden_size"),
        (dict(vision=dict(fullatt_block_indexes=(4,))), "vision_config.fullatt_block_indexes"),
        (dict(vision=dict(window_size=100)), "vision_config.window_size"),
        (dict(image_token_id=256), "image_token_id"),
        (dict(eos_token_id=[1, 300]), "eos_token_id"),
        (dict(vision_start_token_id=-1), "vision_start_token_id"),
    ],
)
def test_validation_names_the_field(overrides, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        Qwen2_5_VLConfig.tiny(**overrides)


def test_validation_from_dict_special_ids_over_vocab():
    d = copy.deepcopy(NESTED_5X)
    d["image_token_id"] = 151655  # the real id, but the vocab is 256
    with pytest.raises(ValueError, match="image_token_id"):
        Qwen2_5_VLConfig.from_dict(d)


def test_unsupported_rope_type():
    d = copy.deepcopy(NESTED_5X)
    d["text_config"]["rope_parameters"]["rope_type"] = "yarn"
    with pytest.raises(ValueError, match="rope_type"):
        Qwen2_5_VLConfig.from_dict(d)


def test_dataclasses_validate_alone():
    assert VisionConfig().head_dim == 80
    assert TextConfig().head_dim == 128
    with pytest.raises(ValueError, match="text_config.num_attention_heads"):
        TextConfig(num_attention_heads=0)
