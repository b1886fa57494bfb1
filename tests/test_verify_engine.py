"""The verify ladder: retries up a temperature ladder, best-of-N, the layout fallback (verify/engine.py).

The model engine here is a scripted QwenVL-HTML engine: each answer is real QwenVL HTML written by
the writer from the page's true blocks (optionally corrupted), read back by the real reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import docparse
from docparse.document import Block, EngineInfo, Label, PageStatus
from docparse.engines.base import PageInput, PageOutput, qwenvl_output
from docparse.qwenvl.writer import write_qwenvl
from docparse.verify.align import align_block
from docparse.verify.engine import DEFAULT_LADDER, VerifyingEngine
from docparse.verify.words import text_layer_words

from .verify_pages import PARAS, three_paragraph_pdf


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return three_paragraph_pdf(tmp_path)


def true_blocks(page: PageInput) -> list[Block]:
    words = text_layer_words(page.page)
    return [Block(id=f"p0-b{n}", label=Label.PARAGRAPH, bbox=align_block(t, None, words).bbox, text=t,
                  order=n) for n, t in enumerate(PARAS)]


GOOD = "good"
MISREAD = "misread"  # a few wrong characters: repaired, not retried
HALF = "half"  # two paragraphs dropped: low agreement, asked again
GARBAGE = "garbage"  # nothing of the page


class ScriptedEngine:
    """Answers from a script: one kind per call, in order; ``resample`` records its arguments."""

    name = "scripted"
    batch_size = 1

    def __init__(self, script: list[str], stops: list[str] | None = None, resample: bool = True) -> None:
        self.script = list(script)
        self.stops = list(stops or [])
        self.calls: list[tuple[float | None, int | None]] = []
        if not resample:
            self.resample = None  # type: ignore[assignment]

    def info(self) -> EngineInfo:
        return EngineInfo(name=self.name)

    def _answer(self, page: PageInput) -> PageOutput:
        kind = self.script.pop(0)
        stop = self.stops.pop(0) if self.stops else "eos"
        blocks = true_blocks(page)
        if kind == MISREAD:
            blocks[1].text = blocks[1].text.replace("steady", "stcady").replace("second", "sccond")
        elif kind == HALF:
            blocks = blocks[:1]
        elif kind == GARBAGE:
            for b in blocks:
                b.text = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod."
        return qwenvl_output(page, write_qwenvl(blocks, page.space), stop, self.name)

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        self.calls.append((None, None))
        return [self._answer(p) for p in pages]

    def resample(self, page: PageInput, *, temperature: float, seed: int | None = None) -> PageOutput:
        self.calls.append((temperature, seed))
        return self._answer(page)

    def close(self) -> None:
        pass


def run(pdf: Path, engine: ScriptedEngine, **kw) -> docparse.Document:
    return docparse.convert(pdf, engine=VerifyingEngine(engine, **kw), passes=False)


def texts(doc: docparse.Document) -> list[str]:
    return [b.text for b in doc.pages[0].reading_order]


def test_a_good_page_is_verified_without_asking_again(pdf: Path) -> None:
    engine = ScriptedEngine([GOOD])
    doc = run(pdf, engine)
    assert texts(doc) == PARAS and engine.calls == [(None, None)]
    assert {b.meta["verify"]["status"] for b in doc.pages[0].blocks} == {"verified"}
    assert doc.pages[0].status == PageStatus.OK
    assert any("agreement 1.000" in w for w in doc.pages[0].warnings)


def test_misread_characters_are_repaired_not_retried(pdf: Path) -> None:
    engine = ScriptedEngine([MISREAD])
    doc = run(pdf, engine)
    assert texts(doc) == PARAS and len(engine.calls) == 1
    assert doc.pages[0].blocks[1].meta["verify"]["status"] == "repaired"


def test_truncated_page_is_asked_again_up_the_ladder(pdf: Path) -> None:
    engine = ScriptedEngine([GOOD, GOOD], stops=["length", "eos"])
    doc = run(pdf, engine)
    assert engine.calls == [(None, None), (DEFAULT_LADDER[0], 100)]
    assert doc.pages[0].status == PageStatus.OK and doc.pages[0].stop_reason == "eos"
    assert any("best of 2 answers" in w for w in doc.pages[0].warnings)


def test_low_agreement_climbs_the_ladder_until_a_good_answer(pdf: Path) -> None:
    engine = ScriptedEngine([GARBAGE, HALF, GOOD])
    doc = run(pdf, engine, retries=3)
    assert [t for t, _ in engine.calls] == [None, DEFAULT_LADDER[0], DEFAULT_LADDER[1]]
    assert texts(doc) == PARAS


def test_after_the_ladder_the_layout_engine_reads_the_page(pdf: Path) -> None:
    engine = ScriptedEngine([GARBAGE, GARBAGE, GARBAGE])
    doc = run(pdf, engine, retries=2)
    page = doc.pages[0]
    assert len(engine.calls) == 3
    assert page.status == PageStatus.PARTIAL
    assert "layout engine's reading" in page.warnings[0] and "after 3 answer(s)" in page.warnings[0]
    assert {b.meta["verify"]["status"] for b in page.blocks} == {"fallback"}
    assert " ".join(texts(doc)).split() == " ".join(PARAS).split()


def test_an_engine_without_resample_falls_back_at_once(pdf: Path) -> None:
    engine = ScriptedEngine([GARBAGE], resample=False)
    doc = run(pdf, engine)
    assert doc.pages[0].status == PageStatus.PARTIAL and len(engine.calls) == 1


def test_best_of_n_keeps_the_most_agreeing_sample(pdf: Path) -> None:
    engine = ScriptedEngine([HALF, GOOD, GARBAGE])
    doc = run(pdf, engine, samples=3)
    assert engine.calls == [(None, None), (DEFAULT_LADDER[0], 1), (DEFAULT_LADDER[0], 2)]
    assert texts(doc) == PARAS
    assert {b.meta["verify"]["status"] for b in doc.pages[0].blocks} == {"verified"}


def test_ties_go_to_the_answer_with_fewest_flags(pdf: Path) -> None:
    from docparse.verify.engine import Judged
    from docparse.verify.page import PageCheck

    a = Judged(PageOutput(index=0), PageCheck(0.9, [], omissions=2))
    b = Judged(PageOutput(index=0), PageCheck(0.9, [], omissions=0))
    assert max([a, b], key=Judged.rank) is b


def test_verify_off_leaves_the_answer_alone(pdf: Path) -> None:
    engine = ScriptedEngine([MISREAD])
    doc = run(pdf, engine, mode="off")
    assert texts(doc) != PARAS and "verify" not in doc.pages[0].blocks[0].meta


def test_a_page_the_engine_fails_falls_back(pdf: Path) -> None:
    class Failing(ScriptedEngine):
        def process(self, pages):
            raise RuntimeError("server said no")

    doc = run(pdf, Failing([]))
    assert doc.pages[0].status == PageStatus.PARTIAL
    assert "server said no" in doc.pages[0].warnings[0]


def test_options_validate_and_reach_the_engine() -> None:
    from docparse.errors import OptionsError
    from docparse.options import ConvertOptions
    from docparse.verify.engine import with_verification

    with pytest.raises(OptionsError, match="verify mode"):
        ConvertOptions(verify="maybe")
    with pytest.raises(OptionsError, match="samples"):
        ConvertOptions(samples=0)
    wrapped = with_verification(ScriptedEngine([]), ConvertOptions(samples=3, verify_retries=1, verify="ocr"))
    assert (wrapped.mode, wrapped.samples, wrapped.retries) == ("ocr", 3, 1)
    assert isinstance(with_verification(ScriptedEngine([]), ConvertOptions(verify="off")), ScriptedEngine)
    assert wrapped.info().settings["samples"] == 3 and wrapped.info().settings["verify_retries"] == 1


def test_ocr_words_rank_answers_but_never_send_a_page_to_the_fallback() -> None:
    from docparse.verify.engine import Judged
    from docparse.verify.page import PageCheck

    assert not Judged(PageOutput(index=0, stop_reason="eos"), PageCheck(0.2, [], source="ocr")).failing
    assert Judged(PageOutput(index=0, stop_reason="eos"), PageCheck(0.2, [], source="text")).failing
    assert Judged(PageOutput(index=0, stop_reason="loop"), PageCheck(0.99, [], source="ocr")).failing
