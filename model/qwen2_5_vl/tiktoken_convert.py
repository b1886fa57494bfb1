"""Convert a Qwen2 `.tiktoken` rank file into a `tokenizers` tokenizer.json with the Qwen2.5 specials.

The `.tiktoken` file lists the 151,643 byte-level BPE tokens as `base64(bytes) rank`. `tokenizers`
needs a vocabulary in the GPT-2 byte->unicode alphabet plus an ordered merge list. For each token
the merge is the last step that rank-BPE takes on the token's own bytes (merging only pairs of lower
rank); ordering merges by the rank of their result reproduces tiktoken's encoding.

    python -m qwen2_5_vl.tiktoken_convert path/to/qwen.tiktoken OUT_DIR
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

# Qwen2 pre-tokenizer regex (single digits, contractions, letters, punctuation, whitespace runs).
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Qwen2.5 added tokens from id 151643 on: (content, special). The tool/FIM tokens are "added but
# not special" in the released tokenizer_config.json, so decode(skip_special_tokens) keeps them.
QWEN2_5_ADDED_TOKENS: tuple[tuple[str, bool], ...] = (
    ("<|endoftext|>", True),
    ("<|im_start|>", True),
    ("<|im_end|>", True),
    ("<|object_ref_start|>", True),
    ("<|object_ref_end|>", True),
    ("<|box_start|>", True),
    ("<|box_end|>", True),
    ("<|quad_start|>", True),
    ("<|quad_end|>", True),
    ("<|vision_start|>", True),
    ("<|vision_end|>", True),
    ("<|vision_pad|>", True),
    ("<|image_pad|>", True),
    ("<|video_pad|>", True),
    ("<tool_call>", False),
    ("</tool_call>", False),
    ("<|fim_prefix|>", False),
    ("<|fim_middle|>", False),
    ("<|fim_suffix|>", False),
    ("<|fim_pad|>", False),
    ("<|repo_name|>", False),
    ("<|file_sep|>", False),
)
FIRST_ADDED_ID = 151643
CONVERTER_VERSION = 1  # bump when the output changes, so cached conversions are rebuilt


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2 byte-level alphabet: each byte -> a printable unicode character."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def load_ranks(data: bytes) -> dict[bytes, int]:
    """Parse `.tiktoken` content (`base64 rank` per line)."""
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _last_merge(token: bytes, ranks: dict[bytes, int]) -> tuple[bytes, bytes] | None:
    """The two parts rank-BPE joins last when it encodes `token` (None if it never gets there)."""
    limit = ranks[token]
    parts = [token[i : i + 1] for i in range(len(token))]
    while len(parts) > 2:
        best_rank, best_i = limit, -1
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and rank < best_rank:
                best_rank, best_i = rank, i
        if best_i < 0:
            return None
        parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def vocab_and_merges(ranks: dict[bytes, int]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Byte-level vocabulary and merges ordered by the rank of the merged token."""
    byte_map = bytes_to_unicode()

    def to_str(token: bytes) -> str:
        return "".join(byte_map[b] for b in token)

    vocab = {to_str(token): rank for token, rank in ranks.items()}
    merges = []
    for token, _rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) < 2:
            continue
        pair = _last_merge(token, ranks)
        if pair is not None:
            merges.append((to_str(pair[0]), to_str(pair[1])))
    return vocab, merges


def build_tokenizer(ranks: dict[bytes, int]):
    """A `tokenizers.Tokenizer` equivalent to Qwen2.5's tokenizer.json."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

    if len(ranks) != FIRST_ADDED_ID:
        raise ValueError(f"expected {FIRST_ADDED_ID} ranks, got {len(ranks)}")
    vocab, merges = vocab_and_merges(ranks)
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=False, fuse_unk=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    # Added one by one so that ids follow the table order exactly.
    for offset, (content, special) in enumerate(QWEN2_5_ADDED_TOKENS):
        token = AddedToken(content, special=special, normalized=False, single_word=False, lstrip=False, rstrip=False)
        if special:
            tokenizer.add_special_tokens([token])
        else:
            tokenizer.add_tokens([token])
        if tokenizer.token_to_id(content) != FIRST_ADDED_ID + offset:
            raise RuntimeError(f"{content} got id {tokenizer.token_to_id(content)}")
    return tokenizer


def convert(tiktoken_data: bytes, out_dir: str | Path) -> Path:
    """Write `out_dir/tokenizer.json` from `.tiktoken` content; returns the file path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tokenizer.json"
    tmp = out / f"tokenizer.json.{os.getpid()}.tmp"
    build_tokenizer(load_ranks(tiktoken_data)).save(str(tmp))
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    print(convert(Path(argv[0]).read_bytes(), argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
