"""benchmarks/vlm_speed.py runs end to end (tiny config, CPU): the script CI keeps ready for the GPU run,
its GPU extras (batch-1 roofline, the vLLM attempt) included via ``--gpu-extras``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mixed_workload_smoke(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# VLM speed results\n\nintro\n\n## an older section\n\nkept\n")
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "vlm_speed.py"), "--config", "tiny", "--pages", "3",
         "--new-tokens", "4", "--batch", "2", "--results", str(results), "--gpu-extras", "--roofline-steps", "48"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = results.read_text()
    assert "## an older section" in text and "kept" in text  # other sections survive
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    assert {"static batching (generate)", "continuous batching (PageEngine, 2 rows)",
            "transformers generate (same batches)"} <= set(rows)
    for name in ("static batching (generate)", "transformers generate (same batches)"):
        assert re.search(r"\| 3/3 \|", rows[name]), rows[name]  # same greedy tokens as the engine
    # the GPU run's extras, run here on CPU: the batch-1 roofline line, and vLLM measured or said absent
    assert re.search(r"Batch-1 decode: [\d,.]+ tok/s = \d+% of the HBM roofline", text), text
    assert "vLLM: not installed" in text or "vLLM (same weights" in text
