"""``--engine remote`` against a real vLLM server serving the tiny random Qwen2.5-VL checkpoint.

No mocks: the server is vLLM's own OpenAI-compatible API server (started by .ci/run), the faults
come from a proxy in front of it that each test starts and stops (fault_proxy.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docparse.api import convert, convert_many
from docparse.cli import app

from ..conftest import make_pdf
from .conftest import MAX_PIXELS, REPO, VLLMServer

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

SAMPLES = REPO / "samples"
runner = CliRunner()
TOKENS = 32  # per page: enough to tell two readings apart, short enough for CPU
TIMEOUT_S = 10.0  # a read timeout the real server never hits here, and a test still short


def remote_options(url: str, **extra) -> dict:
    # verify="off": these tests are about the remote path itself (request counts, raw answers); the
    # tiny model's output would fail verification and be asked again (tests/test_e2e_verify*.py)
    options = dict(engine="remote", server=url, max_new_tokens=TOKENS, max_pixels=MAX_PIXELS, passes=False,
                   retry_temperatures="", verify="off")
    options.update(extra)
    return options


def cli(*args: object, env: dict[str, str] | None = None):
    base = ["convert", *map(str, args), "--engine", "remote", "--max-new-tokens", str(TOKENS),
            "--max-pixels", str(MAX_PIXELS), "--retry-temperatures", "", "--verify", "off", "--quiet"]
    return runner.invoke(app, base, env=env, catch_exceptions=False)


def folder_of_pdfs(root: Path, count: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pages = [f"Document {i} page {j}: {'alpha beta gamma ' * (i % 4 + 1)}" for j in range(1 + i % 2)]
        make_pdf(root / f"doc{i:02d}.pdf", pages)
    return root


# -- (a) two implementations agree ---------------------------------------------------------------


def test_greedy_remote_output_equals_the_in_process_engine(vllm: VLLMServer, monkeypatch):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    sources = [SAMPLES / "article.pdf", SAMPLES / "scanned.pdf", SAMPLES / "table_two_pages.pdf"]
    common = dict(max_new_tokens=TOKENS, max_pixels=MAX_PIXELS, passes=False, verify="off")
    remote = [r.document for r in convert_many(sources, **remote_options(vllm.url))]
    local = [r.document for r in convert_many(sources, engine="vlm", model=str(vllm.checkpoint), device="cpu",
                                              dtype="float32", **common)]
    pages = 0
    for r_doc, l_doc in zip(remote, local, strict=True):
        assert r_doc.engine.name == "remote" and l_doc.engine.name == "vlm"
        for rp, lp in zip(r_doc.pages, l_doc.pages, strict=True):
            pages += 1
            assert rp.image_size == lp.image_size  # the same model pixel space
            assert rp.status.value != "failed", rp.error
            if lp.stop_reason == "loop":  # the in-process loop guard stopped early: the server went on
                assert rp.raw.startswith(lp.raw)
                continue
            assert rp.raw == lp.raw, f"page {rp.index} of {r_doc.source.name}"
            assert rp.stop_reason == lp.stop_reason
            assert [{**b.to_dict(), "source": None} for b in rp.blocks] == \
                [{**b.to_dict(), "source": None} for b in lp.blocks]
            assert rp.meta["usage"]["completion_tokens"] <= TOKENS
    assert pages == 5
    raws = {p.raw for d in remote for p in d.pages}
    assert len(raws) == pages  # the output depends on the page image


# -- (b) a folder end to end ---------------------------------------------------------------------


def test_a_folder_of_20_files_with_concurrency_8(vllm: VLLMServer, proxy, tmp_path):
    src = folder_of_pdfs(tmp_path / "in", 20)
    out = tmp_path / "out"
    res = cli(src, "-o", out, "--server", proxy.url, "--concurrency", "8", env=vllm.env())
    assert res.exit_code == 0, res.output
    report = json.loads((out / "docparse-report.json").read_text())
    assert len(report["files"]) == 20 and report["engine"] == "remote"
    assert all(f["status"] in ("ok", "partial") for f in report["files"]), report["files"]
    for i in range(20):
        doc = json.loads((out / f"doc{i:02d}" / f"doc{i:02d}.json").read_text())
        assert len(doc["pages"]) == 1 + i % 2
        for page in doc["pages"]:
            assert page["raw"] and page["meta"]["usage"]["prompt_tokens"] > 0
        assert (out / f"doc{i:02d}" / f"doc{i:02d}.md").is_file()
    assert proxy.counts.get("pass") == 30  # 30 pages, one request each
    assert 2 <= proxy.max_inflight <= 8  # many pages in flight, never more than asked
    assert all(a == f"Bearer {vllm.api_key}" for a in proxy.auth_seen)  # the key went over the wire


def test_the_temperature_ladder_asks_again_and_keeps_the_greedy_answer(vllm: VLLMServer, proxy, monkeypatch):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    greedy = convert(SAMPLES / "scanned.pdf", **remote_options(proxy.url))
    laddered = convert(SAMPLES / "scanned.pdf", **remote_options(proxy.url, retry_temperatures="0.2,0.5"))
    page = laddered.pages[0]
    assert page.stop_reason in ("length", "loop")  # 32 random tokens never end on their own
    assert [a["temperature"] for a in page.meta["attempts"]] == [0.0, 0.2, 0.5]
    assert page.raw == greedy.pages[0].raw  # no attempt ended normally: the greedy one is kept
    assert proxy.counts["pass"] == 4


# -- (c) faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "503", "429:1", "drop", "malformed", "empty"])
def test_transient_faults_are_retried(vllm: VLLMServer, proxy, monkeypatch, fault):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    proxy.plan = lambda n: fault if n == 0 else None
    start = time.monotonic()
    doc = convert(SAMPLES / "scanned.pdf", **remote_options(proxy.url, retries=2))
    page = doc.pages[0]
    assert page.status.value == "partial" and page.raw, page.error
    assert page.meta["http_attempts"] == 2
    if fault.startswith("429"):
        assert time.monotonic() - start >= 1.0  # Retry-After honoured


def test_a_fault_that_persists_fails_that_page_only(vllm: VLLMServer, proxy, monkeypatch):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    proxy.plan = lambda n: "500" if n == 0 else None
    doc = convert(SAMPLES / "article.pdf", **remote_options(proxy.url, retries=0, concurrency=1))
    assert [p.status.value for p in doc.pages] == ["failed", "partial"]
    assert "HTTP 500" in doc.pages[0].error and "crashed (injected)" in doc.pages[0].error


def test_a_4xx_fails_the_page_with_the_servers_message(vllm: VLLMServer, proxy, monkeypatch):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    proxy.plan = lambda n: "400:prompt too long for this model" if n == 0 else None
    doc = convert(SAMPLES / "article.pdf", **remote_options(proxy.url, retries=3, concurrency=1))
    assert [p.status.value for p in doc.pages] == ["failed", "partial"]
    assert "prompt too long for this model" in doc.pages[0].error
    assert proxy.requests == 2  # a 4xx is not retried


def test_a_real_context_length_error_names_the_limit(vllm: VLLMServer, monkeypatch):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    doc = convert(SAMPLES / "scanned.pdf", **remote_options(vllm.url, max_new_tokens=100_000))
    page = doc.pages[0]
    assert page.status.value == "failed"
    assert "HTTP 400" in page.error and "4096" in page.error  # vLLM's own words: --max-model-len 4096


def test_read_and_connect_timeouts(vllm: VLLMServer, proxy, monkeypatch):
    monkeypatch.setenv("DOCPARSE_API_KEY", vllm.api_key)
    # the real server answers a page in well under TIMEOUT_S even on a busy 2-core machine
    proxy.plan = lambda n: f"delay:{3 * TIMEOUT_S}" if n == 0 else None
    doc = convert(SAMPLES / "article.pdf", **remote_options(proxy.url, retries=0, timeout=TIMEOUT_S, concurrency=1))
    assert doc.pages[0].status.value == "failed" and "timed out waiting for the answer" in doc.pages[0].error
    assert doc.pages[1].status.value == "partial"
    # with a retry the same delay is survived
    proxy.plan = lambda n: f"delay:{3 * TIMEOUT_S}" if n == 2 else None
    doc = convert(SAMPLES / "scanned.pdf", **remote_options(proxy.url, retries=1, timeout=TIMEOUT_S))
    assert doc.pages[0].status.value == "partial" and doc.pages[0].meta["http_attempts"] == 2


def test_an_unreachable_server_is_one_line_exit_1_and_nothing_written(vllm: VLLMServer, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    out = tmp_path / "out"
    res = cli(SAMPLES / "article.pdf", "-o", out, "--server", url, env=vllm.env())
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and url in lines[0], res.output
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert {p.name for p in written} <= {"docparse-report.json", ".docparse-report.lock"}, written  # no document


def test_a_server_dying_mid_batch_then_a_rerun_redoes_only_the_rest(vllm: VLLMServer, proxy, tmp_path):
    src = folder_of_pdfs(tmp_path / "in", 6)  # 1, 2, 1, 2, 1, 2 pages
    out = tmp_path / "out"
    proxy.plan = lambda n: "die" if n == 3 else None  # docs 0 and 1 (3 pages) are answered, then it is gone
    res = cli(src, "-o", out, "--server", proxy.url, "--concurrency", "1", "--retries", "1", env=vllm.env())
    assert res.exit_code == 1, res.output
    report = json.loads((out / "docparse-report.json").read_text())
    status = {Path(f["input"]).stem: f["status"] for f in report["files"]}
    assert status["doc00"] != "failed" and status["doc01"] != "failed"
    assert all(status[f"doc{i:02d}"] == "failed" for i in range(2, 6)), status
    assert (out / "doc00" / "doc00.md").is_file() and (out / "doc01" / "doc01.json").is_file()

    from .fault_proxy import FaultProxy

    upstream = vllm.url[: -len("/v1")]
    with FaultProxy(upstream, port=proxy.port) as again:  # the server is back, same address
        res = cli(src, "-o", out, "--server", again.url, "--concurrency", "4", env=vllm.env())
        assert res.exit_code == 0, res.output
        assert again.counts.get("pass") == 1 + 2 + 1 + 2  # only docs 2-5 asked again
    report = json.loads((out / "docparse-report.json").read_text())
    status = {Path(f["input"]).stem: f["status"] for f in report["files"]}
    assert status["doc00"] == status["doc01"] == "skipped"
    assert all(status[f"doc{i:02d}"] in ("ok", "partial") for i in range(2, 6)), status


def test_ctrl_c_cancels_the_requests_in_flight_and_leaves_no_partial_file(vllm: VLLMServer, proxy, tmp_path):
    src = folder_of_pdfs(tmp_path / "in", 6)
    out = tmp_path / "out"
    proxy.plan = lambda n: None if n < 2 else "delay:60"  # doc00 (1 page) answered, then everything hangs
    cmd = [sys.executable, "-c", "from docparse.cli import main; main()", "convert", str(src), "-o", str(out), "--engine", "remote",
           "--server", proxy.url, "--concurrency", "4", "--max-new-tokens", str(TOKENS), "--max-pixels",
           str(MAX_PIXELS), "--retry-temperatures", "", "--verify", "off", "--quiet"]
    proc = subprocess.Popen(cmd, env=vllm.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while proxy.holding < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proxy.holding == 4, "the requests never got in flight"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    deadline = time.monotonic() + 5
    while proxy.cancelled < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proxy.cancelled == 4  # every request in flight was cancelled, none left running
    assert not [p for p in out.rglob("*.tmp")]  # no temporary file left behind
    assert (out / "doc00" / "doc00.md").is_file()  # finished before Ctrl-C: complete
    for i in range(1, 6):
        assert not (out / f"doc{i:02d}" / f"doc{i:02d}.md").exists()  # never half written
    stderr = proc.stderr.read().decode()
    assert "Traceback" not in stderr, stderr


def test_the_api_key_is_sent_and_never_shown(vllm: VLLMServer, proxy, tmp_path):
    out = tmp_path / "out"
    wrong = "sk-wrong-" + "x" * 20
    res = cli(SAMPLES / "scanned.pdf", "-o", out, "--server", proxy.url, "--api-key", wrong, env=vllm.env())
    assert res.exit_code == 1
    assert "401" in res.output and wrong not in res.output  # the server refused it; the key is not echoed
    res = cli(SAMPLES / "scanned.pdf", "-o", out, "--server", proxy.url, env=vllm.env())
    assert res.exit_code == 0, res.output
    assert proxy.auth_seen == [f"Bearer {vllm.api_key}"]
    assert vllm.api_key not in res.output
    for path in out.rglob("*"):
        if path.is_file():
            assert vllm.api_key.encode() not in path.read_bytes(), path
            assert wrong.encode() not in path.read_bytes(), path
