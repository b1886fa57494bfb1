"""CUDA-graph replay of the engine's decode step, one graph per (batch, block-table width) bucket.

The step (``PageEngine._decode_step``) is pure device work over fixed shapes per bucket, so its
kernels are captured once and replayed: one launch per step instead of ~2,000. The first call of a
bucket runs the step eagerly on a side stream (warm-up, and the real step of that call), then
captures it; later calls copy their rows and tables into the captured inputs and replay.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

__all__ = ["DecodeGraphs"]


class DecodeGraphs:
    def __init__(self, step: Callable[[Tensor, Tensor], None], device: torch.device) -> None:
        self.step = step  # step(rows (B,), tables (B, W))
        self.device = device
        self.graphs: dict[tuple[int, int], Any] = {}
        self.pool = None  # one memory pool for all buckets: they never run at once

    def clear(self) -> None:
        """Forget every captured step (a tensor they read was reallocated)."""
        self.graphs.clear()

    def replay(self, rows: Tensor, tables: Tensor) -> None:
        key = (rows.shape[0], tables.shape[1])
        graph = self.graphs.get(key)
        if graph is None:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self.step(rows, tables)  # the real step of this call, and the warm-up
            torch.cuda.current_stream(self.device).wait_stream(side)
            static_rows, static_tables = rows.clone(), tables.clone()
            g = torch.cuda.CUDAGraph()
            if self.pool is None:
                self.pool = torch.cuda.graph_pool_handle()
            with torch.cuda.graph(g, pool=self.pool):  # capture records kernels without running them
                self.step(static_rows, static_tables)
            self.graphs[key] = (g, static_rows, static_tables)
            return
        g, static_rows, static_tables = graph
        static_rows.copy_(rows)
        static_tables.copy_(tables)
        g.replay()
