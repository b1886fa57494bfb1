"""Throughput of the remote engine through a real vLLM server vs the in-process vlm engine, one run.

    # a server serving the tiny checkpoint (tests/server/run_vllm.sh), then:
    python benchmarks/remote_throughput.py --server http://127.0.0.1:18101/v1 --checkpoint DIR \
        [--api-key KEY | DOCPARSE_API_KEY] [--copies 3] [--max-new-tokens 64] [--out benchmarks/RESULTS.md]

The same pages (the sample PDFs, ``--copies`` times over) and the same checkpoint go through
``--engine remote`` at concurrency 1, 4 and 16 and through ``--engine vlm`` (in-process, batch
size 1 and 4). Greedy, no retry ladder, no document passes: the engines alone. Output tokens are
each page's raw text encoded again with the checkpoint's tokenizer, the same count for both
engines. The table is printed and written into the results file between markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = ["article.pdf", "scanned.pdf", "table_two_pages.pdf", "table_two_pages_norepeat.pdf"]
MAX_PIXELS = 256 * 28 * 28  # 256 image tokens per page: a small page, so generation dominates
BEGIN, END = "<!-- remote_throughput:begin -->", "<!-- remote_throughput:end -->"


def run(sources: list[Path], tokens, **options) -> tuple[int, int, float, int]:  # noqa: ANN001
    """(pages, output tokens, seconds, failed pages) for one engine configuration."""
    from docparse.api import convert_many

    start = time.perf_counter()
    pages = out_tokens = failed = 0
    for result in convert_many(sources, passes=False, **options):
        assert result.document is not None, result.error
        for page in result.document.pages:
            pages += 1
            failed += page.status.value == "failed"
            out_tokens += len(tokens(page.raw or ""))
    return pages, out_tokens, time.perf_counter() - start, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="base URL of the vLLM server, ending in /v1")
    parser.add_argument("--checkpoint", required=True, type=Path, help="the checkpoint folder the server serves")
    parser.add_argument("--api-key", default=os.environ.get("DOCPARSE_API_KEY"))
    parser.add_argument("--copies", type=int, default=3, help="how many times the sample pages are read")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()

    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(args.checkpoint / "tokenizer.json"))

    def tokens(text: str) -> list[int]:
        return tokenizer.encode(text, add_special_tokens=False).ids

    sources = [REPO / "samples" / name for name in SAMPLES] * args.copies
    common = dict(max_new_tokens=args.max_new_tokens, max_pixels=MAX_PIXELS, verify="off")  # raw engine speed
    remote = dict(engine="remote", server=args.server, api_key=args.api_key, retry_temperatures="", **common)
    local = dict(engine="vlm", model=str(args.checkpoint), device="cpu", dtype="float32", **common)

    # one short warm-up each, so neither side pays its first-request or load cost in the table
    run(sources[:1], tokens, **{**remote, "pages": "1"})
    rows = []
    for concurrency in (1, 4, 16):
        rows.append((f"remote (vLLM), concurrency {concurrency}", *run(sources, tokens, concurrency=concurrency,
                                                                      **remote)))
    for batch in (1, 4):
        from docparse.engines import create_engine
        from docparse.options import ConvertOptions

        engine = create_engine(ConvertOptions(batch_size=batch, **local))  # loading is not timed
        try:
            run(sources[:1], tokens, engine=engine, pages="1", **{k: v for k, v in local.items()
                                                                 if k in ("max_new_tokens", "max_pixels")})
            rows.append((f"vlm in-process, batch {batch}", *run(sources, tokens, engine=engine,
                                                                max_new_tokens=args.max_new_tokens,
                                                                max_pixels=MAX_PIXELS)))
        finally:
            engine.close()

    base = next(r for r in rows if r[0] == "vlm in-process, batch 1")
    base_rate = base[1] / base[3]
    lines = [
        f"Remote engine throughput ({platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}): "
        f"{len(sources)} documents, {base[1]} pages at {MAX_PIXELS // 784} image tokens, up to "
        f"{args.max_new_tokens} new tokens each, greedy, tiny random Qwen2.5-VL (fp32), same checkpoint both sides.",
        "",
        "| engine | pages | failed | seconds | pages/s | output tokens/s | vs in-process batch 1 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, pages, out_tokens, seconds, failed in rows:
        lines.append(f"| {name} | {pages} | {failed} | {seconds:.1f} | {pages / seconds:.2f} | "
                     f"{out_tokens / seconds:.1f} | {pages / seconds / base_rate:.2f}x |")
    lines += ["", f"Command: `python benchmarks/remote_throughput.py --server URL --checkpoint DIR "
              f"--copies {args.copies} --max-new-tokens {args.max_new_tokens}`"]
    table = "\n".join(lines)
    print(table)
    _write(args.out, table)
    return 0


def _write(path: Path, table: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{table}\n{END}"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## Remote engine (vLLM) vs in-process\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
