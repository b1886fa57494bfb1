"""Output names: every source gets a file and folder stem that is safe, short, stable and unique.

- safe: letters, digits, ``_ . -`` and spaces only; no separator, no leading dot.
- stable: the stem depends on the source name alone, never on what else is in the run, so a
  rerun (with more, fewer or other files) writes each document to the same place.
- unique: a name that had to change (a character replaced, or cut to length) carries a short
  hash of the original, so ``x?y.pdf`` (-> ``x_y-1b4f0e98``) never meets ``x_y.pdf`` (-> ``x_y``),
  and two long names that share their first 150 bytes stay apart.
- short: at most ``MAX_STEM_BYTES`` of UTF-8, so ``<stem>.html`` and the temporary file it is
  written through (``.<stem>.html.XXXXXXXX.tmp``) fit the usual 255-byte file-name limit.
"""

from __future__ import annotations

import hashlib
import re

# 255 (NAME_MAX on Linux, macOS, Windows) minus the longest thing docparse adds to a stem:
# "." + ".html" + "." + 8 random + ".tmp" = 19 bytes for the temporary file, and "_jpeg" when a
# picture and a PDF of the same name sit side by side. 160 leaves a wide margin.
MAX_STEM_BYTES = 160
HASH_CHARS = 8  # 32 bits of sha256: a clash needs ~65,000 altered names of one folder

_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_name(name: str) -> str:
    """The output stem for a source named ``name`` (without its suffix); see the module doc."""
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "document"
    if cleaned == name and len(name.encode("utf-8")) <= MAX_STEM_BYTES:
        return name
    return with_hash(cleaned, name)


def with_hash(stem: str, key: str) -> str:
    """``stem`` (already safe) cut to fit, then ``-`` and a hash of ``key``: a name that is only
    as unique as ``key`` is."""
    suffix = "-" + name_hash(key)
    return _cut_to_bytes(stem, MAX_STEM_BYTES - len(suffix)) + suffix


def name_hash(name: str) -> str:
    """A short, stable hash of a name. ``surrogatepass``: a name that is not valid UTF-8 arrives
    with surrogate escapes, which must hash (and so differ) too."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def _cut_to_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    cut = text.encode("utf-8")[:limit].decode("utf-8", "ignore").rstrip(" .")
    return cut or "document"


def printable(text: str) -> str:
    """``text`` with the surrogate escapes of a name that is not valid UTF-8 shown as ``\\xff``:
    for messages and documents (the run report keeps the escapes, which round-trip)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
