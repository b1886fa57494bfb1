"""Hybrid verification through the remote engine against a real HTTP server on 127.0.0.1.

The server is h10's replay server (tests/replay_server.py: answers in turn, requests recorded).
Its answers are QwenVL HTML made by the writer from the page's true blocks, or a corrupted variant.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import docparse
from docparse.document import Block, Label, PageStatus
from docparse.qwenvl.writer import write_qwenvl
from docparse.source import make_page_input, open_source
from docparse.verify.align import align_block
from docparse.verify.words import text_layer_words

from .replay_server import Answer, ReplayServer
from .verify_pages import PARAS, three_paragraph_pdf


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return three_paragraph_pdf(tmp_path)


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
    servers: list[ReplayServer] = []

    def start(answers: list[tuple[str, str]], delay: float = 0.0) -> ReplayServer:
        texts, reasons = [t for t, _ in answers], [r for _, r in answers]
        server = ReplayServer([Answer(texts, reasons)], delay=delay).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def convert(pdf: Path, server: ReplayServer, **kw) -> docparse.Document:
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


@pytest.fixture
def four_pages(pdf: Path, tmp_path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for _ in range(4):
        doc.insert_pdf(pymupdf.open(pdf))
    doc.save(tmp_path / "four.pdf")
    return tmp_path / "four.pdf"


def test_retries_of_several_pages_are_in_flight_together(pdf: Path, four_pages: Path, serve) -> None:
    # every page's first answer leaves text out; the retries must not wait for one another
    a = answers_for(pdf)
    server = serve([(a["half"], "stop")] * 4 + [(a["good"], "stop")], delay=1.0)
    doc = convert(four_pages, server, concurrency=4)
    assert all([b.text for b in p.reading_order] == PARAS for p in doc.pages)
    retries = [i for i, r in enumerate(server.requests) if r["temperature"] > 0]
    assert len(retries) == 4
    overlap = max(sum(r["temperature"] > 0 for r in server.in_flight_at_arrival[i]) for i in retries)
    assert overlap >= 2, "each page's retry waited for the one before"


def test_samples_of_a_page_are_asked_at_once(pdf: Path, serve) -> None:
    a = answers_for(pdf)
    server = serve([(a["half"], "stop"), (a["half"], "stop"), (a["good"], "stop")], delay=0.5)
    doc = convert(pdf, server, samples=3)
    assert [b.text for b in doc.pages[0].reading_order] == PARAS
    assert len(server.in_flight_at_arrival[2]) == 2  # the second sample went out beside the first
