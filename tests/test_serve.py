"""``docparse serve`` end to end: a real uvicorn subprocess on 127.0.0.1, a real HTTP client.

Every endpoint and every error: 401 (no key, wrong key, wrong scheme), 413 (declared size, size
while streaming, too many pages), 415, 422 (corrupt, encrypted, wrong password, empty, bad
options), 404, 409, 503 (full queue); jobs (progress, result, delete, TTL); a failing job; a
client that disconnects mid-upload; the spool folder private and empty afterwards.
"""

from __future__ import annotations

import os
import socket
import stat
import time

import pytest

pytest.importorskip("fastapi", reason="docparse[serve] is not installed (pip install -e '.[serve]')")
pytest.importorskip("uvicorn", reason="docparse[serve] is not installed (pip install -e '.[serve]')")
import httpx  # noqa: E402

import docparse  # noqa: E402

from .live_process import wait_until  # noqa: E402
from .serve_support import API_KEY, AUTH, CORRUPT_PDF, encrypted_pdf, start_server, text_pdf  # noqa: E402

pytestmark = [pytest.mark.serve, pytest.mark.slow]

MAX_UPLOAD_MB = 1


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    return {
        "two": text_pdf(d / "two.pdf", ["First page of the served document.", "Second page, also served."]),
        "five": text_pdf(d / "five.pdf", [f"Page number {i} of five." for i in range(1, 6)]),
        "long": text_pdf(d / "long.pdf", [f"Long document page {i}." for i in range(1, 31)]),
        "locked": encrypted_pdf(d / "locked.pdf"),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("serve"), "--workers", "1", "--max-upload-mb", str(MAX_UPLOAD_MB),
                        "--max-pages", "4")
    yield live
    live.stop()


def post(server, path, content: bytes, name="doc.pdf", headers=AUTH, **form):
    return httpx.post(server.url + path, files={"file": (name, content)}, data=form, headers=headers, timeout=120)


def library_error(data: bytes, name: str) -> str:
    """What the library (and so the CLI) says about this input."""
    from docparse.errors import InputError
    from docparse.source import open_source

    with pytest.raises(InputError) as info:
        open_source(data, name=name)
    return str(info.value)


def error_of(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert "\n" not in body["error"]["message"] and "Traceback" not in body["error"]["message"]
    return body["error"]["message"]


def test_health_docs_and_unknown_route(server):
    health = httpx.get(server.url + "/health").json()
    assert health["status"] == "ok" and health["engine"] == "layout" and health["workers"] == 1
    assert httpx.get(server.url + "/docs").status_code == 200
    spec = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/convert", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result", "/health"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/v1/convert"]["post"]["requestBody"]["content"]
    error_of(httpx.get(server.url + "/v1/nothing", headers=AUTH), 404, "not_found")


def test_convert_returns_what_the_library_makes(server, docs):
    resp = post(server, "/v1/convert", docs["two"].read_bytes(), name="two.pdf", formats="md,html,json,qwenvl")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"document", "markdown", "html", "qwenvl"}
    local = docparse.convert(docs["two"])
    assert body["markdown"] == local.to_markdown(embed_images=False)  # an answer embeds no pictures
    strip = lambda pages: [{k: v for k, v in p.items() if k != "seconds"} for p in pages]  # noqa: E731
    assert strip(body["document"]["pages"]) == strip(local.to_dict()["pages"])
    assert body["document"]["source"]["name"] == "two" and body["document"]["source"]["path"] is None
    assert "data-bbox" in body["html"] and len(body["qwenvl"]) == 2
    # default formats: markdown only (with the document), and per-request page selection
    resp = post(server, "/v1/convert", docs["two"].read_bytes(), pages="2")
    body = resp.json()
    assert set(body) == {"document", "markdown"}
    assert [p["index"] for p in body["document"]["pages"]] == [1]
    assert "Second page, also served." in body["markdown"] and "First page" not in body["markdown"]


def test_api_key_is_required_on_every_v1_route(server, docs):
    data = docs["two"].read_bytes()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"},
                    {"Authorization": API_KEY}, {"Authorization": f"Bearer {API_KEY}x"}):
        resp = post(server, "/v1/convert", data, headers=headers)
        error_of(resp, 401, "unauthorized")
        assert resp.headers["www-authenticate"] == "Bearer"
        error_of(post(server, "/v1/jobs", data, headers=headers), 401, "unauthorized")
        for method, path in (("GET", "/v1/jobs/abc"), ("GET", "/v1/jobs/abc/result"), ("DELETE", "/v1/jobs/abc")):
            error_of(httpx.request(method, server.url + path, headers=headers), 401, "unauthorized")
    assert httpx.get(server.url + "/health").status_code == 200  # health needs no key
    assert API_KEY not in server.log.read_text()  # the key is never logged


def test_not_a_document_and_unreadable_documents(server, docs):
    msg = error_of(post(server, "/v1/convert", b"just some text", name="notes.txt"), 415, "not_a_document")
    assert msg == "not a PDF or image: notes.txt"
    resp = httpx.post(server.url + "/v1/convert", json={"file": "x"}, headers=AUTH)
    error_of(resp, 415, "unsupported_media_type")
    msg = error_of(post(server, "/v1/convert", CORRUPT_PDF, name="broken.pdf"), 422, "unreadable_document")
    assert msg == library_error(CORRUPT_PDF, "broken.pdf")
    msg = error_of(post(server, "/v1/convert", docs["locked"].read_bytes(), name="locked.pdf"), 422, "encrypted")
    assert msg == "encrypted PDF: locked.pdf needs a password (--password)"
    error_of(post(server, "/v1/convert", docs["locked"].read_bytes(), name="locked.pdf", password="nope"), 422, "encrypted")
    ok = post(server, "/v1/convert", docs["locked"].read_bytes(), name="locked.pdf", password="u")
    assert ok.status_code == 200
    assert "locked" in [b["text"] for b in ok.json()["document"]["pages"][0]["blocks"]]
    error_of(post(server, "/v1/convert", b"", name="empty.pdf"), 422, "unreadable_document")


def test_bad_form_fields(server, docs):
    data = docs["two"].read_bytes()
    assert "out of range" in error_of(post(server, "/v1/convert", data, pages="9"), 422, "invalid_option")
    assert "bad page range" in error_of(post(server, "/v1/convert", data, pages="x-y"), 422, "invalid_option")
    assert "unknown format" in error_of(post(server, "/v1/convert", data, formats="docx"), 422, "invalid_option")
    assert "docparse serve --model" in error_of(post(server, "/v1/convert", data, model="/etc"), 422, "invalid_option")
    assert "docparse serve --engine" in error_of(post(server, "/v1/convert", data, engine="vlm"), 422, "invalid_option")
    assert "unknown form field" in error_of(post(server, "/v1/convert", data, out="/tmp/x"), 422, "invalid_option")
    assert "dpi" in error_of(post(server, "/v1/convert", data, dpi="lots"), 422, "invalid_option")
    assert "dpi must be" in error_of(post(server, "/v1/convert", data, dpi="5"), 422, "invalid_option")
    no_file = httpx.post(server.url + "/v1/convert", data={"formats": "md"}, files={"other": ("a.pdf", data)}, headers=AUTH)
    error_of(no_file, 422, "invalid_request")
    only_fields = httpx.post(server.url + "/v1/convert", data={"formats": "md"}, files={}, headers=AUTH)
    assert only_fields.status_code in (415, 422)  # a urlencoded body, or multipart without a file


def test_size_and_page_limits(server, docs):
    big = b"%PDF-1.7\n" + os.urandom(MAX_UPLOAD_MB * 1024 * 1024 + 10)
    error_of(post(server, "/v1/convert", big), 413, "too_large")  # declared Content-Length

    def chunked():  # no Content-Length: the limit is found while the body streams
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n\r\n%PDF-1.7\n'
        for _ in range(24):
            yield os.urandom(64 * 1024)
        yield b"\r\n--B--\r\n"

    resp = httpx.post(server.url + "/v1/convert", content=chunked(), timeout=60,
                      headers={**AUTH, "Content-Type": "multipart/form-data; boundary=B"})
    error_of(resp, 413, "too_large")
    assert "at most 4" in error_of(post(server, "/v1/convert", docs["five"].read_bytes()), 413, "too_many_pages")
    assert post(server, "/v1/convert", docs["five"].read_bytes(), pages="1-3").status_code == 200
    wait_until(lambda: not server.spooled_files(), 10, "spool folder empty")


def _raw(server, head: str, body: bytes = b"") -> socket.socket:
    host, port = server.url.rsplit("//", 1)[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(head.encode("latin-1") + body)
    return sock


def test_413_is_answered_before_the_body_arrives(server):
    # Content-Length over the limit: the answer comes without a byte of the body sent
    sock = _raw(server, f"POST /v1/convert HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\n"
                        "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 10000000000\r\n\r\n")
    with sock:
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")
    # chunked, over the limit and still "sending" (never finished): answered anyway
    part = b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n\r\n%PDF-1.7\n' + b"x" * (1536 * 1024)
    sock = _raw(server, f"POST /v1/convert HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\n"
                        "Content-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n",
                f"{len(part):x}\r\n".encode() + part + b"\r\n")
    start = time.monotonic()
    with sock:
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")
    assert time.monotonic() - start < 15
    wait_until(lambda: not server.spooled_files(), 10, "spool folder empty")


def test_client_disconnecting_mid_upload(server, docs):
    part = b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n\r\n%PDF-1.7\n' + b"y" * 300_000
    sock = _raw(server, f"POST /v1/convert HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\n"
                        "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 900000\r\n\r\n", part)
    wait_until(lambda: server.spooled_files(), 10, "the upload is being spooled")
    sock.close()  # gone mid-upload
    wait_until(lambda: not server.spooled_files(), 10, "the partial upload is deleted")
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
    assert post(server, "/v1/convert", docs["two"].read_bytes()).status_code == 200


def test_jobs_progress_result_delete(server, docs):
    resp = post(server, "/v1/jobs", docs["five"].read_bytes(), name="five.pdf", pages="2-4", formats="md,json")
    assert resp.status_code == 202, resp.text
    created = resp.json()
    assert set(created) == {"id", "status"} and created["status"] == "queued"
    job_url = f"{server.url}/v1/jobs/{created['id']}"
    seen = []

    def finished():
        s = httpx.get(job_url, headers=AUTH).json()
        seen.append(s)
        return s if s["status"] in ("done", "failed") else None

    status = wait_until(finished, 60, "job done")
    assert status["status"] == "done" and status["pages_done"] == status["pages_total"] == 3
    assert status["name"] == "five" and status["finished"]
    assert all(s["pages_total"] in (None, 3) and 0 <= s["pages_done"] <= 3 for s in seen)
    result = httpx.get(job_url + "/result", headers=AUTH)
    assert result.status_code == 200
    body = result.json()
    assert [p["index"] for p in body["document"]["pages"]] == [1, 2, 3]
    assert "Page number 3 of five." in body["markdown"]
    assert httpx.delete(job_url, headers=AUTH).json() == {"id": created["id"], "status": "deleted"}
    error_of(httpx.get(job_url, headers=AUTH), 404, "not_found")
    error_of(httpx.get(job_url + "/result", headers=AUTH), 404, "not_found")
    error_of(httpx.delete(job_url, headers=AUTH), 404, "not_found")


def test_a_failing_job_and_the_server_lives_on(server, docs):
    resp = post(server, "/v1/jobs", CORRUPT_PDF, name="bad.pdf")
    assert resp.status_code == 202
    job_url = f"{server.url}/v1/jobs/{resp.json()['id']}"
    status = wait_until(lambda: (s := httpx.get(job_url, headers=AUTH).json())["status"] == "failed" and s, 60, "job failed")
    assert status["error"]["code"] == "unreadable_document"
    msg = error_of(httpx.get(job_url + "/result", headers=AUTH), 422, "unreadable_document")
    assert msg == library_error(CORRUPT_PDF, "bad.pdf")
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
    assert post(server, "/v1/convert", docs["two"].read_bytes()).status_code == 200


def test_queue_full_409_and_job_expiry(tmp_path, docs):
    live = start_server(tmp_path / "small", "--workers", "1", "--queue-size", "1", "--job-ttl", "2", key=None)
    try:
        long_pdf = docs["long"].read_bytes()
        first = post(live, "/v1/jobs", long_pdf, headers={}).json()["id"]
        second = post(live, "/v1/jobs", long_pdf, headers={}).json()["id"]
        busy = post(live, "/v1/jobs", long_pdf, headers={})
        assert "busy" in error_of(busy, 503, "queue_full")
        error_of(post(live, "/v1/convert", long_pdf, headers={}), 503, "queue_full")
        error_of(httpx.get(f"{live.url}/v1/jobs/{first}/result"), 409, "not_finished")
        assert httpx.delete(f"{live.url}/v1/jobs/{second}").status_code == 200  # frees a place
        status = wait_until(lambda: (s := httpx.get(f"{live.url}/v1/jobs/{first}").json())["status"] == "done" and s,
                            240, "long job done", live.proc, live.log)
        assert status["pages_done"] == 30
        assert httpx.get(f"{live.url}/v1/jobs/{first}/result").status_code == 200
        # past the TTL the job and its result are gone
        wait_until(lambda: httpx.get(f"{live.url}/v1/jobs/{first}").status_code == 404, 30, "job expired")
        wait_until(lambda: not live.spooled_files(), 60, "spool folder empty")
        (spool,) = live.spool_dirs()
        assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    finally:
        live.stop()
    assert not live.spool_dirs(), "the spool folder is removed when the server stops"


def test_engine_that_cannot_start_is_one_line(tmp_path):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "docparse.cli", "serve", "--engine", "vlm", "--port", "1"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "DOCPARSE_MODEL": ""})
    assert res.returncode == 2
    assert "the vlm engine needs a model" in res.stderr and "Traceback" not in res.stderr
