"""The mixed-length page workload of benchmarks/vlm_speed.py (``--workload mixed``, the default).

N pages of different image sizes whose outputs end at different lengths. The issue asked for an
end-token row boosted until greedy lengths spread; on these random checkpoints that does not
spread them (measured on the small config: boosts 3.5, 5 and 7 gave one page ending at its first
token and every other page never ending: a random model settles into a steady state where the
end token's logit is either always or never the largest). So each page gets its own token limit
instead, long-tailed (many short pages, a few long ones; ``page_limits``), which costs a static
batch what a page ending early costs it: its row steps on until the batch's longest page is
done. ``--eos-boost`` still scales the row for whoever wants to try. The same pages go through

* static batching (today's path before the scheduler: ``generate`` on batches of ``--batch``
  pages, sorted by size as ``PageParser.parse_static`` does; a batch steps until its longest
  page ends),
* the continuous-batching engine (``PageEngine``, ``--batch`` rows, a finished page's row goes to
  the next page at once),
* transformers' ``generate`` on the same batches (left padded),

and pages/s and output tokens/s are measured in one run, with each page's tokens compared to the
engine's. GPU extras (``--device cuda``): batch-1 decode tokens/s against the HBM roofline (bytes
read per step / measured device copy bandwidth), and vLLM on the same random checkpoint when it
is installed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# CPU pages are small so that, as on real pages (~1-3k prompt tokens, ~1-4k output tokens), output is not
# dwarfed by the prompt: 40-64 image tokens + ~25 text tokens against outputs of up to --new-tokens
PAGE_SIZES = [(224, 224), (168, 280), (280, 168), (196, 252), (252, 196), (224, 196)]  # px, multiples of 28
GPU_PAGE_SIZES = [(812, 1036), (644, 840), (1036, 812), (588, 756), (840, 1092), (700, 924)]
IM_START, IM_END = 151644, 151645


@dataclass
class Page:
    prompt: list[int]
    pixels: object  # (N, 1176) tensor
    grid: object  # (1, 3) tensor
    size: tuple[int, int]
    limit: int  # this page's output length limit (tokens)


@dataclass
class Run:
    system: str
    seconds: float
    tokens: dict[int, list[int]] = field(default_factory=dict)
    note: str = ""

    def pages_per_s(self) -> float:
        return len(self.tokens) / self.seconds

    def tokens_per_s(self) -> float:
        return sum(map(len, self.tokens.values())) / self.seconds


def boost_end_token(model_ours, model_ref, eos: int, factor: float) -> None:
    """Scale the end token's output row (shared by both models: they hold the same tensors)."""
    import torch

    with torch.no_grad():
        model_ours.lm_head.weight[eos] *= factor
    if model_ref is not None and model_ref.lm_head.weight.data_ptr() != model_ours.lm_head.weight.data_ptr():
        with torch.no_grad():
            model_ref.lm_head.weight[eos] *= factor


def page_limits(n: int, max_new: int, seed: int = 0) -> list[int]:
    """Long-tailed output lengths in [2, max_new]: max_new * u^2, u uniform (median ~ max_new / 4)."""
    import torch

    u = torch.rand(n, generator=torch.Generator().manual_seed(seed + 1))
    return [max(2, min(max_new, round(max_new * float(x) ** 2))) for x in u]


def make_pages(config, n: int, sizes, max_new: int, seed: int = 0) -> list[Page]:
    import torch

    from qwen2_5_vl.processing import PATCH_SIZE

    gen = torch.Generator().manual_seed(seed)
    limits = page_limits(n, max_new, seed)
    pages = []
    for i in range(n):
        w, h = sizes[i % len(sizes)]
        grid = [1, h // PATCH_SIZE, w // PATCH_SIZE]
        text = lambda k: torch.randint(1000, 150000, (k,), generator=gen).tolist()  # noqa: E731
        prompt = ([IM_START] + text(5) + [IM_END, IM_START] + text(2) + [config.vision_start_token_id]
                  + [config.image_token_id] * (grid[1] * grid[2] // 4) + [config.vision_end_token_id]
                  + text(3 + i % 4) + [IM_END, IM_START] + text(2))
        pixels = torch.randn(grid[1] * grid[2], 1176, generator=gen)
        pages.append(Page(prompt, pixels, torch.tensor([grid]), (w, h), limits[i]))
    return pages


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def generation(max_new: int, eos: int, pad: int):
    from qwen2_5_vl.generate import GenerationConfig

    return GenerationConfig(max_new_tokens=max_new, repetition_penalty=1.05, eos_token_ids=[eos], pad_token_id=pad,
                            loop_guard=None)


def static_batches(pages: list[Page], batch: int) -> list[list[int]]:
    order = sorted(range(len(pages)), key=lambda i: int(pages[i].grid.prod()))
    return [order[s:s + batch] for s in range(0, len(order), batch)]


def run_static(model, pages, batch, max_new, eos, pad, device) -> Run:
    import torch

    from qwen2_5_vl.generate import generate

    run = Run("static batching (generate)", 0.0)
    forwards = 0
    _sync(device)
    start = time.perf_counter()
    for chunk in static_batches(pages, batch):  # a batch runs until its longest page is done
        config = generation(min(max_new, max(pages[i].limit for i in chunk)), eos, pad)
        out = generate(model, [pages[i].prompt for i in chunk], torch.cat([pages[i].pixels for i in chunk]),
                       torch.cat([pages[i].grid for i in chunk]), config)
        for i, r in zip(chunk, out):
            run.tokens[i] = r.token_ids[: pages[i].limit]
        forwards += max(len(r.token_ids) for r in out)  # the prefill + one decode step per later token
    _sync(device)
    run.seconds = time.perf_counter() - start
    run.note = f"{forwards} forwards of {batch} rows"
    return run


def run_engine(model, pages, batch, max_new, eos, pad, device, kv_cache_gb=None, sync_every=None) -> Run:
    from qwen2_5_vl.engine import EngineConfig, PageEngine, Request

    engine = PageEngine(model, generation(max_new, eos, pad),
                        EngineConfig(max_num_seqs=batch, kv_cache_gb=kv_cache_gb, sync_every=sync_every))
    run = Run(f"continuous batching (PageEngine, {batch} rows)", 0.0)
    _sync(device)
    start = time.perf_counter()
    for i, p in enumerate(pages):  # all queued at once; the scheduler admits them as rows free up
        engine.submit(Request(i, p.prompt, p.pixels, p.grid, max_new_tokens=min(max_new, p.limit)))
    for done in engine.run():
        run.tokens[done.key] = done.token_ids
    _sync(device)
    run.seconds = time.perf_counter() - start
    st = engine.stats
    run.note = (f"{st['forwards']} forwards of <= {batch} rows ({st['decode_steps']} decode steps), "
                f"{st['preemptions']} preemptions")
    return run


def run_transformers(ref, pages, batch, max_new, eos, pad, device) -> Run:
    import torch

    run = Run("transformers generate (same batches)", 0.0)
    forwards = 0
    dtype = next(ref.parameters()).dtype
    _sync(device)
    start = time.perf_counter()
    for chunk in static_batches(pages, batch):
        width = max(len(pages[i].prompt) for i in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, i in enumerate(chunk):
            p = pages[i].prompt
            ids[row, width - len(p):] = torch.tensor(p)
            mask[row, width - len(p):] = 1
        ids, mask = ids.to(device), mask.to(device)
        with torch.inference_mode():
            out = ref.generate(input_ids=ids, attention_mask=mask,
                               pixel_values=torch.cat([pages[i].pixels for i in chunk]).to(device, dtype),
                               image_grid_thw=torch.cat([pages[i].grid for i in chunk]).to(device),
                               mm_token_type_ids=(ids == ref.config.image_token_id).int(),
                               max_new_tokens=min(max_new, max(pages[i].limit for i in chunk)),
                               do_sample=False, repetition_penalty=1.05, eos_token_id=eos, pad_token_id=pad)
        for row, i in enumerate(chunk):
            gen = out[row, width:].tolist()
            if eos in gen:
                gen = gen[: gen.index(eos) + 1]
            run.tokens[i] = gen[: pages[i].limit]
        forwards += out.shape[1] - width
    _sync(device)
    run.seconds = time.perf_counter() - start
    run.note = f"{forwards} forwards of {batch} rows"
    return run


def run_vllm(ref, config, pages, batch, max_new, eos, device) -> Run | None:
    """vLLM on the same random weights (saved with save_pretrained), when vLLM is importable."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        return None
    from PIL import Image
    from vllm import LLM, SamplingParams

    tok_dir = Path(__file__).resolve().parents[1] / "tests" / "data" / ".cache" / "qwen2_tokenizer_v1"
    with tempfile.TemporaryDirectory() as tmp:
        ref.save_pretrained(tmp)
        _write_processor_files(Path(tmp), tok_dir)
        llm = LLM(model=tmp, dtype=str(next(ref.parameters()).dtype).removeprefix("torch."), max_num_seqs=batch,
                  limit_mm_per_prompt={"image": 1}, enforce_eager=False, seed=0)
        params = [SamplingParams(temperature=0.0, max_tokens=min(max_new, p.limit), repetition_penalty=1.05,
                                 stop_token_ids=[eos]) for p in pages]
        prompts = [{"prompt": "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Read.<|im_end|>\n"
                              "<|im_start|>assistant\n",
                    "multi_modal_data": {"image": Image.new("RGB", p.size, (i * 37 % 255, 90, 200))}}
                   for i, p in enumerate(pages)]
        llm.generate(prompts[:2], params[:2])  # warm-up
        start = time.perf_counter()
        outs = llm.generate(prompts, params)
        run = Run("vLLM (same weights, own image pipeline)", time.perf_counter() - start)
        for i, o in enumerate(outs):
            run.tokens[i] = list(o.outputs[0].token_ids)
    run.note = "prompts differ from ours (vLLM's own processor); tokens not compared"
    return run


def _write_processor_files(path: Path, tok_dir: Path) -> None:
    import json
    import shutil

    if (tok_dir / "tokenizer.json").is_file():
        shutil.copy(tok_dir / "tokenizer.json", path / "tokenizer.json")
    (path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "Qwen2Tokenizer",
                                                            "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}))
    (path / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "Qwen2VLImageProcessor", "patch_size": 14, "merge_size": 2, "temporal_patch_size": 2,
        "min_pixels": 3136, "max_pixels": 12845056, "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "Qwen2_5_VLProcessor"}))


# ---------------------------------------------------------------------------------------------------
# GPU: batch-1 decode against the HBM roofline
# ---------------------------------------------------------------------------------------------------
def copy_bandwidth(device: str, gib: float = 2.0) -> float:
    """Bytes/s of a device-to-device copy (read + write counted), the practical HBM ceiling."""
    import torch

    n = int(gib * 2**30) // 2
    a = torch.empty(n, dtype=torch.bfloat16, device=device)
    b = torch.empty_like(a)
    b.copy_(a)
    _sync(device)
    start = time.perf_counter()
    for _ in range(10):
        b.copy_(a)
    _sync(device)
    return 10 * 2 * a.numel() * a.element_size() / (time.perf_counter() - start)


def decode_roofline(model, page: Page, pad: int, device: str, steps: int = 256) -> dict:
    """Batch-1 decode tokens/s of the engine vs bandwidth / bytes read per step (text weights + KV)."""
    from qwen2_5_vl.engine import EngineConfig, PageEngine, Request

    def timed(max_new: int) -> float:
        engine = PageEngine(model, generation(max_new, -1, pad), EngineConfig(max_num_seqs=1, kv_cache_gb=2.0,
                                                                              sync_every=16))
        engine.submit(Request(0, page.prompt, page.pixels, page.grid))  # no end token: exactly max_new
        list(engine.run())  # warm-up: captures the graphs of every width bucket it meets
        engine.submit(Request(1, page.prompt, page.pixels, page.grid))
        _sync(device)
        start = time.perf_counter()
        list(engine.run())
        _sync(device)
        return time.perf_counter() - start

    decode_s = min(timed(steps + 1) for _ in range(3)) - min(timed(1) for _ in range(3))  # fastest of 3: noise
    tc = model.config.text_config
    weights = sum(p.numel() * p.element_size() for n, p in model.named_parameters() if not n.startswith("visual."))
    context = len(page.prompt) + steps // 2
    kv = 2 * tc.num_hidden_layers * tc.num_key_value_heads * tc.head_dim * context * next(model.parameters()).element_size()
    bandwidth = copy_bandwidth(device, 2.0 if device.startswith("cuda") else 0.25)  # a smoke run on CPU: small
    roofline = bandwidth / (weights + kv)
    measured = steps / decode_s
    return dict(measured=measured, roofline=roofline, bandwidth=bandwidth, bytes_per_step=weights + kv)


# ---------------------------------------------------------------------------------------------------
def table(runs: list[Run]) -> str:
    static = next((r for r in runs if r.system.startswith("static")), None)
    hf = next((r for r in runs if r.system.startswith("transformers")), None)
    engine = next((r for r in runs if r.system.startswith("continuous")), None)  # the first: same rows as static
    head = ("| system | pages | output tokens | seconds | pages/s | output tok/s | vs static | vs transformers "
            "| same tokens as the engine | note |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in runs:
        same = ""
        if engine is not None and r is not engine and not r.system.startswith("vLLM"):
            same = f"{sum(r.tokens[k] == engine.tokens[k] for k in engine.tokens)}/{len(engine.tokens)}"
        lines.append(
            f"| {r.system} | {len(r.tokens)} | {sum(map(len, r.tokens.values()))} | {r.seconds:.1f} "
            f"| {r.pages_per_s():.2f} | {r.tokens_per_s():.1f} "
            f"| {r.pages_per_s() / static.pages_per_s():.2f}x | "
            f"{f'{r.pages_per_s() / hf.pages_per_s():.2f}x' if hf else ''} | {same} | {r.note} |")
    return "\n".join(lines)


def length_spread(run: Run) -> str:
    lengths = sorted(map(len, run.tokens.values()))
    return (f"output lengths min {lengths[0]}, median {statistics.median(lengths):.0f}, max {lengths[-1]}, "
            f"total {sum(lengths)} (ended by the end token: "
            f"{sum(1 for t in run.tokens.values() if t and t[-1] == IM_END)}/{len(lengths)})")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
