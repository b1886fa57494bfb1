"""``docparse serve`` under concurrent load: 50 requests at once, good and bad mixed.

Every good request must come back 200 with its own document, complete (every page, its own
text); every bad one with its own error; all within a time bound; the server's memory (its
process and its workers, sampled while the load runs) bounded; healthy and with an empty spool
folder afterwards. The figures are printed (``pytest -s``) for benchmarks and the closing note.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="docparse[serve] is not installed (pip install -e '.[serve]')")
pytest.importorskip("uvicorn", reason="docparse[serve] is not installed (pip install -e '.[serve]')")
import httpx  # noqa: E402

from .live_process import tree_rss_bytes, wait_until  # noqa: E402
from .serve_support import AUTH, CORRUPT_PDF, start_server, text_pdf  # noqa: E402

pytestmark = [pytest.mark.serve, pytest.mark.slow]

REQUESTS = 50
GOOD = 30
WORKERS = 2
TIME_BOUND_S = 300  # 30 one- and two-page documents on 2 shared cores, with a wide margin
# Two layout-engine workers (~0.5 GB each with the ONNX layout models) and the server itself;
# 50 uploads in flight are spooled to disk, so this must not grow with the request count.
MEMORY_BOUND_BYTES = int(2.5 * 1024**3)


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            time.sleep(0.1)


def test_fifty_concurrent_requests_good_and_bad(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    good = {}
    for i in range(GOOD):
        pages = [f"Load document {i} says zebra{i} on page {p}." for p in range(1, 1 + (i % 2) + 1)]
        good[i] = (text_pdf(docs / f"load{i}.pdf", pages).read_bytes(), pages)
    big = b"%PDF-1.7\n" + os.urandom(2 * 1024 * 1024)
    bad = ([("401", b"", {"Authorization": "Bearer wrong"})] * 5 + [("415", b"plain text, no document", AUTH)] * 5
           + [("422", CORRUPT_PDF, AUTH)] * 5 + [("413", big, AUTH)] * 5)

    live = start_server(tmp_path / "serve", "--workers", str(WORKERS), "--queue-size", str(REQUESTS),
                        "--max-upload-mb", "1")
    sampler = PeakRss(live.proc.pid)
    sampler.start()
    try:
        idle_rss = tree_rss_bytes(live.proc.pid)

        async def one(client, kind, data, headers):
            resp = await client.post("/v1/convert", files={"file": ("doc.pdf", data)}, data={"formats": "md"},
                                     headers=headers)
            return kind, resp

        async def all_at_once():
            limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
            async with httpx.AsyncClient(base_url=live.url, timeout=TIME_BOUND_S, limits=limits) as client:
                calls = [one(client, i, data, AUTH) for i, (data, _) in good.items()]
                calls += [one(client, kind, data, headers) for kind, data, headers in bad]
                order = list(range(len(calls)))
                order = order[::2] + order[1::2]  # good and bad interleaved
                return await asyncio.gather(*(calls[i] for i in order))

        start = time.monotonic()
        results = asyncio.run(asyncio.wait_for(all_at_once(), TIME_BOUND_S))
        seconds = time.monotonic() - start
        sampler.running = False
        sampler.join()

        assert len(results) == REQUESTS
        failures = []
        for kind, resp in results:
            if isinstance(kind, int):
                body = resp.json() if resp.status_code == 200 else {}
                pages = good[kind][1]
                ok = (resp.status_code == 200 and len(body["document"]["pages"]) == len(pages)
                      and all(text in body["markdown"] for text in pages)
                      and all(f"zebra{j} " not in body["markdown"] for j in good if j != kind))
            else:
                ok = str(resp.status_code) == kind and "error" in resp.json()
            if not ok:
                failures.append((kind, resp.status_code, resp.text[:200]))
        assert not failures, failures
        print(f"\nserve load: {REQUESTS} requests ({GOOD} good, {REQUESTS - GOOD} bad) all at once, {WORKERS} workers: "
              f"{seconds:.1f} s, {len(failures)} failures, peak RSS {sampler.peak / 2**20:.0f} MiB "
              f"(idle {idle_rss / 2**20:.0f} MiB)")
        assert seconds < TIME_BOUND_S
        assert sampler.peak < MEMORY_BOUND_BYTES, f"peak RSS {sampler.peak / 2**20:.0f} MiB"
        assert httpx.get(live.url + "/health").json() == {**httpx.get(live.url + "/health").json(),
                                                           "status": "ok", "queued": 0, "running": 0}
        wait_until(lambda: not live.spooled_files(), 10, "spool folder empty")
    finally:
        sampler.running = False
        live.stop()
