"""What goes into and comes out of ``engine.PageEngine``: its configuration, a request, a completion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence as Seq

import torch
from torch import Tensor

__all__ = ["EngineConfig", "Request", "Completion", "kv_cache_bytes", "CPU_KV_CACHE_GB", "GPU_MEMORY_FRACTION"]

CPU_KV_CACHE_GB = 2.0  # default budget on CPU: a few long pages of a 7B model in fp32
GPU_MEMORY_FRACTION = 0.8  # of the free memory after the weights; the rest is activations' headroom


@dataclass
class EngineConfig:
    max_num_seqs: int = 16  # decoding rows at once (the largest batch bucket)
    block_size: int = 16  # tokens per cache block
    kv_cache_gb: float | None = None  # None: GPU_MEMORY_FRACTION of free CUDA memory, CPU_KV_CACHE_GB on CPU
    prefill_chunk_tokens: int = 2048  # prompt tokens per round, so decoding rows are not stalled long
    # decode steps between two looks of the host; a finished row idles until the next look. None: 8 on
    # CUDA (the host queues steps without waiting), 1 on CPU (nothing to wait for: looking is free)
    sync_every: int | None = None
    cuda_graphs: bool = True  # replay captured decode steps on CUDA (greedy only)
    compile: str | None = None  # torch.compile backend for the decode step ("inductor", "eager"), fullgraph
    # pages whose images share one vision pass: the round's admitted pages, then waiting ones up to this
    # many (their features wait on the sequence). None: max_num_seqs
    vision_batch_pages: int | None = None
    # a round's prefill chunks and the decoding rows' first step in one forward (MixedAttention). None: on
    # where the decode step is eager (CPU, no compile); a captured CUDA graph needs the step's fixed shapes
    mixed_rounds: bool | None = None

    def __post_init__(self) -> None:
        if self.max_num_seqs < 1 or self.block_size < 1 or (self.sync_every or 1) < 1 or self.prefill_chunk_tokens < 1:
            raise ValueError("max_num_seqs, block_size, sync_every and prefill_chunk_tokens must be >= 1")
        if self.vision_batch_pages is not None and self.vision_batch_pages < 1:
            raise ValueError(f"vision_batch_pages must be >= 1, got {self.vision_batch_pages}")
        if self.kv_cache_gb is not None and not self.kv_cache_gb > 0:
            raise ValueError(f"kv_cache_gb must be > 0, got {self.kv_cache_gb}")


@dataclass
class Request:
    key: Any
    prompt: Seq[int]  # token ids, image tokens expanded
    pixel_values: Tensor | None = None  # (N, 1176), this page's images
    image_grid_thw: Tensor | None = None  # (I, 3)
    max_new_tokens: int | None = None  # None: the engine's generation config


@dataclass
class Completion:
    key: Any
    token_ids: list[int]  # stop token included, loop repeats trimmed (as GenerationResult)
    stop_reason: str  # "eos" | "loop" | "length"
    text: str | None
    prompt_tokens: int
    loop_trimmed_tokens: int
    preemptions: int
    seconds: float  # from submit to completion
    first_token_seconds: float  # from submit to the host's first look at a token of it (prefill done)


def kv_cache_bytes(config: EngineConfig, device: torch.device) -> int:
    if config.kv_cache_gb is not None:
        return int(config.kv_cache_gb * 2**30)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * GPU_MEMORY_FRACTION)
    return int(CPU_KV_CACHE_GB * 2**30)
