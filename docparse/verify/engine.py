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
goes straight to the fallback. An engine that also has ``resample_async`` (the remote engine:
it returns a future) gets a page's samples all at once and its retries while the stream goes
on, so a page climbing the ladder does not hold up the pages behind it; answers are judged in
this thread (verification reads the PyMuPDF page, which is not thread-safe).
"""

from __future__ import annotations

import concurrent.futures
import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

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
        """The inner engine's pages, verified; pages waiting for more answers are set aside (their
        requests in flight) and yielded when decided, so the order is completion order."""
        waiting: dict[concurrent.futures.Future, _PageJob] = {}
        for page, out in stream_pages(self.inner, pages):
            if isinstance(out, BaseException):
                yield page, self._failed(page, out)
            else:
                job = self._start(page, out)
                if job.decided is not None:
                    yield page, job.decided
                else:
                    waiting.update(dict.fromkeys(job.futures, job))
            yield from self._collect(waiting, block=False)
        while waiting:
            yield from self._collect(waiting, block=True)

    def close(self) -> None:
        self.inner.close()
        if self._fallback is not None:
            self._fallback.close()

    # -- one page --------------------------------------------------------------------------------
    def finish(self, page: PageInput, out: PageOutput) -> PageOutput:
        """The verified (repaired, best, or fallen-back) answer for ``page``, waiting for it."""
        job = self._start(page, out)
        while job.decided is None:
            concurrent.futures.wait(job.futures, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in [f for f in job.futures if f.done()]:
                self._absorb(job, future)
        return job.decided

    def _start(self, page: PageInput, out: PageOutput) -> "_PageJob":
        """Judge the engine's answer; ask the samples (all at once) or decide the page."""
        words = self.words(page)
        job = _PageJob(page, out, words)
        if words is None:
            if self.mode == "text":
                out.warnings.append("verify=text: the page has no usable text layer; not verified")
            job.decided = out
            return job
        job.judged.append(self._judge(out, words))
        ladder = self._ladder()
        if self._can_resample():
            for seed in range(1, self.samples):
                self._ask(job, ladder[0], seed)
        if not job.futures:
            self._next_step(job)
        return job

    def _collect(self, waiting: dict[concurrent.futures.Future, "_PageJob"], block: bool) -> Iterator[PageResult]:
        """Absorb the answers that have come (waiting for one when ``block``); yield decided pages."""
        if block:
            concurrent.futures.wait(list(waiting), return_when=concurrent.futures.FIRST_COMPLETED)
        for future in [f for f in waiting if f.done()]:
            job = waiting.pop(future)
            self._absorb(job, future)
            if job.decided is not None:
                yield job.page, job.decided
            else:
                waiting.update({f: job for f in job.futures if f not in waiting})

    def _absorb(self, job: "_PageJob", future: concurrent.futures.Future) -> None:
        job.futures.remove(future)
        try:
            job.judged.append(self._judge(future.result(), job.words))
        except Exception as exc:  # the server failing a retry ends the ladder; earlier answers stand
            job.errors.append(f"{type(exc).__name__}: {exc}")
        if not job.futures:
            self._next_step(job)

    def _next_step(self, job: "_PageJob") -> None:
        """All asked answers are in: climb the ladder once more, or decide."""
        best = max(job.judged, key=Judged.rank)
        if best.failing and job.tries < self.retries and self._can_resample() and not job.errors:
            ladder = self._ladder()
            self._ask(job, ladder[min(job.tries, len(ladder) - 1)], 100 + job.tries)
            job.tries += 1
            if job.futures:
                return
            self._next_step(job)  # an engine that answered at once
            return
        job.decided = self._decide(job.page, job.judged, job.errors)

    def _ask(self, job: "_PageJob", temperature: float, seed: int) -> None:
        """One more answer for ``job``'s page: a future from ``resample_async``, or asked now."""
        submit: Callable[..., concurrent.futures.Future] | None = getattr(self.inner, "resample_async", None)
        try:
            if callable(submit):
                job.futures.append(submit(job.page, temperature=temperature, seed=seed))
                return
            job.judged.append(self._judge(self.inner.resample(job.page, temperature=temperature, seed=seed),
                                          job.words))
        except Exception as exc:  # rendering or asking failed: no more answers for this page
            job.errors.append(f"{type(exc).__name__}: {exc}")

    def _can_resample(self) -> bool:
        return callable(getattr(self.inner, "resample", None))

    def _ladder(self) -> tuple[float, ...]:
        return tuple(getattr(self.inner, "temperature_ladder", None) or DEFAULT_LADDER)

    def _decide(self, page: PageInput, judged: list[Judged], errors: list[str]) -> PageOutput:
        best = max(judged, key=Judged.rank)
        if best.failing:
            why = (f"stopped by {best.output.stop_reason}" if best.output.stop_reason in _TRUNCATED
                   else f"agreement {best.check.agreement:.2f} with the page's words")
            if errors:
                why += f"; asking again failed: {errors[0]}"
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


@dataclass(eq=False)
class _PageJob:
    """A page being verified: its answers so far and the ones still asked (``futures``)."""

    page: PageInput
    first: PageOutput
    words: PageWords | None
    judged: list[Judged] = field(default_factory=list)
    futures: list[concurrent.futures.Future] = field(default_factory=list)
    tries: int = 0
    errors: list[str] = field(default_factory=list)
    decided: PageOutput | None = None


def with_verification(engine: Engine, options: Any) -> Engine:
    """``engine`` wrapped in a ``VerifyingEngine`` as ``options`` (verify, samples, retries) ask."""
    if getattr(options, "verify", "off") == "off" or isinstance(engine, VerifyingEngine):
        return engine
    return VerifyingEngine(engine, mode=options.verify, samples=options.samples, retries=options.verify_retries,
                           ocr=options.ocr, ocr_language=options.ocr_language)
