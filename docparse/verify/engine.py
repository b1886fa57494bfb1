"""Hybrid pages around any model engine: verify each page, ask failing pages again, fall back.

``VerifyingEngine`` wraps a model engine (``vlm``, ``remote``) and runs after it, before the
document passes:

1. The page's words: the text layer where it is usable (``--verify auto|text``), Tesseract's
   words on other pages with ``--verify ocr`` (a weaker check: OCR misreads too).
2. ``--samples N``: the engine's answer plus N-1 samples at the ladder's first temperature
   (seeds 1..N-1); the one with the best page agreement is kept (ties: fewest flags).
3. A page stopped by the token limit or the loop guard, or with agreement under
   ``RETRY_BELOW``, is asked again up the temperature ladder, ``--verify-retries`` times at most.
4. Still failing: the layout engine reads the page (from the same words), the page is
   ``partial`` and says so in its warnings. A page the model engine failed outright falls
   back the same way.

Asking again uses the engine's ``resample(page, temperature=..., seed=...) -> PageOutput``
(the vlm engine has it; any engine with it works); its ladder comes from the engine's
``temperature_ladder`` (a profile's) or ``DEFAULT_LADDER``. Without ``resample`` a failing page
goes straight to the fallback.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from docparse.document import EngineInfo, PageStatus
from docparse.engines.base import Engine, PageInput, PageOutput, PageResult, stream_pages
from docparse.verify.page import PageCheck, verify_blocks
from docparse.verify.words import PageWords, ocr_words, text_layer_words

VERIFY_MODES = ("auto", "off", "text", "ocr")
#: A page whose agreement is under this is asked again: more than a quarter of its letters
#: disagree with the page's words, or the model left that much out.
RETRY_BELOW = 0.75
#: Temperatures for retries and samples when the engine (its profile) gives none; olmOCR's
#: ladder climbs from 0.1 to 1.0, Qwen's own sampling setting is ~0.7.
DEFAULT_LADDER = (0.3, 0.7, 1.0)
_TRUNCATED = ("length", "loop")


@dataclass
class Judged:
    """One answer for a page and its verdict."""

    output: PageOutput
    check: PageCheck

    @property
    def failing(self) -> bool:
        """Cut short, or (against the text layer) disagreeing with the page. OCR words are the
        weaker check: they rank answers but never send a page to the layout engine's OCR."""
        if self.output.stop_reason in _TRUNCATED:
            return True
        return self.check.source == "text" and self.check.agreement < RETRY_BELOW

    def rank(self) -> tuple:
        return (not self.failing, round(self.check.agreement, 6), -self.check.flags)


class VerifyingEngine:
    """A model engine whose pages are verified against the page's own words (see module doc)."""

    def __init__(self, inner: Engine, mode: str = "auto", samples: int = 1, retries: int = 2,
                 fallback: Engine | None = None, ocr: str = "auto", ocr_language: str = "eng") -> None:
        if mode not in VERIFY_MODES:
            raise ValueError(f"unknown verify mode {mode!r}")
        self.inner = inner
        self.mode = mode
        self.samples = max(1, int(samples))
        self.retries = max(0, int(retries))
        self._fallback = fallback
        self._ocr = ocr
        self.ocr_language = ocr_language
        self.name = inner.name
        self.batch_size = inner.batch_size

    # -- Engine ----------------------------------------------------------------------------------
    def info(self) -> EngineInfo:
        info = self.inner.info()
        info.settings = {**info.settings, "verify": self.mode, "samples": self.samples, "verify_retries": self.retries}
        return info

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        return [self.finish(page, out) for page, out in zip(pages, self.inner.process(pages), strict=True)]

    def stream(self, pages: Iterable[PageInput]) -> Iterator[PageResult]:
        for page, out in stream_pages(self.inner, pages):
            if isinstance(out, BaseException):
                yield page, self._failed(page, out)
            else:
                yield page, self.finish(page, out)

    def close(self) -> None:
        self.inner.close()
        if self._fallback is not None:
            self._fallback.close()

    # -- one page --------------------------------------------------------------------------------
    def finish(self, page: PageInput, out: PageOutput) -> PageOutput:
        """The verified (repaired, best, or fallen-back) answer for ``page``."""
        words = self.words(page)
        if words is None:
            if self.mode == "text":
                out.warnings.append("verify=text: the page has no usable text layer; not verified")
            return out
        judged = [self._judge(out, words)]
        resample = getattr(self.inner, "resample", None)
        ladder = tuple(getattr(self.inner, "temperature_ladder", None) or DEFAULT_LADDER)
        if callable(resample):
            for seed in range(1, self.samples):
                judged.append(self._judge(resample(page, temperature=ladder[0], seed=seed), words))
            tries = 0
            while max(judged, key=Judged.rank).failing and tries < self.retries:
                temperature = ladder[min(tries, len(ladder) - 1)]
                judged.append(self._judge(resample(page, temperature=temperature, seed=100 + tries), words))
                tries += 1
        best = max(judged, key=Judged.rank)
        if best.failing:
            why = (f"stopped by {best.output.stop_reason}" if best.output.stop_reason in _TRUNCATED
                   else f"agreement {best.check.agreement:.2f} with the page's words")
            out = self._fall_back(page, f"model output failed verification ({why}) after {len(judged)} "
                                        "answer(s)")
            out.raw, out.stop_reason = best.output.raw, best.output.stop_reason  # what the model said
            out.image_size = best.output.image_size or out.image_size  # the pixel space of that raw answer
            out.meta = {**getattr(best.output, "meta", {}), **getattr(out, "meta", {}), "verify": {
                "fallback": True, "agreement": round(best.check.agreement, 4), "answers": len(judged)}}
            return out
        return self._verified(best, len(judged))

    def words(self, page: PageInput) -> PageWords | None:
        """The words to check ``page`` against, or None when the mode leaves it unchecked."""
        if self.mode == "off":
            return None
        words = text_layer_words(page.page) if page.has_text_layer else None
        if words is not None and words.usable:
            return words
        if self.mode == "ocr":
            found = ocr_words(page.page, self.ocr_language)
            return found if found is not None and found.usable else None
        return None

    def _judge(self, out: PageOutput, words: PageWords) -> Judged:
        blocks = copy.deepcopy(out.blocks)  # verification repairs in place: keep the answer intact
        return Judged(out, verify_blocks(blocks, words, out.index))

    def _verified(self, best: Judged, answers: int) -> PageOutput:
        out = copy.copy(best.output)
        out.blocks = best.check.blocks
        out.warnings = list(out.warnings)
        note = best.check.summary()
        if answers > 1:
            note += f"; best of {answers} answers"
        out.warnings.append(note)
        if out.status == PageStatus.EMPTY and out.blocks:
            out.status = PageStatus.OK  # omissions filled an empty answer
        c = best.check
        out.meta = {**getattr(out, "meta", {}), "verify": {
            "words": c.source, "agreement": round(c.agreement, 4), "repaired": c.repaired, "omissions": c.omissions,
            "hallucinations": c.hallucinations, "dropped": c.dropped, "answers": answers}}
        return out

    def _failed(self, page: PageInput, exc: BaseException) -> PageOutput | BaseException:
        if self.words(page) is None:
            return exc
        return self._fall_back(page, f"the model engine failed on this page ({type(exc).__name__}: {exc})")

    def _fall_back(self, page: PageInput, why: str) -> PageOutput:
        out = self.fallback().process([page])[0]
        out.status = PageStatus.PARTIAL
        out.warnings = [f"{why}: the page is the layout engine's reading", *out.warnings]
        for block in out.blocks:
            block.meta["verify"] = {"status": "fallback", "words": "layout"}
        return out

    def fallback(self) -> Engine:
        if self._fallback is None:
            from docparse.engines.layout import LayoutEngine

            self._fallback = LayoutEngine(ocr=self._ocr, ocr_language=self.ocr_language)
        return self._fallback


def with_verification(engine: Engine, options: Any) -> Engine:
    """``engine`` wrapped in a ``VerifyingEngine`` as ``options`` (verify, samples, retries) ask."""
    if getattr(options, "verify", "off") == "off" or isinstance(engine, VerifyingEngine):
        return engine
    return VerifyingEngine(engine, mode=options.verify, samples=options.samples, retries=options.verify_retries,
                           ocr=options.ocr, ocr_language=options.ocr_language)
