"""The page pipeline: pages of many documents through one engine, documents out in order."""

from __future__ import annotations

from collections import deque

import pytest

from docparse.document import Block, EngineInfo, Label, block_id
from docparse.engines.base import PageOutput
from docparse.errors import EngineError
from docparse.options import ConvertOptions
from docparse.pipeline import DocumentJob, convert_documents

from .conftest import make_pdf
from .fakes import FakeEngine


class ShuffleEngine:
    """A streaming engine with a window of ``window`` pages in flight, answering the newest first
    (so answers come back out of order, across documents), like a server with many requests."""

    name = "shuffle"
    batch_size = 1

    def __init__(self, window: int = 3, fail_on_text: str | None = None, die_after: int | None = None):
        self.window = window
        self.fail_on_text = fail_on_text
        self.die_after = die_after
        self.max_unanswered = 0
        self.pulled = 0
        self.closed_stream = False

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name)

    def close(self) -> None:
        pass

    def _answer(self, page):
        text = page.page.get_text().strip().split("\n")[0]
        if self.fail_on_text and self.fail_on_text in text:
            return page, RuntimeError(f"server said no to {text!r}")
        block = Block(id=block_id(page.index, 0), label=Label.PARAGRAPH, bbox=(72, 72, 540, 100), text=text,
                      page=page.index, order=0, source=self.name)
        return page, PageOutput(index=page.index, blocks=[block], image_size=page.image_size)

    def stream(self, pages):
        inflight: deque = deque()
        try:
            for page in pages:
                self.pulled += 1
                if self.die_after is not None and self.pulled > self.die_after:
                    raise EngineError("the server went away")
                inflight.append(page)
                self.max_unanswered = max(self.max_unanswered, len(inflight))
                if len(inflight) >= self.window:
                    yield self._answer(inflight.pop())
            while inflight:
                yield self._answer(inflight.pop())
        finally:
            self.closed_stream = True


@pytest.fixture
def pdfs(tmp_path):
    return [make_pdf(tmp_path / f"d{i}.pdf", [f"doc {i} page {j}." for j in range(n)])
            for i, n in enumerate([2, 1, 3, 1, 2])]


def _texts(doc):
    return [b.text for p in doc.pages for b in p.blocks]


def test_documents_come_out_in_order_with_pages_in_order(pdfs):
    engine = ShuffleEngine(window=3)
    results = list(convert_documents([DocumentJob(p, tag=i) for i, p in enumerate(pdfs)], engine,
                                     ConvertOptions(passes=False)))
    assert [r.tag for r in results] == [0, 1, 2, 3, 4]
    for i, r in enumerate(results):
        n = len(r.document.pages)
        assert _texts(r.document) == [f"doc {i} page {j}." for j in range(n)]
    assert engine.max_unanswered <= 3  # the look-ahead is the engine's window, not the whole folder


def test_a_batch_fills_from_several_short_documents(pdfs):
    engine = FakeEngine(batch_size=4)
    results = list(convert_documents([DocumentJob(p) for p in pdfs], engine, ConvertOptions(passes=False)))
    assert [len(c) for c in engine.calls] == [4, 4, 1]  # 9 pages of 5 documents in 3 batches
    assert [len(r.document.pages) for r in results] == [2, 1, 3, 1, 2]


def test_on_page_counts_every_answered_page(pdfs):
    seen = []
    list(convert_documents([DocumentJob(p) for p in pdfs], ShuffleEngine(), ConvertOptions(passes=False),
                           on_page=lambda page: seen.append(page.index)))
    assert len(seen) == 9


def test_a_failed_page_and_an_unreadable_document_do_not_stop_the_rest(pdfs, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    jobs = [DocumentJob(pdfs[0]), DocumentJob(bad), DocumentJob(pdfs[2])]
    results = list(convert_documents(jobs, ShuffleEngine(fail_on_text="doc 2 page 1"), ConvertOptions(passes=False)))
    assert [r.ok for r in results] == [True, False, True]
    assert "not a PDF" in str(results[1].error)
    statuses = [p.status.value for p in results[2].document.pages]
    assert statuses == ["ok", "failed", "ok"]
    assert "server said no" in results[2].document.pages[1].error


def test_sources_stay_open_for_the_consumer_then_close(pdfs):
    results = convert_documents([DocumentJob(p) for p in pdfs[:2]], ShuffleEngine(), ConvertOptions(passes=False))
    first = next(results)
    doc = first.opened.doc
    assert not doc.is_closed and doc.page_count == 2  # the consumer can still crop images
    second = next(results)
    assert doc.is_closed and first.opened is None
    results.close()
    assert second.opened is None


def test_an_engine_failure_closes_everything_and_propagates(pdfs):
    engine = ShuffleEngine(window=2, die_after=4)
    got = []
    with pytest.raises(EngineError, match="went away"):
        for r in convert_documents([DocumentJob(p) for p in pdfs], engine, ConvertOptions(passes=False)):
            got.append(r.document)
    assert engine.closed_stream
    assert all(len(d.pages) == d.source.page_count for d in got)  # nothing handed on half done


def test_stopping_early_closes_the_engine_stream(pdfs):
    engine = ShuffleEngine()
    results = convert_documents([DocumentJob(p) for p in pdfs], engine, ConvertOptions(passes=False))
    next(results)
    results.close()
    assert engine.closed_stream


def test_page_selection_per_job(pdfs):
    results = list(convert_documents([DocumentJob(pdfs[2], pages="3,1")], ShuffleEngine(), ConvertOptions(passes=False)))
    assert [p.index for p in results[0].document.pages] == [2, 0]
