"""Fixtures for the tests against a real vLLM server (marked ``vllm``).

The server is started outside pytest (it takes ~1-2 min and ~7 GB), by ``.ci/run`` or by hand
with ``tests/server/run_vllm.sh``, and named by three variables:

- ``DOCPARSE_TEST_VLLM_URL``: its base URL, e.g. http://127.0.0.1:18101/v1
- ``DOCPARSE_TEST_VLLM_CHECKPOINT``: the checkpoint folder it serves (built by
  ``python -m tests.server.tiny_checkpoint``), which the in-process engine loads too;
- ``DOCPARSE_TEST_VLLM_KEY``: the ``--api-key`` it was started with.

Without them every test here is skipped with that reason. The tests start and stop their own
fault-injecting proxy (``fault_proxy.py``) in front of the server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from .fault_proxy import FaultProxy

REPO = Path(__file__).resolve().parents[2]
SKIP_REASON = ("no vLLM server configured: set DOCPARSE_TEST_VLLM_URL, DOCPARSE_TEST_VLLM_CHECKPOINT and "
               "DOCPARSE_TEST_VLLM_KEY (.ci/run starts one; see tests/server/run_vllm.sh)")
MAX_PIXELS = 64 * 28 * 28  # 64 image tokens per page: the tiny model reads a page in a fraction of a second


@dataclass
class VLLMServer:
    url: str
    checkpoint: Path
    api_key: str
    model: str = "tiny"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a docparse subprocess talking to this server (the key via the environment)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
        env.update(DOCPARSE_API_KEY=self.api_key, **extra)
        return env


@pytest.fixture(scope="session")
def vllm() -> VLLMServer:
    url = os.environ.get("DOCPARSE_TEST_VLLM_URL")
    checkpoint = os.environ.get("DOCPARSE_TEST_VLLM_CHECKPOINT")
    key = os.environ.get("DOCPARSE_TEST_VLLM_KEY")
    if not (url and checkpoint and key):
        pytest.skip(SKIP_REASON)
    server = VLLMServer(url.rstrip("/"), Path(checkpoint), key)
    import httpx

    try:
        response = httpx.get(f"{server.url}/models", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    except httpx.HTTPError as exc:
        pytest.fail(f"DOCPARSE_TEST_VLLM_URL={url} is set but the server does not answer: {exc}")
    assert response.status_code == 200, response.text
    server.model = response.json()["data"][0]["id"]
    return server


@pytest.fixture
def proxy(vllm: VLLMServer):
    """A fault proxy in front of the real server, passing everything through until a test plans faults."""
    upstream = vllm.url[: -len("/v1")] if vllm.url.endswith("/v1") else vllm.url
    with FaultProxy(upstream) as p:
        yield p
