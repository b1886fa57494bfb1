"""An engine that answers with pages already converted elsewhere (a long document's page ranges,
each converted by another Ray worker), so that the local runner's own ``convert_item`` -- the
document passes, the outputs, the stamp -- finishes the document unchanged."""

from __future__ import annotations

from typing import Any

from docparse.document import EngineInfo, Page, PageStatus
from docparse.engines.base import PageInput, PageOutput


class ReplayedPageError(Exception):
    """A page that failed where it was converted; renamed below so its error reads as the original."""


class ReplayEngine:
    """``process`` returns the recorded output of each page (by page index)."""

    batch_size = 1

    def __init__(self, info: dict[str, Any], pages: list[dict[str, Any]]) -> None:
        self.name = str(info.get("name", "replay"))
        self._info = info
        self._pages = {int(p["index"]): Page.from_dict(p) for p in pages}

    def info(self) -> EngineInfo:
        return EngineInfo(**self._info)

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        out: list[PageOutput] = []
        for page_input in pages:
            page = self._pages.get(page_input.index)
            if page is None:
                raise RuntimeError(f"page {page_input.index + 1} was not converted by any worker")
            if page.status == PageStatus.FAILED:
                raise _error_like(page.error or "page failed")
            out.append(PageOutput(index=page.index, blocks=page.blocks, status=page.status, raw=page.raw,
                                  stop_reason=page.stop_reason, warnings=list(page.warnings), seconds=page.seconds,
                                  image_size=page.image_size))
        return out

    def close(self) -> None:
        pass


def _error_like(error: str) -> Exception:
    """An exception that the pipeline describes exactly as ``error`` ("TypeName: message")."""
    name, sep, message = error.partition(": ")
    if sep and name.isidentifier():
        return type(name, (ReplayedPageError,), {})(message)
    return ReplayedPageError(error)
