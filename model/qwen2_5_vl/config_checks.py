"""Sanity bounds and strict value checks for config.json (untrusted input: checked before anything is built).

Building the model costs Python objects per layer and block even on the meta device, so an absurd
``num_hidden_layers`` (1e9, a 400-digit integer) would eat memory without limit before a single
weight is read. Each bound is far above every released checkpoint (the reason is given beside it),
and the weights' own header must agree with the config as well (``weights.check_agreement``).
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ConfigError

# Decoder / vision tower depth. Released maxima: Qwen2.5-VL-72B 80 decoder layers, 32 vision blocks;
# the deepest open LLMs have ~128 layers.
MAX_LAYERS = 1024
# Widths (hidden and per-head sizes). Released maxima: hidden 16384 (Llama-3.1-405B), 8192 (Qwen 72B).
MAX_HIDDEN_SIZE = 65536
MAX_INTERMEDIATE_SIZE = 262144  # released maximum 53248 (Llama-3.1-405B); 29568 for Qwen2.5-VL-72B
MAX_HEADS = 1024  # released maximum 128 attention heads
MAX_VOCAB_SIZE = 2**21  # 2,097,152 rows; released maxima ~262k (Gemma 3), 152k for Qwen2.5-VL
MAX_POSITIONS = 2**24  # 16.7M positions; Qwen2.5-VL declares 128000
# Vision patch geometry: released 14-px patches, 2 frames per patch, 2x2 merge, 3 channels, 112-px windows.
MAX_PATCH_SIZE = 64
MAX_TEMPORAL_PATCH_SIZE = 16
MAX_SPATIAL_MERGE_SIZE = 16
MAX_IN_CHANNELS = 16
MAX_WINDOW_SIZE = 16384  # pixels
MAX_TOKENS_PER_SECOND = 10000  # video only; released value 2
MAX_TOKEN_ID = 2**31 - 1  # ids are stored in int32/int64 tensors


def fail(name: str, message: str) -> None:
    raise ConfigError(f"invalid Qwen2.5-VL config: {name}: {message}")


def _show(value: Any) -> str:
    """repr of a config value, cut short (a 400-digit integer is not echoed whole)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"an integer of {len(str(abs(value)))} digits" if abs(value) >= 10**30 else f"{value:.3g}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def bounded_int(name: str, value: Any, upper: int, lower: int = 1) -> int:
    """``value`` if it is an int in [lower, upper] (bools and floats refused), else a ConfigError naming ``name``."""
    if not is_int(value):
        fail(name, f"must be an integer, got {_show(value)}")
    if not lower <= value <= upper:
        fail(name, f"{_show(value)} is outside the sane range [{lower}, {upper:,}]")
    return value


def positive_float(name: str, value: Any) -> float:
    """A finite, strictly positive number (NaN, inf, 0, negatives, strings and bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(name, f"must be a number, got {_show(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        fail(name, f"{_show(value)} is too large")
    if not math.isfinite(number) or number <= 0:
        fail(name, f"must be a finite positive number, got {_show(value)}")
    return number


def int_list(name: str, value: Any, upper: int, lower: int = 0, length: int | None = None) -> tuple[int, ...]:
    """A JSON list of ints in [lower, upper] (a string such as "13" is refused, not read as [1, 3])."""
    if not isinstance(value, (list, tuple)):
        fail(name, f"must be a list of integers, got {_show(value)}")
    if length is not None and len(value) != length:
        fail(name, f"must be a list of {length} integers, got {_show(list(value))}")
    for item in value:
        if not is_int(item):
            fail(name, f"must hold integers only, got {_show(item)} in {_show(list(value))}")
        if not lower <= item <= upper:
            fail(name, f"{_show(item)} is outside [{lower}, {upper:,}]")
    return tuple(value)
