"""PageParser: page images + a prompt -> generated texts and stop reasons.

What the docparse `vlm` engine calls:

    parser = PageParser.from_pretrained("/models/Qwen2.5-VL-7B-Instruct", device="cuda")
    results = parser.parse(images, "QwenVL HTML", resize=False)   # pages rendered at model size
    results[0].text, results[0].stop_reason, results[0].image_size
    for key, result in parser.stream((key, image, prompt) for ...):  # pages of many documents,
        ...                                                          # answered as they finish

Both run on ``engine.PageEngine`` (continuous batching over a paged KV cache: up to
``batch_size`` pages decode together and a finished page's place goes to the next one at once).
``parse_static`` is the previous path (static batches through ``generate``), kept as the
reference and the benchmarks' baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import torch
from PIL import Image

from .engine import Completion, EngineConfig, PageEngine, Request
from .generate import GenerationConfig, generate
from .processing import MAX_PIXELS, MIN_PIXELS, PATCH_SIZE, num_image_tokens, process_image
from .tokenizer import DEFAULT_SYSTEM_PROMPT, QwenTokenizer

DEFAULT_PROMPT = "QwenVL HTML"

_IMAGE = object()  # an image slot in a user turn (any non-string item)
_PARSER_SYSTEM = object()  # "the parser's own system prompt" (None means the template's default)

# on_page_token(page_index, token_id, text): streaming, page_index is the position in `images`.
PageTokenCallback = Callable[[int, int, str], None]


@dataclass
class PageResult:
    text: str  # decoded output, special tokens removed
    stop_reason: str  # "eos" | "length" | "loop"
    token_ids: list[int]
    image_size: tuple[int, int]  # (width, height) of the image the model saw; boxes are in this space
    grid_thw: tuple[int, int, int]
    prompt_tokens: int
    prefill_seconds: float
    decode_seconds: float
    decode_tokens_per_second: float


def default_generation() -> GenerationConfig:
    """The checkpoints' generation_config (greedy, repetition_penalty 1.05) with room for dense pages."""
    return GenerationConfig(max_new_tokens=4096, repetition_penalty=1.05)


class PageParser:
    """A loaded Qwen2.5-VL model and tokenizer, turning page images into text in batches."""

    def __init__(
        self,
        model,
        tokenizer: QwenTokenizer,
        *,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        min_pixels: int = MIN_PIXELS,
        max_pixels: int = MAX_PIXELS,
        generation: GenerationConfig | None = None,
        batch_size: int = 4,
        engine_config: EngineConfig | None = None,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.system_prompt = system_prompt
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self.generation = generation or default_generation()
        if self.generation.eos_token_ids is None:
            self.generation = replace(self.generation, eos_token_ids=list(tokenizer.eos_ids))
        if self.generation.pad_token_id is None:
            self.generation = replace(self.generation, pad_token_id=tokenizer.pad_id)
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.batch_size = batch_size
        self.engine_config = engine_config or EngineConfig(max_num_seqs=batch_size)
        self._engine: PageEngine | None = None
        if model.config.image_token_id != tokenizer.image_pad_id:
            raise ValueError(f"model image_token_id {model.config.image_token_id} != tokenizer's "
                             f"<|image_pad|> id {tokenizer.image_pad_id}")

    @classmethod
    def from_pretrained(cls, path: str | Path, dtype: torch.dtype = torch.bfloat16,
                        device: torch.device | str = "cpu", **kwargs) -> "PageParser":
        """Load weights and tokenizer from a checkpoint folder (or a cached Hugging Face model id)."""
        from .weights import checkpoint_files, load_model, resolve_checkpoint

        root = resolve_checkpoint(path)
        checkpoint_files(root)  # no weights / pickle only: said first
        tokenizer = QwenTokenizer.from_dir(root)  # a second, not minutes: a bad one fails before the weights load
        model = load_model(root, dtype=dtype, device=device)
        return cls(model, tokenizer, **kwargs)

    def prompt_ids(self, prompt: str, grid_thw: Sequence[int], *, text_first: bool = True,
                   system_prompt: str | None | object = _PARSER_SYSTEM) -> list[int]:
        """Chat prompt for one page: system turn, then one user turn with the prompt and the image.

        `text_first` (the cookbook's order) puts the text before the image; fine-tunes trained
        the other way round (Nanonets, Dolphin ...) pass False. `system_prompt`: the parser's
        own by default; None leaves the chat template's default system turn in place.
        """
        system = self.system_prompt if system_prompt is _PARSER_SYSTEM else system_prompt
        content = [prompt, _IMAGE] if text_first else [_IMAGE, prompt]
        return self.tokenizer.encode_prompt(content, [num_image_tokens(grid_thw)], system_prompt=system)

    def _config(self, generation: GenerationConfig | None) -> GenerationConfig:
        config = generation or self.generation
        if config.eos_token_ids is None:
            config = replace(config, eos_token_ids=list(self.tokenizer.eos_ids))
        if config.pad_token_id is None:
            config = replace(config, pad_token_id=self.tokenizer.pad_id)
        return config

    def engine(self, generation: GenerationConfig | None = None) -> PageEngine:
        """The continuous-batching engine for these generation settings (its KV cache is kept between calls)."""
        config = self._config(generation)
        if self._engine is None or self._engine.generation != config:
            self._engine = None  # free the old cache before allocating the new one
            self._engine = PageEngine(self.model, config, self.engine_config, tokenizer=self.tokenizer)
        return self._engine

    def stream(
        self,
        pages: Iterable[tuple[Any, Image.Image, str]],
        *,
        resize: bool = True,
        generation: GenerationConfig | None = None,
        on_token: Callable[[Any, int, str], None] | None = None,
        window: int | None = None,
        text_first: bool = True,
        system_prompt: str | None | object = _PARSER_SYSTEM,
    ) -> Iterator[tuple[Any, PageResult | Exception]]:
        """(key, image, prompt) items in, (key, result) out as each page finishes, in any order.

        Pages are pulled lazily, at most ``window`` (default twice ``batch_size``) unanswered at a
        time, so images of later pages are not held. A page whose image cannot be used is answered
        with its exception; the others go on. Keys must be distinct. Closing the iterator early
        cancels the pages in flight. `text_first` / `system_prompt`: the chat layout of every page.
        """
        engine = self.engine(generation)
        engine.on_token = on_token
        window = window or 2 * self.engine_config.max_num_seqs
        source = iter(pages)
        grids: dict[Any, tuple[int, int, int]] = {}
        exhausted = False
        try:
            while True:
                while not exhausted and len(grids) < window:
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                        break
                    key, image, prompt = item
                    try:
                        pixels, grid = process_image(image, min_pixels=self.min_pixels, max_pixels=self.max_pixels,
                                                     resize=resize)
                        g = tuple(int(v) for v in grid[0].tolist())
                        ids = self.prompt_ids(prompt, g, text_first=text_first, system_prompt=system_prompt)
                        engine.submit(Request(key, ids, pixels, grid))
                    except ValueError as exc:
                        yield key, exc
                        continue
                    grids[key] = g
                if not grids:
                    return
                for done in engine.step():
                    yield done.key, _page_result(done, grids.pop(done.key))
        finally:
            engine.on_token = None
            if grids:
                engine.cancel_all()

    def parse(
        self,
        images: Sequence[Image.Image],
        prompt: str = DEFAULT_PROMPT,
        *,
        resize: bool = True,
        generation: GenerationConfig | None = None,
        on_token: PageTokenCallback | None = None,
        text_first: bool = True,
        system_prompt: str | None | object = _PARSER_SYSTEM,
    ) -> list[PageResult]:
        """Generate for every image (continuous batching, ``batch_size`` pages at once); results in order.

        `resize=False` feeds pages already rendered at a multiple-of-28 size unchanged.
        `text_first` / `system_prompt`: the chat layout (see `prompt_ids`). An image that cannot be
        used raises its ValueError (the pages in flight are cancelled).
        """
        results: list[PageResult | None] = [None] * len(images)
        for key, result in self.stream(((i, im, prompt) for i, im in enumerate(images)), resize=resize,
                                       generation=generation, on_token=on_token, window=len(images) or 1,
                                       text_first=text_first, system_prompt=system_prompt):
            if isinstance(result, Exception):
                raise result
            results[key] = result
        return [r for r in results if r is not None]

    def parse_static(
        self,
        images: Sequence[Image.Image],
        prompt: str = DEFAULT_PROMPT,
        *,
        resize: bool = True,
        generation: GenerationConfig | None = None,
        on_token: PageTokenCallback | None = None,
        text_first: bool = True,
        system_prompt: str | None | object = _PARSER_SYSTEM,
    ) -> list[PageResult]:
        """The reference path: static batches of `batch_size` through ``generate`` (a batch decodes
        until its longest page is done); results in the order of `images`."""
        config = self._config(generation)
        inputs = [process_image(im, min_pixels=self.min_pixels, max_pixels=self.max_pixels, resize=resize)
                  for im in images]
        # Similar sizes share a batch, so left padding stays small.
        order = sorted(range(len(images)), key=lambda i: int(inputs[i][1].prod()))
        results: list[PageResult | None] = [None] * len(images)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            grids = [inputs[i][1][0].tolist() for i in chunk]
            prompts = [self.prompt_ids(prompt, g, text_first=text_first, system_prompt=system_prompt)
                       for g in grids]
            callback = None
            if on_token is not None:
                def callback(row: int, token: int, text: str, _chunk=chunk) -> None:
                    on_token(_chunk[row], token, text)
            outputs = generate(
                self.model, prompts,
                torch.cat([inputs[i][0] for i in chunk]), torch.cat([inputs[i][1] for i in chunk]),
                config, tokenizer=self.tokenizer, on_token=callback,
            )
            for i, grid, out in zip(chunk, grids, outputs):
                results[i] = PageResult(
                    text=out.text or "",
                    stop_reason=out.stop_reason,
                    token_ids=out.token_ids,
                    image_size=(grid[2] * PATCH_SIZE, grid[1] * PATCH_SIZE),
                    grid_thw=(grid[0], grid[1], grid[2]),
                    prompt_tokens=out.prompt_tokens,
                    prefill_seconds=out.prefill_seconds,
                    decode_seconds=out.decode_seconds,
                    decode_tokens_per_second=out.decode_tokens_per_second,
                )
        return [r for r in results if r is not None]


def _page_result(done: Completion, grid: tuple[int, int, int]) -> PageResult:
    decode_seconds = max(done.seconds - done.first_token_seconds, 0.0)
    steps = max(len(done.token_ids) - 1, 0)
    return PageResult(
        text=done.text or "",
        stop_reason=done.stop_reason,
        token_ids=done.token_ids,
        image_size=(grid[2] * PATCH_SIZE, grid[1] * PATCH_SIZE),
        grid_thw=grid,
        prompt_tokens=done.prompt_tokens,
        prefill_seconds=done.first_token_seconds,
        decode_seconds=decode_seconds,
        decode_tokens_per_second=steps / decode_seconds if decode_seconds > 0 else 0.0,
    )
