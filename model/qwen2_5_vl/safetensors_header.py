"""Reading and checking a safetensors file's header without touching its tensor data.

A safetensors file is ``u64 little-endian N | N bytes of JSON header | tensor bytes``. The header
is read with two bounded ``read`` calls, so a corrupt length, a pickle renamed ``.safetensors`` or a
128 GiB sparse file costs a few bytes of I/O, never an mmap of the whole file. Every tensor's dtype,
shape and byte range must be consistent, the ranges must tile the data exactly (the rule the
safetensors library itself applies), and the file must end where the last tensor does. Only then
is the file handed to ``safetensors.safe_open`` for loading.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CheckpointError

LENGTH_BYTES = 8  # the u64 header length prefix
MAX_HEADER_BYTES = 100_000_000  # the limit the safetensors library enforces (a 72B header is ~100 KB)
MAX_RANK = 8  # no weight has more than 5 dimensions (the 3D patch convolution)

# bytes per element of every dtype safetensors defines
DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
               "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
FLOAT_DTYPES = frozenset({"F16", "BF16", "F32", "F64"})  # what the model's parameters can be loaded from

# What a file that is not safetensors starts with, to say what it is.
_SIGNATURES = ((b"PK\x03\x04", "a zip archive (torch.save writes one: pickle-based, refused)"),
               (b"\x80", "a pickle (pickle-based checkpoints are refused: unpickling can run code)"),
               (b"\x89HDF", "an HDF5 file (Keras)"), (b"GGUF", "a GGUF file (llama.cpp)"))


@dataclass(frozen=True)
class TensorHeader:
    name: str
    dtype: str  # safetensors dtype string, e.g. "BF16"
    shape: tuple[int, ...]
    begin: int  # byte offsets into the data section
    end: int

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


def read_header(file: Path) -> tuple[dict[str, TensorHeader], dict[str, str]]:
    """(tensors by name, __metadata__) of a safetensors file, after checking it end to end.

    Raises ``CheckpointError`` (one line naming the file) for an empty, truncated, padded or
    corrupt file, a header that is not JSON or not a safetensors header, and bad offsets.
    """
    try:
        with open(file, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            prefix = f.read(LENGTH_BYTES)
            if len(prefix) < LENGTH_BYTES:
                what = "empty" if size == 0 else f"only {size} bytes"
                raise CheckpointError(f"{file} is {what}: not a safetensors file")
            (length,) = struct.unpack("<Q", prefix)
            if length == 0 or length > MAX_HEADER_BYTES or LENGTH_BYTES + length > size:
                raise CheckpointError(f"{file} is not a safetensors file: {_bad_length(prefix, length, size)}")
            raw = f.read(length)
    except IsADirectoryError:
        raise CheckpointError(f"{file} is a directory, not a safetensors file") from None
    if len(raw) != length:
        raise CheckpointError(f"{file} changed while it was read (header cut short)")
    try:
        header = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CheckpointError(f"{file} is corrupt: its header is not UTF-8 text") from None
    except RecursionError:
        raise CheckpointError(f"{file} is corrupt: its header is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise CheckpointError(f"{file} is corrupt: its header is not valid JSON ({str(exc)[:100]})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{file} is corrupt: its header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{file} is corrupt: __metadata__ is not an object")
    tensors = {name: _entry(file, name, value) for name, value in header.items()}
    _check_tiling(file, tensors, size - LENGTH_BYTES - length, size)
    return tensors, metadata


def _bad_length(prefix: bytes, length: int, size: int) -> str:
    for signature, what in _SIGNATURES:
        if prefix.startswith(signature):
            return f"it is {what}"
    if length == 0:
        return "its header length is 0"
    if length > MAX_HEADER_BYTES:
        return f"its header length {length:,} is beyond the {MAX_HEADER_BYTES:,}-byte limit (corrupt)"
    return f"its header length {length:,} goes past the end of the {size:,}-byte file (truncated or corrupt)"


def _entry(file: Path, name: str, value: Any) -> TensorHeader:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(f"{file} is corrupt: tensor {name[:100]!r} {why}")

    if not isinstance(value, dict):
        raise bad("is not described by an object")
    dtype, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise bad(f"has an unknown dtype {str(dtype)[:20]!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise bad(f"has an invalid shape {str(shape)[:60]}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]):
        raise bad(f"has invalid data_offsets {str(offsets)[:60]}")
    entry = TensorHeader(name, dtype, tuple(shape), offsets[0], offsets[1])
    if entry.end - entry.begin != entry.numel * DTYPE_BYTES[dtype]:
        raise bad(f"covers {entry.end - entry.begin:,} bytes but its shape {list(shape)} of {dtype} "
                  f"needs {entry.numel * DTYPE_BYTES[dtype]:,}")
    return entry


def _check_tiling(file: Path, tensors: dict[str, TensorHeader], data_bytes: int, size: int) -> None:
    """The byte ranges follow each other from 0 with no gap or overlap and end at the file's end."""
    position = 0
    for entry in sorted(tensors.values(), key=lambda e: (e.begin, e.end)):
        if entry.begin != position:
            what = "overlaps the tensor before it" if entry.begin < position else "leaves a gap before it"
            raise CheckpointError(f"{file} is corrupt: tensor {entry.name[:100]!r} {what} (offset {entry.begin:,})")
        position = entry.end
    if position > data_bytes:
        raise CheckpointError(f"{file} is truncated: its header describes {position:,} bytes of tensor data, "
                              f"the file holds {data_bytes:,}")
    if position < data_bytes:
        raise CheckpointError(f"{file} is corrupt: {data_bytes - position:,} bytes follow the last tensor "
                              f"(the file is {size:,} bytes, its header accounts for {position:,} bytes of data)")
