"""The layout engine's own instance of PyMuPDF's layout model: same regions as ``page.get_layout``,
image features computed a page ahead give the same output, and a wrong page's features are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pymupdf = pytest.importorskip("pymupdf")
pytest.importorskip("pymupdf.layout")

import docparse  # noqa: E402
from docparse.engines.layout import LayoutEngine  # noqa: E402
from docparse.engines.layout.regions.runner import layout_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO / "samples" / "article.pdf"


def _raw_summary(raw: list[dict]) -> list:
    """What the engine reads of the model's answer: class, box, table cells."""
    return [
        (g["class_name"], [round(float(v), 4) for v in g["group_bbox"][:4]], repr(g.get("table_cells")))
        for g in raw
    ]


def _text_page() -> "pymupdf.Page":
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 90), "A Heading", fontsize=20)
    page.insert_textbox(pymupdf.Rect(72, 120, 540, 400), "A paragraph of body text. " * 30, fontsize=11)
    return page


def test_same_regions_as_pymupdfs_own_model():
    """Our instance (own ONNX sessions) answers exactly what ``page.get_layout`` answers."""
    import pymupdf.layout

    pymupdf.layout.activate()
    doc = pymupdf.open(ARTICLE)
    for page in doc:
        page.get_layout(return_raw=True)
        theirs = _raw_summary(page.layout_information or [])
        page.layout_information = None
        ours = _raw_summary(layout_model().predict(page))
        assert ours == theirs and ours, f"page {page.number + 1}"


def test_features_computed_ahead_give_the_same_regions():
    page = _text_page()
    plain = _raw_summary(layout_model().predict(page))
    ahead = layout_model().prefetch(page)
    assert ahead is not None
    assert _raw_summary(layout_model().predict(page, ahead)) == plain


def test_two_pages_features_in_flight_at_once_give_the_same_regions():
    """``stream`` has the current and the next page's features computed side by side
    (``FEATURE_THREADS``, one shared session): each page gets its own, whatever finishes first."""
    doc = pymupdf.open(ARTICLE)
    pages = [doc[i] for i in range(min(doc.page_count, 3))]
    assert len(pages) >= 2
    plain = [_raw_summary(layout_model().predict(p)) for p in pages]
    aheads = [layout_model().prefetch(p) for p in pages]  # all submitted before any is read
    for page, ahead, expected in reversed(list(zip(pages, aheads, plain))):
        assert _raw_summary(layout_model().predict(page, ahead)) == expected, f"page {page.number + 1}"


def test_features_of_another_page_are_refused():
    doc = pymupdf.open(ARTICLE)
    ahead = layout_model().prefetch(doc[0])
    with pytest.raises(ValueError, match="another page"):
        layout_model().predict(doc[1], ahead)


def test_pymupdf4llm_switching_the_global_model_off_does_not_matter():
    """``pymupdf4llm.use_layout(False)`` clears PyMuPDF's process-wide hook; ours is our own."""
    pymupdf4llm = pytest.importorskip("pymupdf4llm")
    page = _text_page()
    try:
        pymupdf4llm.use_layout(False)
        assert layout_model().predict(page), "the layout model gave no regions"
    finally:
        pymupdf4llm.use_layout(True)


def test_a_copy_of_pymupdfs_instance_or_one_of_our_own_answer_alike():
    """With PyMuPDF's instance there, the engine's model shares its table-grid network (no second
    copy to build) but runs its own sessions; without it (switched off) it builds everything."""
    from docparse.engines.layout.regions.runner import LayoutModel, _default_model

    pymupdf4llm = pytest.importorskip("pymupdf4llm")
    base = _default_model()
    assert base is not None, "import pymupdf built no layout model we recognise"
    shared = LayoutModel()
    assert shared._model.table_grid_extractor is base.table_grid_extractor
    assert shared._model.session is not base.session
    assert shared._model.feature_extractor is not base.feature_extractor
    try:
        pymupdf4llm.use_layout(False)
        assert _default_model() is None
        own = LayoutModel()
    finally:
        pymupdf4llm.use_layout(True)
    assert own._model.table_grid_extractor is not base.table_grid_extractor
    doc = pymupdf.open(ARTICLE)
    for page in doc:
        ours = _raw_summary(shared.predict(page))
        assert ours and ours == _raw_summary(own.predict(page)), f"page {page.number + 1}"


def _json(doc: docparse.Document) -> dict:
    data = json.loads(doc.to_json())
    data.pop("engine", None)
    for page in data["pages"]:
        page.pop("seconds", None)
        page.pop("meta", None)
    return data


def test_streamed_pages_equal_pages_one_by_one():
    """The engine's stream (next page's features in the background) changes nothing in the output."""
    engine = LayoutEngine()
    streamed = docparse.convert(ARTICLE, engine=engine)  # the pipeline uses engine.stream

    class OneByOne:  # the same engine without ``stream``: batched_stream calls process()
        name, batch_size = engine.name, 1
        info, process, close = engine.info, engine.process, engine.close

    single = docparse.convert(ARTICLE, engine=OneByOne())
    assert _json(streamed) == _json(single)
    assert len(streamed.pages) == 2


def test_the_feature_network_on_its_thread_pool_gives_bit_identical_features():
    """``FEATURE_INTRA_OP_THREADS`` (two) changes how fast, never what: the session the engine
    runs gives exactly the features of a one-thread session, on a real page (and the pool
    does not spin: an idle thread must not take the core the page's text work needs)."""
    import numpy as np

    from docparse.engines.layout.regions import runner

    model = layout_model()
    assert runner._feature_threads() == min(2, len(__import__("os").sched_getaffinity(0)))
    ours = model._features_session
    single = runner._session(ours._model_path, arena=True, threads=1)
    if runner._feature_threads() > 1:
        assert ours.get_session_options().intra_op_num_threads == 2
        assert ours.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    pix = pymupdf.open(ARTICLE)[0].get_pixmap()
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    a, b = model._extractor_type(ours), model._extractor_type(single)
    a.predict(image)
    b.predict(image)
    assert np.array_equal(a.get_feature_map(), b.get_feature_map())
    assert np.array_equal(a.get_class_logits(), b.get_class_logits())
