"""Qwen2.5-VL configuration: dataclasses read from a checkpoint's config.json.

Two on-disk layouts exist and both are accepted:

* the flat 4.x layout of the released checkpoints: text keys at the top level,
  ``rope_theta`` and ``rope_scaling={"type": "mrope", "mrope_section": [...]}``;
* the 5.x layout written by ``transformers>=5``: text keys under ``text_config`` with
  ``rope_parameters={"rope_type": ..., "rope_theta": ..., "mrope_section": [...]}``.

``tie_word_embeddings`` may sit at the root or inside ``text_config`` (either one set means tied).
Every config is validated on construction; a bad value raises ``ConfigError`` (a ``ValueError``)
naming the field. config.json is untrusted: every size has a sanity bound (``config_checks``), lists
must be JSON lists of ints, floats must be finite, all before anything is built.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config_checks import (MAX_HEADS, MAX_HIDDEN_SIZE, MAX_IN_CHANNELS, MAX_INTERMEDIATE_SIZE, MAX_LAYERS,
                            MAX_PATCH_SIZE, MAX_POSITIONS, MAX_SPATIAL_MERGE_SIZE, MAX_TEMPORAL_PATCH_SIZE,
                            MAX_TOKEN_ID, MAX_TOKENS_PER_SECOND, MAX_VOCAB_SIZE, MAX_WINDOW_SIZE, bounded_int,
                            fail, int_list, is_int, positive_float)
from .errors import ConfigError
from .jsonfile import MAX_CONFIG_BYTES, load_json

__all__ = ["VisionConfig", "TextConfig", "Qwen2_5_VLConfig", "PRESETS", "presets"]


_fail = fail


def _check_bounded(obj: Any, prefix: str, bounds: dict[str, int]) -> None:
    """Each named field is an int in [1, bound] (the bounds and their reasons: config_checks)."""
    for name, upper in bounds.items():
        bounded_int(f"{prefix}{name}", getattr(obj, name), upper)


_VISION_BOUNDS = dict(depth=MAX_LAYERS, hidden_size=MAX_HIDDEN_SIZE, num_heads=MAX_HEADS,
                      intermediate_size=MAX_INTERMEDIATE_SIZE, patch_size=MAX_PATCH_SIZE,
                      temporal_patch_size=MAX_TEMPORAL_PATCH_SIZE, spatial_merge_size=MAX_SPATIAL_MERGE_SIZE,
                      in_channels=MAX_IN_CHANNELS, window_size=MAX_WINDOW_SIZE, out_hidden_size=MAX_HIDDEN_SIZE,
                      tokens_per_second=MAX_TOKENS_PER_SECOND)
_TEXT_BOUNDS = dict(vocab_size=MAX_VOCAB_SIZE, hidden_size=MAX_HIDDEN_SIZE, intermediate_size=MAX_INTERMEDIATE_SIZE,
                    num_hidden_layers=MAX_LAYERS, num_attention_heads=MAX_HEADS, num_key_value_heads=MAX_HEADS,
                    max_position_embeddings=MAX_POSITIONS)


@dataclass
class VisionConfig:
    """The vision tower (ViT with window attention + 2x2 patch merger). Defaults: the released 3B/7B."""

    depth: int = 32
    hidden_size: int = 1280
    num_heads: int = 16
    intermediate_size: int = 3420
    hidden_act: str = "silu"
    patch_size: int = 14
    temporal_patch_size: int = 2
    spatial_merge_size: int = 2
    in_channels: int = 3
    window_size: int = 112  # pixels
    fullatt_block_indexes: tuple[int, ...] = (7, 15, 23, 31)
    out_hidden_size: int = 3584  # must equal the text hidden size
    tokens_per_second: int = 2  # only used for video, kept for completeness
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6  # hard-coded in the reference implementation

    def __post_init__(self) -> None:
        # a JSON list of ints: "13" must not be read as [1, 3]
        self.fullatt_block_indexes = int_list("vision_config.fullatt_block_indexes", self.fullatt_block_indexes,
                                              upper=MAX_LAYERS)
        self.rope_theta = positive_float("vision_config.rope_theta", self.rope_theta)
        self.rms_norm_eps = positive_float("vision_config.rms_norm_eps", self.rms_norm_eps)
        self.validate()

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    @property
    def patch_dim(self) -> int:
        """Length of one flattened patch row of ``pixel_values`` (1176 for the real model)."""
        return self.in_channels * self.temporal_patch_size * self.patch_size * self.patch_size

    @property
    def merge_unit(self) -> int:
        return self.spatial_merge_size**2

    def validate(self) -> None:
        p = "vision_config."
        _check_bounded(self, p, _VISION_BOUNDS)
        if self.hidden_size % self.num_heads:
            _fail(p + "hidden_size", f"{self.hidden_size} is not divisible by num_heads={self.num_heads}")
        if self.head_dim % 4:
            # 2D rotary: half the head dim for rows, half for columns, each split in cos/sin pairs
            _fail(p + "num_heads", f"vision head_dim {self.head_dim} must be divisible by 4")
        if self.hidden_act != "silu":
            _fail(p + "hidden_act", f"only 'silu' is supported, got {self.hidden_act!r}")
        if self.window_size % (self.spatial_merge_size * self.patch_size):
            _fail(p + "window_size", f"{self.window_size} is not a multiple of spatial_merge_size*patch_size")
        indexes = int_list(p + "fullatt_block_indexes", self.fullatt_block_indexes, upper=MAX_LAYERS)
        bad = [i for i in indexes if not 0 <= i < self.depth]
        if bad:
            _fail(p + "fullatt_block_indexes", f"{bad} out of range for depth {self.depth}")
        positive_float(p + "rope_theta", self.rope_theta)
        positive_float(p + "rms_norm_eps", self.rms_norm_eps)


@dataclass
class TextConfig:
    """The Qwen2.5 decoder. Defaults: the released 7B."""

    vocab_size: int = 152064
    hidden_size: int = 3584
    intermediate_size: int = 18944
    num_hidden_layers: int = 28
    num_attention_heads: int = 28
    num_key_value_heads: int = 4
    hidden_act: str = "silu"
    rms_norm_eps: float = 1e-6
    rope_theta: float = 1_000_000.0
    mrope_section: tuple[int, int, int] = (16, 24, 24)
    max_position_embeddings: int = 128000

    def __post_init__(self) -> None:
        self.mrope_section = int_list("text_config.mrope_section", self.mrope_section, upper=MAX_HIDDEN_SIZE,
                                      length=3)
        self.rms_norm_eps = positive_float("text_config.rms_norm_eps", self.rms_norm_eps)
        self.rope_theta = positive_float("text_config.rope_theta", self.rope_theta)
        self.validate()

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def validate(self) -> None:
        p = "text_config."
        _check_bounded(self, p, _TEXT_BOUNDS)
        if self.hidden_size % self.num_attention_heads:
            _fail(p + "hidden_size", f"{self.hidden_size} is not divisible by "
                                     f"num_attention_heads={self.num_attention_heads}")
        if self.num_attention_heads % self.num_key_value_heads:
            _fail(p + "num_key_value_heads", f"num_attention_heads={self.num_attention_heads} is not a multiple "
                                             f"of num_key_value_heads={self.num_key_value_heads}")
        if self.head_dim % 2:
            _fail(p + "hidden_size", f"head_dim {self.head_dim} must be even for rotary embeddings")
        int_list(p + "mrope_section", self.mrope_section, upper=MAX_HIDDEN_SIZE, length=3)  # (t, h, w)
        if sum(self.mrope_section) != self.head_dim // 2:
            _fail(p + "mrope_section", f"sum {sum(self.mrope_section)} must equal head_dim/2 = {self.head_dim // 2}")
        if self.hidden_act != "silu":
            _fail(p + "hidden_act", f"only 'silu' is supported, got {self.hidden_act!r}")
        positive_float(p + "rms_norm_eps", self.rms_norm_eps)  # NaN / inf / <= 0 would poison every norm
        positive_float(p + "rope_theta", self.rope_theta)


@dataclass
class Qwen2_5_VLConfig:
    """Whole-model configuration: vision tower, decoder, special token ids."""

    vision_config: VisionConfig = field(default_factory=VisionConfig)
    text_config: TextConfig = field(default_factory=TextConfig)
    tie_word_embeddings: bool = False
    image_token_id: int = 151655
    video_token_id: int = 151656
    vision_start_token_id: int = 151652
    vision_end_token_id: int = 151653
    bos_token_id: int | None = 151643
    eos_token_id: int | list[int] | None = 151645
    pad_token_id: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    # -- validation ---------------------------------------------------------------------------------
    def validate(self) -> None:
        self.vision_config.validate()
        self.text_config.validate()
        if self.vision_config.out_hidden_size != self.text_config.hidden_size:
            _fail("vision_config.out_hidden_size", f"{self.vision_config.out_hidden_size} must equal "
                                                   f"text_config.hidden_size={self.text_config.hidden_size}")
        vocab = self.text_config.vocab_size
        for name in ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id",
                     "bos_token_id", "eos_token_id", "pad_token_id"):
            value = getattr(self, name)
            ids = value if isinstance(value, (list, tuple)) else [value]
            for token_id in ids:
                if token_id is None:
                    continue
                if not is_int(token_id) or not 0 <= token_id < min(vocab, MAX_TOKEN_ID):
                    _fail(name, f"{token_id!r} must be an int in [0, vocab_size={vocab})")

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Qwen2_5_VLConfig":
        """Build from a config.json dict in either the flat 4.x or the nested 5.x layout."""
        if not isinstance(d, dict):
            raise ConfigError(f"invalid Qwen2.5-VL config: expected a JSON object, got {type(d).__name__}")
        text_src = d.get("text_config")
        if not isinstance(text_src, dict):
            text_src = {}
        # 4.57 writes both the flat keys and text_config; prefer text_config, fall back to the root.
        def text_get(key: str, default: Any = None) -> Any:
            if key in text_src:
                return text_src[key]
            return d.get(key, default)

        rope = text_get("rope_parameters") or text_get("rope_scaling") or {}
        if not isinstance(rope, dict):
            _fail("text_config.rope_parameters", f"must be a dict, got {rope!r}")
        rope_type = rope.get("rope_type", rope.get("type", "default"))
        if rope_type not in ("default", "mrope"):
            _fail("text_config.rope_parameters.rope_type", f"only default/mrope are supported, got {rope_type!r}")
        t_defaults = TextConfig.__dataclass_fields__
        heads = text_get("num_attention_heads", t_defaults["num_attention_heads"].default)
        text = TextConfig(
            vocab_size=text_get("vocab_size", t_defaults["vocab_size"].default),
            hidden_size=text_get("hidden_size", t_defaults["hidden_size"].default),
            intermediate_size=text_get("intermediate_size", t_defaults["intermediate_size"].default),
            num_hidden_layers=text_get("num_hidden_layers", t_defaults["num_hidden_layers"].default),
            num_attention_heads=heads,
            num_key_value_heads=_default_if_none(text_get("num_key_value_heads"), heads),  # null: multi-head
            hidden_act=text_get("hidden_act", "silu"),
            rms_norm_eps=text_get("rms_norm_eps", 1e-6),
            rope_theta=rope.get("rope_theta", text_get("rope_theta", 1_000_000.0)),
            mrope_section=rope.get("mrope_section", t_defaults["mrope_section"].default),
            max_position_embeddings=text_get("max_position_embeddings", 128000),
        )

        v = d.get("vision_config") or {}
        if not isinstance(v, dict):
            _fail("vision_config", f"must be a dict, got {type(v).__name__}")
        v_rope = v.get("rope_parameters") or {}
        if not isinstance(v_rope, dict):
            _fail("vision_config.rope_parameters", f"must be a dict, got {type(v_rope).__name__}")
        v_defaults = VisionConfig.__dataclass_fields__

        def vget(key: str, *aliases: str) -> Any:
            for k in (key, *aliases):
                if k in v:
                    return v[k]
            return v_defaults[key].default

        vision = VisionConfig(
            depth=vget("depth"),
            hidden_size=vget("hidden_size"),
            num_heads=vget("num_heads"),
            intermediate_size=vget("intermediate_size"),
            hidden_act=vget("hidden_act"),
            patch_size=vget("patch_size", "spatial_patch_size"),
            temporal_patch_size=vget("temporal_patch_size"),
            spatial_merge_size=vget("spatial_merge_size"),
            in_channels=vget("in_channels", "in_chans"),
            window_size=vget("window_size"),
            fullatt_block_indexes=vget("fullatt_block_indexes"),
            out_hidden_size=vget("out_hidden_size"),
            tokens_per_second=vget("tokens_per_second"),
            rope_theta=v_rope.get("rope_theta", v.get("rope_theta", 10000.0)),
        )

        tie = _flag("tie_word_embeddings", d) or _flag("text_config.tie_word_embeddings", text_src)
        top = cls.__dataclass_fields__
        return cls(
            vision_config=vision,
            text_config=text,
            tie_word_embeddings=tie,
            image_token_id=d.get("image_token_id", top["image_token_id"].default),
            video_token_id=d.get("video_token_id", top["video_token_id"].default),
            vision_start_token_id=d.get("vision_start_token_id", top["vision_start_token_id"].default),
            vision_end_token_id=d.get("vision_end_token_id", top["vision_end_token_id"].default),
            bos_token_id=text_get("bos_token_id", top["bos_token_id"].default),
            eos_token_id=text_get("eos_token_id", top["eos_token_id"].default),
            pad_token_id=text_get("pad_token_id", None),
        )

    @classmethod
    def from_json_file(cls, path: str | Path) -> "Qwen2_5_VLConfig":
        path = Path(path)
        if path.is_dir():
            path = path / "config.json"
        try:
            data = load_json(path, MAX_CONFIG_BYTES, ConfigError)
        except FileNotFoundError:
            raise FileNotFoundError(f"no config.json at {path}") from None
        return cls.from_dict(data)

    @classmethod
    def from_preset(cls, name: str) -> "Qwen2_5_VLConfig":
        """The real shapes of a released checkpoint ('3B' or '7B'), for benchmarks with random weights."""
        key = name.upper().removeprefix("QWEN2.5-VL-").removesuffix("-INSTRUCT")
        if key not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; known: {sorted(PRESETS)}")
        return cls.from_dict(PRESETS[key])

    @classmethod
    def tiny(cls, **overrides: Any) -> "Qwen2_5_VLConfig":
        """A few-kilobyte model for tests: real 2x2 merge and 112-px windows, small vocab.

        ``overrides`` may hold top-level fields or ``vision=dict(...)`` / ``text=dict(...)``.
        """
        vision = dict(depth=4, hidden_size=32, num_heads=4, intermediate_size=48, out_hidden_size=64,
                      window_size=112, fullatt_block_indexes=(1, 3))
        text = dict(vocab_size=256, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, rope_theta=10000.0, mrope_section=(2, 3, 3),
                    max_position_embeddings=1024)
        vision.update(overrides.pop("vision", {}))
        text.update(overrides.pop("text", {}))
        top: dict[str, Any] = dict(image_token_id=200, video_token_id=201, vision_start_token_id=202,
                                   vision_end_token_id=203, bos_token_id=0, eos_token_id=1, pad_token_id=2,
                                   tie_word_embeddings=False)
        top.update(overrides)
        return cls(vision_config=VisionConfig(**vision), text_config=TextConfig(**text), **top)

    def to_dict(self) -> dict[str, Any]:
        """A nested (5.x-style) dict that ``from_dict`` reads back."""
        d = asdict(self)
        t = d["text_config"]
        t["rope_parameters"] = {"rope_type": "default", "rope_theta": t.pop("rope_theta"),
                                "mrope_section": list(t.pop("mrope_section"))}
        vd = d["vision_config"]
        vd["fullatt_block_indexes"] = list(vd["fullatt_block_indexes"])
        vd["rope_parameters"] = {"rope_type": "axial", "rope_theta": vd.pop("rope_theta")}
        vd.pop("rms_norm_eps")
        for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
            t[key] = d.pop(key)
        d["model_type"] = "qwen2_5_vl"
        return d


def _default_if_none(value: Any, default: Any) -> Any:
    return default if value is None else value


def _flag(name: str, d: dict[str, Any]) -> bool:
    """A JSON boolean (absent or null: false); the string "false" is refused, not read as true."""
    value = d.get(name.rpartition(".")[2])
    if value is None:
        return False
    if not isinstance(value, bool):
        _fail(name, f"must be true or false, got {value!r}"[:120])
    return value


def _released(hidden: int, inter: int, layers: int, heads: int, kv: int, vocab: int, tied: bool,
              max_window_layers: int) -> dict[str, Any]:
    """config.json of a released Qwen2.5-VL Instruct checkpoint (flat 4.x layout, as on the Hub)."""
    return {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "model_type": "qwen2_5_vl",
        "attention_dropout": 0.0,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "vision_start_token_id": 151652,
        "vision_end_token_id": 151653,
        "vision_token_id": 151654,
        "image_token_id": 151655,
        "video_token_id": 151656,
        "hidden_act": "silu",
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": inter,
        "max_position_embeddings": 128000,
        "max_window_layers": max_window_layers,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "num_key_value_heads": kv,
        "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0,
        "sliding_window": 32768,
        "tie_word_embeddings": tied,
        "torch_dtype": "bfloat16",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": vocab,
        "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
        "vision_config": {
            "depth": 32, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420,
            "num_heads": 16, "in_chans": 3, "out_hidden_size": hidden, "patch_size": 14,
            "spatial_merge_size": 2, "spatial_patch_size": 14, "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2, "temporal_patch_size": 2,
        },
    }


# Real checkpoint shapes (reference/qwen2_5_vl.md §3.11), as config.json dicts.
PRESETS: dict[str, dict[str, Any]] = {
    "3B": _released(2048, 11008, 36, 16, 2, 151936, True, 70),
    "7B": _released(3584, 18944, 28, 28, 4, 152064, False, 28),
}
presets = PRESETS  # lower-case alias
