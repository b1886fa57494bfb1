"""PyMuPDF's layout model as the layout engine runs it: an instance of its own, lean ONNX
sessions, and the image features of the next page computed while the current page is worked on.

``page.get_layout`` runs one process-wide model that ``import pymupdf`` builds with ONNX
Runtime's defaults, and that other code can switch off (``pymupdf4llm.use_layout(False)``). The
engine runs its own instance of the same model (``BoxRFDGNN``, the same files and feature set
``imf+rf``, the same settings as ``pymupdf.layout``'s default), so its output is the same: a
copy of PyMuPDF's instance when that one exists (its configuration and table-grid network
shared, only the two per-page networks' sessions our own: start-up 0.3 CPU s less), else one
built from the files. And:

- the graph network's session runs on one thread (a graph of a few hundred boxes: a pool costs
  more in hand-offs than it gains); the image-feature network's on ``FEATURE_INTRA_OP_THREADS``
  (two) with spinning off, so that it takes the second core whenever the page's text work leaves
  it idle and sleeps, not spins, when that work runs (bit-identical features);
- the image-feature network, whose input is always 300 x 300, keeps ONNX Runtime's memory
  arena (PyMuPDF turns it off for all sessions so that the graph network's memory, which varies
  with the page, is given back; here only the graph network's session goes without it);
- ``prefetch(page)`` renders the page (PyMuPDF is not thread-safe: in the caller's thread) and
  runs the image-feature network on it in a background thread (ONNX Runtime releases the GIL
  while it runs), so it overlaps the text work of the page before; ``predict(page, ahead)`` then
  hands those features to the model through its own cache protocol (``mark_cached``), which
  skips the network's run for that page.

Measured (benchmarks/SPEED.md, the speed notes): identical regions; CPU in the model per page
0.54 -> 0.31 s (R-intro, same run); the background features cut wall time ~17% on a loaded machine.
"""

from __future__ import annotations

import copy
import functools
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from docparse.engines.layout.context import page_key

#: the model pymupdf.layout builds by default (DocumentLayoutAnalyzer.get_model's defaults)
FEATURE_SET = "imf+rf"
TABLE_GRID_MODEL = "V4"
#: the files those settings load (pymupdf/layout/resources/onnx), to recognise PyMuPDF's own instance
MODEL_FILE = "layout_rf2.4.1+imf1.onnx"
IMF_FILE = "feature_imf1.onnx"
TABLE_GRID_FILE = "table_grid_model_v4_ep.onnx"  # "V4" is an alias of "V4-EP"


@dataclass
class Ahead:
    """Image features of one page, being computed in the background (``LayoutModel.prefetch``)."""

    key: tuple[int, int]  # (id of the document, page number): which page they belong to
    future: Future


class LayoutModel:
    """PyMuPDF's layout model (``BoxRFDGNN``) with sessions of our own; thread-safe."""

    def __init__(self) -> None:
        base = _default_model()
        if base is not None:  # share what does not run per page (config, table-grid network)
            model = copy.copy(base)
            model.session = _session(base.model_path, arena=False)  # its input size varies by page
        else:
            model = _own_model()
        extractor = base.feature_extractor if base is not None else model.feature_extractor
        if extractor is not None:  # same class as the library chose, our session
            self._extractor_type = type(extractor)
            self._features_session = _session(model.imf_model_path, arena=True, threads=_feature_threads())  # fixed 300 x 300
            model.feature_extractor = self._extractor_type(self._features_session)
        self._model = model
        self._default_extractor = model.feature_extractor
        self._lock = threading.Lock()  # predict() swaps the model's extractor for one call
        self._pool = _pool()
        self._pid = os.getpid()  # a forked child inherits the pool without its thread

    def prefetch(self, page: Any) -> Ahead | None:
        """Start the image-feature network on ``page``; None when the model has no image features."""
        if self._default_extractor is None:
            return None
        import numpy as np

        pix = page.get_pixmap()  # exactly what the model renders for itself (pymupdf_util_base)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
        extractor = self._extractor_type(self._features_session)
        if self._pid != os.getpid():
            self._pool, self._pid = _pool(), os.getpid()
        future = self._pool.submit(_features, extractor, image)
        return Ahead(key=page_key(page), future=future)

    def predict(self, page: Any, ahead: Ahead | None = None) -> list[dict]:
        """Raw regions of ``page`` (dicts with class_name, group_bbox, table_cells, bboxes);
        ``ahead``, when given, must be ``prefetch(page)`` of this same page."""
        extractor = None
        if ahead is not None:
            if ahead.key != page_key(page):
                raise ValueError("image features of another page")
            try:
                extractor = ahead.future.result()
                extractor.mark_cached()  # the model's next feature request takes these
            except Exception:  # the model computes them itself below
                extractor = None
        with self._lock:
            if extractor is not None:
                self._model.feature_extractor = extractor
            try:
                return list(self._model.predict(page, return_raw=True) or [])
            finally:
                self._model.feature_extractor = self._default_extractor


def _default_model() -> Any | None:
    """The ``BoxRFDGNN`` that ``import pymupdf`` built (``pymupdf.layout.activate``: every process
    that imports PyMuPDF pays for it, ~0.6 CPU s), when it is the model we would build; None when
    it is switched off (``pymupdf4llm.use_layout(False)``) or not reachable.

    PyMuPDF keeps it only inside the closure it installs as ``pymupdf._get_layout``; reusing its
    configuration and table-grid network (stateless after loading, 0.3 CPU s to build with its
    warm-up run) instead of building a second copy halves the model's start-up cost."""
    try:
        import pymupdf
        from pymupdf.layout.onnx.BoxRFDGNN import BoxRFDGNN

        hook = getattr(pymupdf, "_get_layout", None)
        for cell in getattr(hook, "__closure__", None) or ():
            model = getattr(cell.cell_contents, "_model", None)
            if isinstance(model, BoxRFDGNN) and _is_ours(model):
                return model
    except Exception:  # a PyMuPDF without this layout: build our own
        return None
    return None


def _is_ours(model: Any) -> bool:
    """Whether ``model`` has the files and settings ``_own_model`` would load."""
    grid = getattr(model.table_grid_extractor, "grid_onnx_path", None)
    return (
        model.feature_set_name == FEATURE_SET
        and model.use_sort is True
        and os.path.basename(str(model.model_path)) == MODEL_FILE
        and os.path.basename(str(model.imf_model_path)) == IMF_FILE
        and grid is not None
        and os.path.basename(str(grid)) == TABLE_GRID_FILE
    )


def _own_model() -> Any:
    """A ``BoxRFDGNN`` of our own, with PyMuPDF's default settings and our graph-network session."""
    from pymupdf.layout.onnx.BoxRFDGNN import BoxRFDGNN

    class OwnSessionModel(BoxRFDGNN):
        def load_onnx_model(self, model_path: str) -> None:  # the graph network's session
            import onnxruntime as ort

            ort.set_default_logger_severity(3)  # as the library does: no ONNX chatter
            self.session = _session(model_path, arena=False)  # its input size varies by page

    return OwnSessionModel(
        feature_set_name=FEATURE_SET,
        enable_inference_cache=False,
        use_sort=True,
        table_grid_model_ver=TABLE_GRID_MODEL,
    )


def _pool() -> ThreadPoolExecutor:
    from docparse.engines.layout.params import FEATURE_THREADS

    return ThreadPoolExecutor(max_workers=FEATURE_THREADS, thread_name_prefix="layout-features")


def _features(extractor: Any, image: Any) -> Any:
    extractor.predict(image)
    return extractor


def _feature_threads() -> int:
    """``FEATURE_INTRA_OP_THREADS``, at most the cores this process may run on."""
    from docparse.engines.layout.params import FEATURE_INTRA_OP_THREADS

    try:
        cores = len(os.sched_getaffinity(0))  # a container's or taskset's limit, not the host's
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(FEATURE_INTRA_OP_THREADS, cores))


def _session(path: str, arena: bool, threads: int = 1) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = arena
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if threads > 1:  # an idle pool thread sleeps: the page's text work needs the core
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


@functools.lru_cache(maxsize=1)
def layout_model() -> LayoutModel:
    """The process's one ``LayoutModel``, built on first use; raises ImportError without
    ``pymupdf.layout``."""
    return LayoutModel()
