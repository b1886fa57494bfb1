"""The ``vlm`` engine: Qwen2.5-VL (``qwen2_5_vl``) reads each page image and writes QwenVL HTML.

Pages arrive already rendered at their model input size (multiples of 28, see
``docparse.source``), so the model sees them unchanged (``resize=False``) and its boxes are in
the page's own pixel space. ``stream`` (the page pipeline's way in) feeds the pages of every
document to the parser's continuous-batching engine: up to ``batch_size`` pages decode at once
and each is answered as soon as it is done; ``process`` does the same for one batch. The raw
output stays on the page; ``qwenvl_output`` runs the reader and marks pages cut by the token
limit or the loop guard ``partial``.

torch and ``qwen2_5_vl`` are imported here only, so ``import docparse`` stays torch-free.
"""

from __future__ import annotations

import gc
import itertools
import time
from contextlib import closing
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from docparse.document import EngineInfo
from docparse.engines.base import PageInput, PageOutput, PageResult, batched_stream, qwenvl_output
from docparse.errors import EngineError, OptionsError
from docparse.qwenvl.prompts import DEFAULT_PROMPT, get_prompt

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from docparse.options import ConvertOptions
    from docparse.profiles.base import Generation, Reply, Request
    from docparse.profiles.runner import ProfileRunner

_DTYPES = {
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "float32": "float32", "fp32": "float32", "float": "float32",
}


@dataclass
class DeviceChoice:
    device: str  # "cuda", "cuda:1", "cpu", "mps" ...
    dtype: str  # "bfloat16" | "float16" | "float32"


MODEL_PACKAGES = ("torch", "safetensors", "tokenizers")


def _require_model_packages() -> None:
    """A layout-only install (``pip install docparse``, no torch) asking for the vlm engine: one line."""
    import importlib.util

    missing = [name for name in MODEL_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise EngineError(f"the vlm engine needs {', '.join(missing)}, not installed here: install torch (its CPU "
                          "or CUDA build, see the README), then pip install 'docparse[vlm]'")


def choose_device(device: str | None = None, dtype: str | None = None, cuda_available: bool | None = None) -> DeviceChoice:
    """CUDA + bf16 when CUDA is there; else CPU + fp32 (bf16 or fp16 only when asked for).

    fp32 is the CPU default because bf16 matmuls are slow on CPUs without AMX/AVX512-BF16.
    """
    if dtype is not None and dtype.lower() not in _DTYPES:
        raise OptionsError(f"unknown dtype {dtype!r}: choose bfloat16, float16 or float32")
    if cuda_available is None:
        import torch

        cuda_available = torch.cuda.is_available()
    if device is None:
        device = "cuda" if cuda_available else "cpu"
    device = device.strip().lower()
    if device.startswith("cuda") and not cuda_available:
        raise OptionsError(f"device {device!r} asked for, but torch sees no CUDA device (use --device cpu)")
    if dtype is None:
        resolved = "bfloat16" if device.startswith("cuda") else "float32"
    else:
        resolved = _DTYPES[dtype.lower()]
    return DeviceChoice(device=device, dtype=resolved)


class VLMEngine:
    """Qwen2.5-VL from a local checkpoint: page images in, QwenVL HTML -> blocks out."""

    name = "vlm"

    def __init__(
        self,
        parser: Any,  # qwen2_5_vl.pipeline.PageParser (or a stand-in with the same ``parse``)
        *,
        model: str,
        batch_size: int = 1,
        max_new_tokens: int = 8192,
        prompt: str = DEFAULT_PROMPT,
        device: str = "cpu",
        dtype: str = "float32",
        profile: "ProfileRunner | None" = None,
        kv_cache_gb: float | None = None,
    ) -> None:
        if batch_size < 1:
            raise OptionsError("batch_size must be at least 1")
        self.parser = parser
        self.model = model
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.prompt = get_prompt(prompt)
        self.device = device
        self.dtype = dtype
        # A checkpoint profile other than QwenVL HTML (olmOCR, Nanonets, Dolphin ...): its page
        # jobs decide the requests; None keeps the QwenVL HTML path below.
        self.profile = profile
        self.kv_cache_gb = kv_cache_gb

    @classmethod
    def from_options(cls, options: "ConvertOptions") -> "VLMEngine":
        """Load the checkpoint named by ``--model`` / ``DOCPARSE_MODEL`` on the chosen device."""
        model = options.resolved_model
        if not model:
            raise EngineError("the vlm engine needs a model: pass --model DIR_OR_ID or set DOCPARSE_MODEL")
        _require_model_packages()
        from docparse.profiles import resolve_profile
        from docparse.profiles.runner import ProfileRunner

        profile, note = resolve_profile(options.profile, model)
        if profile.remote_only:
            raise EngineError(f"profile {profile.name} is another architecture than Qwen2.5-VL: serve it with vLLM "
                              "and use --engine remote --server URL")
        choice = choose_device(options.device, options.dtype)
        _note(note)
        runner = None
        if profile.name != "qwenvl-html" or options.prompt is not None:
            runner = ProfileRunner.from_options(profile, options, source=cls.name)
        parser = load_parser(model, choice, options, get_prompt(DEFAULT_PROMPT).system)
        return cls(parser, model=model, batch_size=options.batch_size,
                   max_new_tokens=options.tokens_for(profile.generation.max_tokens),
                   device=choice.device, dtype=choice.dtype, profile=runner,
                   kv_cache_gb=options.kv_cache_gb)

    def info(self) -> EngineInfo:
        settings = {
            "prompt": self.prompt.name,
            "max_new_tokens": self.max_new_tokens,
            "batch_size": self.batch_size,
            "device": self.device,
            "dtype": self.dtype,
            "kv_cache_gb": self.kv_cache_gb,
        }
        if self.profile is not None:
            settings.update(self.profile.settings())
        return EngineInfo(name=self.name, model=self.model, settings=settings)

    def stream(self, pages: Iterable[PageInput]) -> Iterator[PageResult]:
        """Pages of any number of documents in, (page, output or exception) out as each finishes.

        A page is rendered when the engine pulls it and its image is dropped once submitted; at
        most twice ``batch_size`` pages are unanswered at a time (base.py's stream contract).
        """
        if self.parser is None:
            raise EngineError("the vlm engine is closed")
        if self.profile is not None or not callable(getattr(self.parser, "stream", None)):
            # a profile's page jobs (several requests per page), or a stand-in parser with parse() only
            yield from batched_stream(self, pages)
            return
        pending: dict[int, PageInput] = {}
        failed: list[PageResult] = []
        keys = itertools.count()

        def items() -> Iterator[tuple[int, Any, str]]:
            for page in pages:
                try:
                    image = page.render()
                except Exception as exc:  # noqa: BLE001 - this page fails, the others go on
                    failed.append((page, exc))
                    continue
                key = next(keys)
                pending[key] = page
                yield key, image, self.prompt.user

        answers = self.parser.stream(items(), resize=False, generation=self._generation_config())
        with closing(answers):
            for key, result in answers:
                while failed:
                    yield failed.pop(0)
                page = pending.pop(key)
                yield page, self._output(page, result)
        yield from failed

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        """One generation batch for all ``pages``; one output per page, in order."""
        if not pages:
            return []
        if self.parser is None:
            raise EngineError("the vlm engine is closed")
        if self.profile is not None:
            return self.profile.process(pages, self._ask)
        images = [page.render() for page in pages]  # (w, h) == page.image_size, multiples of 28
        start = time.perf_counter()
        results = self.parser.parse(images, self.prompt.user, resize=False,
                                    generation=self._generation_config())
        seconds = (time.perf_counter() - start) / len(pages)  # the batch's time, shared out
        outputs = []
        for page, result in zip(pages, results, strict=True):
            output = self._output(page, result, seconds)
            if isinstance(output, Exception):
                raise output
            outputs.append(output)
        return outputs

    def _output(self, page: PageInput, result: Any, seconds: float | None = None) -> PageOutput | Exception:
        if isinstance(result, Exception):
            return result
        if tuple(result.image_size) != tuple(page.image_size):  # boxes would map to the wrong space
            return RuntimeError(f"page {page.index + 1}: model saw {result.image_size}, "
                                f"page rendered at {page.image_size}")
        if seconds is None:  # from submission to the page's last token
            seconds = result.prefill_seconds + result.decode_seconds
        output = qwenvl_output(page, result.text or "", result.stop_reason, self.name, seconds, self.max_new_tokens)
        output.meta["profile"] = "qwenvl-html"
        return output

    def _ask(self, requests: list["Request"]) -> list["Reply"]:
        """A profile's requests, one generation batch per group that shares prompt, chat layout
        and sampling (Dolphin's crops of several kinds make several groups)."""
        from docparse.profiles.base import Reply

        groups: dict[tuple, list[int]] = {}
        for n, req in enumerate(requests):
            key = (req.prompt, req.system, req.order, req.generation)
            groups.setdefault(key, []).append(n)
        replies: list[Reply | None] = [None] * len(requests)
        for (prompt, system, order, generation), members in groups.items():
            kwargs: dict[str, Any] = {}
            if order != "text-first":  # only what differs from the parser's own layout
                kwargs["text_first"] = False
            if system != getattr(self.parser, "system_prompt", system):
                kwargs["system_prompt"] = system
            images = [requests[n].image for n in members]
            results = self.parser.parse(images, prompt, resize=False, generation=self._sampling(generation), **kwargs)
            for n, image, result in zip(members, images, results, strict=True):
                if tuple(result.image_size) != tuple(image.size):  # boxes would map to the wrong space
                    raise RuntimeError(f"model saw {result.image_size}, request image is {image.size}")
                replies[n] = Reply(text=result.text or "", stop_reason=result.stop_reason)
        return [r for r in replies if r is not None]

    def _sampling(self, generation: "Generation") -> Any:
        """The parser's generation settings with a profile's sampling and token limit."""
        base = getattr(self.parser, "generation", None)
        if base is None:
            return None
        fields = {"max_new_tokens": generation.max_tokens, "do_sample": generation.temperature > 0,
                  "temperature": generation.temperature if generation.temperature > 0 else 1.0,
                  "top_p": generation.top_p if generation.top_p is not None else 1.0,
                  "repetition_penalty": generation.repetition_penalty or 1.0}
        known = getattr(base, "__dataclass_fields__", {})
        return replace(base, **{k: v for k, v in fields.items() if k in known})
    @property
    def temperature_ladder(self) -> tuple[float, ...]:
        """The profile's retry temperatures (none for QwenVL HTML: verify's default ladder)."""
        return tuple(self.profile.generation.ladder) if self.profile is not None else ()

    def resample(self, page: PageInput, *, temperature: float, seed: int | None = None) -> PageOutput:
        """Ask for one page again, sampling at ``temperature`` with ``seed`` (the verify ladder
        and best-of-N; 0 means greedy)."""
        if self.parser is None:
            raise EngineError("the vlm engine is closed")
        if self.profile is not None:  # the profile's requests, at this temperature
            def ask(requests: list["Request"]) -> list["Reply"]:
                return self._ask([replace(r, generation=replace(r.generation, temperature=temperature))
                                  for r in requests])

            return self.profile.process([page], ask)[0]
        base = self._generation_config()
        generation = None
        if base is not None:
            generation = replace(base, do_sample=temperature > 0, temperature=temperature if temperature > 0 else 1.0,
                                 seed=seed)
        start = time.perf_counter()
        result = self.parser.parse([page.render()], self.prompt.user, resize=False, generation=generation)[0]
        output = qwenvl_output(page, result.text or "", result.stop_reason, self.name, time.perf_counter() - start)
        output.meta["profile"] = "qwenvl-html"
        return output

    def _generation_config(self) -> Any:
        """The parser's generation settings with this engine's token limit."""
        base = getattr(self.parser, "generation", None)
        if base is None:
            return None
        return replace(base, max_new_tokens=self.max_new_tokens)

    def close(self) -> None:
        """Drop the model so its memory (host or GPU) can be reused."""
        if self.profile is not None:
            self.profile.close()
        if self.parser is None:
            return
        self.parser = None
        gc.collect()
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()


def _note(note: str) -> None:
    """The profile chosen, once, on stderr (progress and notes go there; results go to files)."""
    import sys

    print(f"docparse: {note}", file=sys.stderr)


def load_parser(model: str, choice: DeviceChoice, options: "ConvertOptions", system_prompt: str) -> Any:
    """A ``PageParser`` for the checkpoint; every load failure becomes a one-line ``EngineError``."""
    import torch
    from qwen2_5_vl.errors import CheckpointError
    from qwen2_5_vl.engine import EngineConfig
    from qwen2_5_vl.pipeline import PageParser, default_generation

    dtype: "torch.dtype" = getattr(torch, choice.dtype)
    generation = replace(default_generation(), max_new_tokens=options.max_new_tokens)
    try:
        return PageParser.from_pretrained(
            model, dtype=dtype, device=choice.device, system_prompt=system_prompt,
            min_pixels=options.min_pixels, max_pixels=options.max_pixels,
            generation=generation, batch_size=options.batch_size,
            engine_config=EngineConfig(max_num_seqs=options.batch_size, kv_cache_gb=options.kv_cache_gb),
        )
    except (OSError, CheckpointError) as exc:  # missing / unreadable / corrupt / refused files
        raise EngineError(f"cannot load the vlm model {model!r}: {_one_line(exc)}") from exc
    except ValueError as exc:  # tokenizer / model mismatch
        raise EngineError(f"cannot use the vlm model {model!r}: {_one_line(exc)}") from exc
    except MemoryError as exc:
        raise EngineError(f"cannot load the vlm model {model!r}: out of memory") from exc
    except Exception as exc:  # torch / safetensors errors not foreseen above: still one line, still ours
        raise EngineError(f"cannot load the vlm model {model!r}: {type(exc).__name__}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (a terminal line, a run report field), kept short."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 600 else text[:597] + "..."
