"""Running profiles: page jobs, the temperature ladder, and the loop engines drive them with.

A page job is a generator: it yields a list of ``Request`` and receives the list of ``Reply``
(same length, same order), as many rounds as it needs, and returns the page's ``PageOutput``.
``drive`` runs the jobs of many pages in lockstep, so every round's requests of every page go to
the engine together (one generation batch in-process, many requests in flight remotely).
"""

from __future__ import annotations

import time
from typing import Callable, Generator

from docparse.document import PageStatus
from docparse.engines.base import PageOutput
from docparse.errors import DocparseError
from docparse.profiles.base import PageContext, PageJob, Profile, Reading, Reply, Request
from docparse.profiles.images import render_for

Ask = Callable[[list[Request]], list[Reply]]

#: Stop reasons that mean "the answer did not end by itself".
UNFINISHED = ("length", "loop")


def drive(jobs: list[PageJob], ask: Ask, indices: list[int]) -> list[PageOutput]:
    """Run page jobs to the end; a job that raises gives a ``failed`` page, the others go on."""
    results: list[PageOutput | None] = [None] * len(jobs)
    pending: dict[int, list[Request]] = {}

    def step(n: int, replies: list[Reply] | None) -> None:
        try:
            requests = next(jobs[n]) if replies is None else jobs[n].send(replies)
        except StopIteration as stop:
            results[n] = stop.value
            return
        except Exception as exc:  # noqa: BLE001 - one page's failure must not stop the others
            results[n] = failed_output(indices[n], exc)
            return
        if not requests:  # nothing to ask: hand back an empty round at once
            step(n, [])
            return
        pending[n] = requests

    for n in range(len(jobs)):
        step(n, None)
    while pending:
        round_ = sorted(pending.items())
        pending.clear()
        flat = [req for _, reqs in round_ for req in reqs]
        try:
            replies = ask(flat)
        except Exception as exc:  # noqa: BLE001 - a failed round fails its pages, not the batch
            for n, _ in round_:
                jobs[n].close()
                results[n] = failed_output(indices[n], exc)
            continue
        at = 0
        for n, reqs in round_:
            step(n, replies[at:at + len(reqs)])
            at += len(reqs)
    return [r if r is not None else failed_output(indices[i], RuntimeError("page job ended without output"))
            for i, r in enumerate(results)]


def failed_output(index: int, exc: BaseException) -> PageOutput:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return PageOutput(index=index, status=PageStatus.FAILED, warnings=[f"page failed: {msg[:300]}"], error=msg[:500])


def ask_with_ladder(request: Request) -> Generator[list[Request], list[Reply], tuple[Reply, int]]:
    """Ask once; while the answer stops without its end token, ask again at the ladder's next
    temperature. Returns the first finished reply (else the last one) and the attempts made."""
    reply = (yield [request])[0]
    attempts = 1
    for temperature in request.generation.ladder:
        if reply.error is not None or reply.stop_reason not in UNFINISHED:
            break
        reply = (yield [request.with_temperature(temperature)])[0]
        attempts += 1
    return reply, attempts


def raise_for_error(reply: Reply) -> None:
    if reply.error is not None:
        raise DocparseError(reply.error)


def page_request(profile: Profile, ctx: PageContext, prompt: str | None, image: object, kind: str = "page") -> Request:
    choice = profile.prompt(prompt)
    return Request(prompt=profile.prompt_prefix + choice.text, image=image, system=profile.system_for(choice),  # type: ignore[arg-type]
                   order=profile.order,
                   generation=profile.generation, kind=kind)


def single_job(profile: Profile, ctx: PageContext, prompt: str | None = None) -> PageJob:
    """One request per page (with the temperature ladder), read by the profile's reader."""
    start = time.perf_counter()
    image, space = render_for(profile.image, ctx.page, ctx.min_pixels, ctx.max_pixels)
    reply, attempts = yield from ask_with_ladder(page_request(profile, ctx, prompt, image))
    raise_for_error(reply)
    reading = read_safely(profile, reply.text, space, ctx)
    return finish(ctx, profile, reading, reply, space.width_px, space.height_px, attempts, start)


def read_safely(profile: Profile, raw: str, space, ctx: PageContext) -> Reading:  # noqa: ANN001
    """The profile's reader; a reader bug becomes a warning, never a lost page."""
    assert profile.reader is not None
    from docparse.engines.base import cap_output

    raw, too_long = cap_output(raw or "", profile.generation.max_tokens)  # an untrusted server's 50 MB
    try:
        reading = profile.reader(raw, space, ctx.page.index, ctx.source)
    except Exception as exc:  # noqa: BLE001 - readers must never raise; belt and braces
        reading = Reading(warnings=[f"{profile.name} reader failed ({type(exc).__name__}); the page is empty"])
    if too_long:
        reading.warnings.insert(0, too_long)
        reading.meta["output_capped"] = True
    if not profile.has_boxes and ctx.align:
        from docparse.profiles.boxes import attach_boxes

        attach_boxes(reading, ctx.page)
    return reading


def finish(ctx: PageContext, profile: Profile, reading: Reading, reply: Reply, width_px: int, height_px: int,
           attempts: int = 1, start: float | None = None, raw: str | None = None) -> PageOutput:
    """The page's output: status from the stop reason, warnings, page facts, raw answer."""
    status = PageStatus.OK
    warnings = list(reading.warnings)
    if reading.meta.get("output_capped"):
        status = PageStatus.PARTIAL
    if reply.stop_reason in UNFINISHED:
        status = PageStatus.PARTIAL
        why = "the token limit" if reply.stop_reason == "length" else "the loop guard (repeated output)"
        warnings.append(f"generation stopped by {why}: the page may be incomplete")
        if reading.blocks:
            reading.blocks[-1].meta["truncated"] = True
    elif not reading.blocks and status is PageStatus.OK:
        status = PageStatus.EMPTY
    if attempts > 1:
        warnings.append(f"asked {attempts} times (temperature ladder) before the answer ended by itself"
                        if reply.stop_reason not in UNFINISHED else
                        f"asked {attempts} times (temperature ladder); no answer ended by itself")
    meta = {"profile": profile.name, **reading.meta}
    if attempts > 1:
        meta["attempts"] = attempts
    return PageOutput(
        index=ctx.page.index,
        blocks=reading.blocks,
        status=status,
        raw=reply.text if raw is None else raw,
        stop_reason=reply.stop_reason,
        warnings=warnings,
        seconds=0.0 if start is None else time.perf_counter() - start,
        image_size=(width_px, height_px),
        meta=meta,
    )


def start_job(job: PageJob, index: int) -> tuple[list[Request] | None, PageOutput | None]:
    """The job's first round (rendering happens here, in the caller's thread: PyMuPDF is not
    thread-safe), or its output when it needed no request."""
    try:
        requests = next(job)
    except StopIteration as stop:
        return None, stop.value
    except Exception as exc:  # noqa: BLE001 - the page fails, the run goes on
        return None, failed_output(index, exc)
    return requests, None


async def finish_job(job: PageJob, index: int, requests: list[Request], ask_one) -> PageOutput:  # noqa: ANN001
    """Run a started job to its end with ``ask_one`` (an async ``Request -> Reply``); every
    round's requests are in flight together."""
    import asyncio

    try:
        while True:
            replies = list(await asyncio.gather(*(ask_one(r) for r in requests))) if requests else []
            requests = job.send(replies)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:  # noqa: BLE001 - the page fails, the run goes on
        job.close()
        return failed_output(index, exc)
