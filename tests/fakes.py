"""A fake engine for pipeline tests: one paragraph per page, optionally failing on some pages."""

from __future__ import annotations

from docparse.document import Block, EngineInfo, Label, block_id
from docparse.engines.base import PageInput, PageOutput


class FakeEngine:
    name = "fake"

    def __init__(self, fail_on: set[int] = frozenset(), batch_size: int = 1):
        self.fail_on = set(fail_on)
        self.batch_size = batch_size
        self.calls: list[list[int]] = []
        self.closed = False

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name)

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        self.calls.append([p.index for p in pages])
        outs = []
        for p in pages:
            if p.index in self.fail_on:
                raise RuntimeError(f"boom on page {p.index}")
            text = p.page.get_text().strip().split("\n")[0]
            block = Block(id=block_id(p.index, 0), label=Label.PARAGRAPH, bbox=(72, 72, 540, 100),
                          text=text, page=p.index, order=0, source=self.name)
            outs.append(PageOutput(index=p.index, blocks=[block], image_size=p.image_size))
        return outs

    def close(self) -> None:
        self.closed = True
