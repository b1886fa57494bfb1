"""Runners: where a batch's documents are converted.

- local (``docparse.batch``): this machine, ``--workers`` processes.
- ``ray`` (``docparse.runners.ray``): a Ray cluster, with Ray Data; engines held by actors.
  ``docparse.runners.ray_llm`` is the recipe for GPU clusters with ``ray.data.llm`` (vLLM).

Both write the same outputs, the same resume stamps and the same run report.
"""

RUNNERS = ("local", "ray")
