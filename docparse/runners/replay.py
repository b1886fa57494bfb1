"""An engine that answers with pages already converted elsewhere: a long document's page ranges
converted by other Ray workers, or pages a ``ray.data.llm`` vLLM stage answered. The local
runner's own ``convert_item`` -- the document passes, the outputs, the stamp -- then finishes the
document unchanged."""

from __future__ import annotations

from typing import Any, Union

from docparse.document import EngineInfo, Page, PageStatus
from docparse.engines.base import PageInput, PageOutput

Recorded = Union[PageOutput, str]  # the page's output, or the error it failed with


class ReplayedPageError(Exception):
    """A page that failed where it was converted; renamed below so its error reads as the original."""


class ReplayEngine:
    """``process`` returns the recorded output of each page (by page index)."""

    batch_size = 1

    def __init__(self, info: dict[str, Any], outputs: dict[int, Recorded]) -> None:
        self.name = str(info.get("name", "replay"))
        self._info = info
        self._outputs = outputs

    @classmethod
    def from_pages(cls, info: dict[str, Any], pages: list[dict[str, Any]]) -> "ReplayEngine":
        """From ``Page.to_dict()`` records (the pages of another worker's document)."""
        outputs: dict[int, Recorded] = {}
        for record in pages:
            page = Page.from_dict(record)
            if page.status == PageStatus.FAILED:
                outputs[page.index] = page.error or "page failed"
            else:
                outputs[page.index] = PageOutput(
                    index=page.index, blocks=page.blocks, status=page.status, raw=page.raw,
                    stop_reason=page.stop_reason, warnings=list(page.warnings), seconds=page.seconds,
                    image_size=page.image_size)
        return cls(info, outputs)

    def info(self) -> EngineInfo:
        return EngineInfo(**self._info)

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        out: list[PageOutput] = []
        for page_input in pages:
            recorded = self._outputs.get(page_input.index)
            if recorded is None:
                raise RuntimeError(f"page {page_input.index + 1} was not converted by any worker")
            if isinstance(recorded, str):
                raise _error_like(recorded)
            out.append(recorded)
        return out

    def close(self) -> None:
        pass


def _error_like(error: str) -> Exception:
    """An exception that the pipeline describes exactly as ``error`` ("TypeName: message")."""
    name, sep, message = error.partition(": ")
    if sep and name.isidentifier():
        return type(name, (ReplayedPageError,), {})(message)
    return ReplayedPageError(error)
