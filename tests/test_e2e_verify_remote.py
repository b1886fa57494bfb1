"""Hybrid verification through the remote engine against a real HTTP server on 127.0.0.1.

The server is a minimal OpenAI-compatible replay server (answers in turn, requests recorded;
h10's reusable tests/replay_server.py was not on main yet when this was written). Its answers
are QwenVL HTML made by the writer from the page's true blocks, or a corrupted variant.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import docparse
from docparse.document import Block, Label, PageStatus
from docparse.qwenvl.writer import write_qwenvl
from docparse.source import make_page_input, open_source
from docparse.verify.align import align_block
from docparse.verify.words import text_layer_words

PARAS = [
    "Soil moisture was recorded every morning at six sites along the river bank during spring.",
    "The readings show a steady decline after the second week, most of all at the upper sites.",
    "We attribute the decline to the early end of the snow melt and to the warm dry wind.",
]


class Replay(ThreadingHTTPServer):
    """Answers ``/v1/chat/completions`` with ``answers`` in turn (the last one repeats)."""

    def __init__(self, answers: list[tuple[str, str]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers = list(answers)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: Replay

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # /v1/models
        self._send({"object": "list", "data": [{"id": "replay", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with self.server.lock:
            self.server.requests.append(body)
            text, finish = self.server.answers.pop(0) if len(self.server.answers) > 1 else self.server.answers[0]
        self._send({"id": "r", "object": "chat.completion", "model": "replay",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": finish}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}})


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for n, text in enumerate(PARAS):
        page.insert_textbox(pymupdf.Rect(72, 100 + 70 * n, 540, 160 + 70 * n), text, fontsize=11)
    doc.save(tmp_path / "three.pdf")
    return tmp_path / "three.pdf"


def answers_for(pdf: Path) -> dict[str, str]:
    """QwenVL HTML for the page: right, half of it, and nothing like it."""
    opened = open_source(pdf)
    page = make_page_input(opened.doc, 0)  # the remote engine renders at the same default size
    words = text_layer_words(page.page)
    blocks = [Block(id=f"p0-b{n}", label=Label.PARAGRAPH, bbox=align_block(t, None, words).bbox, text=t, order=n)
              for n, t in enumerate(PARAS)]
    out = {"good": write_qwenvl(blocks, page.space), "half": write_qwenvl(blocks[:1], page.space)}
    for b in blocks:
        b.text = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor."
    out["garbage"] = write_qwenvl(blocks, page.space)
    opened.close()
    return out


@pytest.fixture
def serve():
    servers: list[Replay] = []

    def start(answers: list[tuple[str, str]]) -> Replay:
        server = Replay(answers)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def convert(pdf: Path, server: Replay, **kw) -> docparse.Document:
    return docparse.convert(pdf, engine="remote", server=server.url, model="replay", passes=False, **kw)


def test_a_disagreeing_answer_is_asked_again_and_the_good_one_kept(pdf: Path, serve) -> None:
    a = answers_for(pdf)
    server = serve([(a["half"], "stop"), (a["good"], "stop")])
    doc = convert(pdf, server, retry_temperatures="0.2,0.5")
    page = doc.pages[0]
    assert [b.text for b in page.reading_order] == PARAS
    assert {b.meta["verify"]["status"] for b in page.blocks} == {"verified"}
    assert [r["temperature"] for r in server.requests] == [0.0, 0.2]  # the engine's own ladder
    assert "seed" not in server.requests[0] and server.requests[1]["seed"] == 100
    assert page.meta["verify"]["answers"] == 2 and page.meta["verify"]["agreement"] == 1.0
    assert doc.engine.settings["verify"] == "auto"


def test_best_of_two_samples_from_the_server(pdf: Path, serve) -> None:
    a = answers_for(pdf)
    server = serve([(a["half"], "stop"), (a["good"], "stop")])
    doc = convert(pdf, server, samples=2)
    assert [b.text for b in doc.pages[0].reading_order] == PARAS
    assert len(server.requests) == 2 and server.requests[1]["seed"] == 1


def test_garbage_after_the_ladder_falls_back_to_the_layout_engine(pdf: Path, serve) -> None:
    a = answers_for(pdf)
    server = serve([(a["garbage"], "stop")])
    doc = convert(pdf, server, verify_retries=1)
    page = doc.pages[0]
    assert len(server.requests) == 2
    assert page.status == PageStatus.PARTIAL and "layout engine's reading" in page.warnings[0]
    assert page.meta["verify"]["fallback"] is True
    assert " ".join(b.text for b in page.reading_order).split() == " ".join(PARAS).split()


def test_verify_off_keeps_the_servers_answer(pdf: Path, serve) -> None:
    a = answers_for(pdf)
    server = serve([(a["half"], "stop")])
    doc = convert(pdf, server, verify="off")
    assert [b.text for b in doc.pages[0].reading_order] == PARAS[:1] and len(server.requests) == 1
