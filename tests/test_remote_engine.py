"""The remote engine's parts that need no server: request shape, retries, errors, the key kept secret.

The end-to-end tests against a real vLLM server are in tests/server/ (marked ``vllm``).
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import time
import sys

import httpx
import pytest

from docparse.engines.base import PageInput
from docparse.engines.remote import RemoteEngine, repeats_at_end, stop_reason
from docparse.engines.remote_http import (
    Completion,
    backoff_seconds,
    normalize_base_url,
    parse_completion,
    public_url,
    retry_after_seconds,
    server_message,
)
from docparse.errors import EngineError, OptionsError
from docparse.options import ConvertOptions
from docparse.qwenvl.prompts import get_prompt

SECRET = "sk-test-5ecr3t-never-shown"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_request_has_system_then_user_text_before_the_image():
    engine = RemoteEngine("http://127.0.0.1:1/v1", model="m", max_new_tokens=77, api_key=SECRET)
    body = engine.request_body("data:image/png;base64,AAAA", 0.0)
    prompt = get_prompt()
    assert body["messages"][0] == {"role": "system", "content": prompt.system}
    user = body["messages"][1]
    assert user["role"] == "user"
    assert [c["type"] for c in user["content"]] == ["text", "image_url"]  # the vlm engine's order
    assert user["content"][0]["text"] == prompt.user
    assert body["max_tokens"] == 77 and body["temperature"] == 0.0
    assert body["repetition_penalty"] == 1.05 and "top_k" not in body
    sampled = engine.request_body("data:,", 0.5)
    assert sampled["top_k"] == -1 and sampled["top_p"] == 1.0  # the checkpoint's top_k=1 would make it greedy
    plain = RemoteEngine("http://127.0.0.1:1/v1", model="m", repetition_penalty=1.0).request_body("data:,", 0.5)
    assert "repetition_penalty" not in plain and "top_k" not in plain  # standard OpenAI fields only


def test_the_key_never_shows_in_info_repr_or_options():
    engine = RemoteEngine("http://user:pw@127.0.0.1:1/v1", model="m", api_key=SECRET)
    assert SECRET not in repr(engine) and SECRET not in json.dumps(engine.info().settings)
    assert "pw" not in engine.info().settings["server"]
    opts = ConvertOptions(engine="remote", server="http://x/v1", api_key=SECRET)
    assert SECRET not in repr(opts)
    assert opts.key() == ConvertOptions(engine="remote", server="http://y/v1", api_key="other").key()


def test_auto_picks_remote_when_a_server_is_configured(monkeypatch):
    monkeypatch.delenv("DOCPARSE_SERVER", raising=False)
    monkeypatch.delenv("DOCPARSE_MODEL", raising=False)
    assert ConvertOptions().resolved_engine == "layout"
    assert ConvertOptions(server="http://127.0.0.1:8000/v1").resolved_engine == "remote"
    monkeypatch.setenv("DOCPARSE_SERVER", "http://127.0.0.1:8000/v1")
    assert ConvertOptions().resolved_engine == "remote"


def test_option_checks():
    assert ConvertOptions(retry_temperatures="0.2, 0.5").retry_ladder == (0.2, 0.5)
    assert ConvertOptions(retry_temperatures="").retry_ladder == ()
    with pytest.raises(OptionsError, match="retry temperatures"):
        ConvertOptions(retry_temperatures="hot")
    with pytest.raises(OptionsError, match="concurrency"):
        ConvertOptions(concurrency=0)
    with pytest.raises(OptionsError, match="http"):
        normalize_base_url("127.0.0.1:8000")
    assert normalize_base_url("http://h:8000/") == "http://h:8000/v1"
    assert normalize_base_url("http://h:8000/v1/") == "http://h:8000/v1"


def test_an_unreachable_server_is_one_error_naming_the_url():
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    with pytest.raises(EngineError, match=f"cannot reach the server at {url}"):
        RemoteEngine.from_options(ConvertOptions(engine="remote", server=url, api_key=SECRET))


def test_retry_after_and_backoff():
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("100000") == 120.0  # capped
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    rng = random.Random(0)
    waits = [backoff_seconds(a, None, rng) for a in range(8)]
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0  # doubling, with jitter in the upper half
    assert all(w <= 20.0 for w in waits)
    assert 2.0 <= backoff_seconds(0, 2.0, rng) <= 2.25  # the server's Retry-After wins


def _response(status: int, body: bytes | str, ctype: str = "application/json") -> httpx.Response:
    return httpx.Response(status, content=body if isinstance(body, bytes) else body.encode(),
                          headers={"content-type": ctype})


def test_server_messages_and_completions_are_read_defensively():
    msg = {"error": {"message": "This model's maximum context length is 4096 tokens."}}
    assert server_message(_response(400, json.dumps(msg))) == msg["error"]["message"]
    assert server_message(_response(422, json.dumps({"detail": "bad field"}))) == "bad field"
    assert server_message(_response(502, "<html>bad   gateway</html>", "text/html")) == "<html>bad gateway</html>"
    ok = {"choices": [{"message": {"content": "<p>x</p>"}, "finish_reason": "length"}], "model": "m",
          "usage": {"prompt_tokens": 10, "completion_tokens": 5, "extra": "x"}}
    c = parse_completion(_response(200, json.dumps(ok)))
    assert c.text == "<p>x</p>" and c.finish_reason == "length" and c.usage == {"prompt_tokens": 10,
                                                                              "completion_tokens": 5}
    for bad in ("", "{", json.dumps({"choices": []}), json.dumps({"choices": [{"message": {"content": 3}}]})):
        with pytest.raises(ValueError, match="malformed"):
            parse_completion(_response(200, bad))


def test_stop_reasons_and_loops():
    assert stop_reason(Completion("<p>a</p>", "stop")) == "eos"
    assert stop_reason(Completion("<p>a</p>", "length")) == "length"
    looping = "<p>intro</p>" + "<td>1</td>" * 40
    assert repeats_at_end(looping) and stop_reason(Completion(looping, "length")) == "loop"
    assert not repeats_at_end("<tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr>")
    assert not repeats_at_end("-" * 50)  # a rule of dashes is short: not a loop


def test_a_page_of_the_wrong_size_is_refused_before_sending(simple_pdf):
    import pymupdf
    from PIL import Image

    from docparse.engines.remote import encode_page

    doc = pymupdf.open(simple_pdf)
    page = PageInput(doc=doc, index=0, width=612, height=792, image_size=(56, 56),
                     render=lambda: Image.new("RGB", (28, 28)))
    with pytest.raises(RuntimeError, match="expected"):
        encode_page(page)
    ok = PageInput(doc=doc, index=0, width=612, height=792, image_size=(56, 28),
                   render=lambda: Image.new("RGB", (56, 28), "white"))
    assert encode_page(ok).startswith("data:image/png;base64,")


def test_the_remote_engine_does_not_import_torch():
    code = ("import sys, docparse.engines.remote, docparse.engines.remote_http, docparse.cli; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_url_strips_credentials():
    assert public_url("https://u:p@host:8443/v1") == "https://host:8443/v1"
    assert public_url("http://host/v1") == "http://host/v1"


def test_a_connect_timeout_fails_the_pages_fast_after_the_first(simple_pdf):
    """A real listening socket whose accept queue is full: connecting times out (no mock)."""
    from docparse.api import convert

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped, so connect() times out
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(srv.getsockname())
        fillers.append(s)
    try:
        host, port = srv.getsockname()
        engine = RemoteEngine(f"http://{host}:{port}/v1", model="m", timeout=1.0, retries=1, concurrency=1)
        start = time.monotonic()
        doc = convert(simple_pdf, engine=engine, passes=False)
        engine.close()
        assert [p.status.value for p in doc.pages] == ["failed"] * 3
        assert all("timed out connecting" in p.error for p in doc.pages)
        assert time.monotonic() - start < 8  # pages 2 and 3 did not wait out their own retries
    finally:
        for s in fillers + [srv]:
            s.close()
