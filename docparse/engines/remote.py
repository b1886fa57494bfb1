"""The ``remote`` engine: an OpenAI-compatible server (vLLM, SGLang, a hosted API) reads the pages.

It sends what the in-process ``vlm`` engine feeds its own model, so both read a page the same way:
- the page rendered once at its model input size (``smart_resize`` pixel space, multiples of 28,
  see ``docparse.source``), sent lossless as a PNG ``data:`` URL, so the server's processor keeps
  the size and the boxes it writes map back exactly;
- the same prompt: a system message, then one user message with the text *before* the image;
- ``max_tokens`` = ``--max-new-tokens``; ``temperature`` 0 (greedy) unless asked;
- the loop guard's intent, in what servers accept: ``repetition_penalty`` (default 1.05, the
  checkpoints' own value, which the vlm engine also applies; vLLM and SGLang take it as an extra
  field). There is no server-side loop guard: a page cut by the token limit whose tail repeats
  is stop reason ``loop``. ``presence_penalty``/``frequency_penalty`` are not sent: they penalise
  the repeated tags every HTML page needs. ``--repetition-penalty 1`` sends only standard fields
  (for hosted APIs that reject extras).
- the same reader (``qwenvl_output``): ``finish_reason == "length"`` makes the page ``partial``
  (stop reason ``length``); the raw text is kept; token usage and attempts go to ``Page.meta``.

A page cut by the token limit or a loop is asked again at the next temperature of a ladder
(``retry_temperatures``, default 0.2 then 0.5: a greedy read that loops usually loops again at
temperature 0, a little sampling gets out of it; the first answer that ends normally wins, else
the greedy one is kept). Sampled attempts also send ``top_p`` 1 and ``top_k`` -1, because the
Qwen2.5-VL generation config (top_k 1), which vLLM applies by default, would make them greedy.

Many requests are in flight at once (``concurrency``, default 16), over the pages of the
following documents too: ``stream`` pulls pages from the pipeline as slots free up, renders and
encodes each one only then (in the caller's thread: PyMuPDF is not thread-safe) and drops the
image once encoded. Requests run on an asyncio loop in a background thread; closing the stream
(an error, Ctrl-C) cancels the requests in flight, which makes the server abort them.

This module imports no torch: it talks HTTP only (httpx).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import io
import queue
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import httpx

from docparse.document import EngineInfo
from docparse.engines.base import PageInput, PageOutput, PageResult, qwenvl_output
from docparse.engines.remote_http import (
    Completion,
    PageRequestError,
    ServerUnreachable,
    list_models,
    normalize_base_url,
    post_chat,
    public_url,
    timeouts,
)
from docparse.errors import EngineError, OptionsError
from docparse.profiles.jobs import finish_job, start_job
from docparse.qwenvl.prompts import DEFAULT_PROMPT, Prompt, get_prompt

if TYPE_CHECKING:  # pragma: no cover
    from docparse.options import ConvertOptions
    from docparse.profiles.base import Reply, Request
    from docparse.profiles.runner import ProfileRunner

PNG_COMPRESS_LEVEL = 1  # lossless either way; level 1 encodes a page ~5x faster than the default 6
LOOP_MIN_REPEATS = 6  # a tail period seen this many times in a row ...
LOOP_MIN_CHARS = 120  # ... covering at least this many characters is a loop, not a repeated row
LOOP_MAX_PERIOD = 400  # characters: longer cycles (a repeated table row of many cells) are rare


class RemoteEngine:
    """Pages to an OpenAI-compatible ``chat.completions`` endpoint, many in flight."""

    name = "remote"

    def __init__(
        self,
        server: str,
        *,
        model: str,
        api_key: str | None = None,
        concurrency: int = 16,
        timeout: float = 600.0,
        retries: int = 3,
        max_new_tokens: int = 8192,
        temperature: float = 0.0,
        retry_temperatures: Iterable[float] = (0.2, 0.5),
        repetition_penalty: float = 1.05,
        prompt: str | Prompt = DEFAULT_PROMPT,
        seed: int | None = None,
        profile: "ProfileRunner | None" = None,
    ) -> None:
        if concurrency < 1 or retries < 0 or not timeout > 0:
            raise OptionsError("need concurrency >= 1, retries >= 0 and timeout > 0")
        self.base_url = normalize_base_url(server)
        self.model = model
        self._api_key = api_key  # never logged, printed or put in info()
        self.concurrency = concurrency
        self.batch_size = concurrency  # for callers that size look-ahead by batch_size
        self.timeout = float(timeout)
        self.retries = retries
        self.max_new_tokens = max_new_tokens
        self.temperatures = (float(temperature), *(float(t) for t in retry_temperatures))
        self.repetition_penalty = float(repetition_penalty)
        self.prompt = prompt if isinstance(prompt, Prompt) else get_prompt(prompt)
        self._rng = random.Random(seed)  # backoff jitter
        self._loop: _LoopThread | None = None
        self._down: str | None = None  # set once the server could not be reached at all
        # A checkpoint profile other than QwenVL HTML (olmOCR, Nanonets, Dolphin ...): its page jobs
        # decide the requests, the temperatures and the reader; None keeps the QwenVL HTML path.
        self.profile = profile

    def __repr__(self) -> str:  # no key in reprs or tracebacks
        return f"RemoteEngine(server={public_url(self.base_url)!r}, model={self.model!r})"

    @classmethod
    def from_options(cls, options: "ConvertOptions") -> "RemoteEngine":
        """The engine for ``--server``/``DOCPARSE_SERVER``; asks the server for its models first, so a
        wrong URL or a server that is down is one clear error before any file is touched."""
        server = options.resolved_server
        if not server:
            raise EngineError("the remote engine needs a server: pass --server URL (ending in /v1) "
                              "or set DOCPARSE_SERVER")
        base = normalize_base_url(server)
        api_key = options.resolved_api_key
        served = list_models(base, api_key)
        model = options.model
        if model is None:
            if not served:
                raise EngineError(f"the server at {public_url(base)} lists no models: pass --model NAME")
            model = served[0]
        elif served and model not in served:
            raise EngineError(f"the server at {public_url(base)} does not serve {model!r} "
                              f"(it serves: {', '.join(served[:10])})")
        from docparse.profiles import resolve_profile
        from docparse.profiles.runner import ProfileRunner

        profile, note = resolve_profile(options.profile, model)
        _note(note)
        runner = None
        if profile.name != "qwenvl-html" or options.prompt is not None:
            runner = ProfileRunner.from_options(profile, options, source=cls.name)
        return cls(base, model=model, api_key=api_key, concurrency=options.concurrency,
                   timeout=options.timeout, retries=options.retries,
                   max_new_tokens=options.tokens_for(profile.generation.max_tokens),
                   temperature=options.temperature, retry_temperatures=options.retry_ladder,
                   repetition_penalty=options.repetition_penalty, profile=runner)

    def info(self) -> EngineInfo:
        info = EngineInfo(
            name=self.name,
            model=self.model,
            settings={
                "server": public_url(self.base_url),
                "prompt": self.prompt.name,
                "max_new_tokens": self.max_new_tokens,
                "temperatures": list(self.temperatures),
                "repetition_penalty": self.repetition_penalty,
                "concurrency": self.concurrency,
            },
        )
        if self.profile is not None:
            info.settings.update(self.profile.settings())
            info.settings.pop("temperatures", None)
        return info

    # -- the stream ------------------------------------------------------------------------------

    def stream(self, pages: Iterable[PageInput]) -> Iterator[PageResult]:
        """Answer ``pages`` with up to ``concurrency`` requests in flight, in completion order."""
        loop = self._ensure_loop()
        source = iter(pages)
        done: queue.Queue[concurrent.futures.Future] = queue.Queue()
        inflight: dict[concurrent.futures.Future, PageInput] = {}
        exhausted = False
        try:
            while True:
                while not exhausted and len(inflight) < self.concurrency:
                    page = next(source, None)
                    if page is None:
                        exhausted = True
                        break
                    if self.profile is not None:  # the profile's page job asks (maybe several rounds)
                        job = self.profile.job(page)
                        first, finished = start_job(job, page.index)  # renders here, in this thread
                        if finished is not None:
                            yield page, finished
                            continue
                        future = loop.submit(finish_job(job, page.index, first, self._ask_profile))
                        inflight[future] = page
                        future.add_done_callback(done.put)
                        continue
                    try:
                        image_url = encode_page(page)  # the rendered image is dropped here
                    except Exception as exc:  # a page that cannot be rendered fails alone
                        yield page, exc
                        continue
                    future = loop.submit(self._read(page, image_url))
                    inflight[future] = page
                    future.add_done_callback(done.put)
                if not inflight:
                    return
                future = done.get()
                page = inflight.pop(future)
                try:
                    yield page, future.result()
                except (KeyboardInterrupt, GeneratorExit):
                    raise
                except Exception as exc:
                    yield page, exc
        finally:
            for future in inflight:
                future.cancel()  # cancels the request: httpx closes the connection, the server aborts it

    def process(self, pages: list[PageInput]) -> list[PageOutput]:
        """The ``Engine`` batch call: the stream over ``pages``, answers put back in order."""
        answers = {id(page): output for page, output in self.stream(pages)}
        outputs = []
        for page in pages:
            output = answers[id(page)]
            if isinstance(output, BaseException):
                raise output
            outputs.append(output)
        return outputs

    # -- one page --------------------------------------------------------------------------------

    async def _read(self, page: PageInput, image_url: str) -> PageOutput:
        """Ask for one page, walking the temperature ladder while the answer is cut short."""
        start = time.perf_counter()
        attempts: list[dict[str, Any]] = []
        kept: tuple[Completion, str] | None = None
        for temperature in self.temperatures:
            completion = await self._ask(image_url, temperature)
            stop = stop_reason(completion)
            attempts.append({"temperature": temperature, "finish_reason": completion.finish_reason,
                             "stop_reason": stop, "completion_tokens": completion.usage.get("completion_tokens")})
            if kept is None or stop == "eos":
                kept = (completion, stop)
            if stop not in ("length", "loop"):
                break
        assert kept is not None
        completion, stop = kept
        output = qwenvl_output(
            page, completion.text, stop, self.name, time.perf_counter() - start, self.max_new_tokens
        )
        output.meta = {"profile": "qwenvl-html", "usage": completion.usage,
                       "finish_reason": completion.finish_reason,
                       "server_model": completion.model, "http_attempts": completion.attempts}
        if len(attempts) > 1:
            output.meta["attempts"] = attempts
        if stop not in ("eos", "length", "loop"):
            output.warnings.append(f"the server ended the answer with finish_reason {completion.finish_reason!r}")
        return output

    @property
    def temperature_ladder(self) -> tuple[float, ...]:
        """The retry temperatures (the profile's, else ``--retry-temperatures``): verify's retries
        climb the same ladder."""
        if self.profile is not None and self.profile.generation.ladder:
            return tuple(self.profile.generation.ladder)
        return self.temperatures[1:]

    def resample(self, page: PageInput, *, temperature: float, seed: int | None = None) -> PageOutput:
        """One more answer for ``page`` at ``temperature`` (and ``seed``, which vLLM honours): the
        hook of verify's retries and best-of-N. No ladder here: the caller picks the temperature."""
        return self.resample_async(page, temperature=temperature, seed=seed).result()

    def resample_async(self, page: PageInput, *, temperature: float,
                       seed: int | None = None) -> "concurrent.futures.Future[PageOutput]":
        """``resample`` without waiting: the page is rendered here (in the caller's thread, as
        PyMuPDF requires), the request runs on the engine's loop beside the other pages' requests,
        and the future holds its answer. Verify uses it so that one page's retries and samples do
        not hold up the pages behind it."""
        loop = self._ensure_loop()
        if self.profile is not None:  # the profile's page job, its requests at this temperature
            from dataclasses import replace

            async def ask(request: "Request") -> "Reply":
                return await self._ask_profile(replace(request, generation=replace(request.generation,
                                                                                   temperature=temperature)))

            job = self.profile.job(page)
            first, finished = start_job(job, page.index)
            if finished is not None:
                done: concurrent.futures.Future[PageOutput] = concurrent.futures.Future()
                done.set_result(finished)
                return done
            return loop.submit(finish_job(job, page.index, first, ask))
        image_url = encode_page(page)
        body = self.request_body(image_url, temperature)
        if seed is not None:
            body["seed"] = seed  # vLLM / SGLang: a fixed seed gives the same sample
        return loop.submit(self._sample(page, body, temperature, seed))

    async def _sample(self, page: PageInput, body: dict[str, Any], temperature: float,
                      seed: int | None) -> PageOutput:
        start = time.perf_counter()
        completion = await self._post(body)
        output = qwenvl_output(page, completion.text, stop_reason(completion), self.name, time.perf_counter() - start)
        output.meta = {"profile": "qwenvl-html", "usage": completion.usage, "finish_reason": completion.finish_reason,
                       "server_model": completion.model, "http_attempts": completion.attempts,
                       "temperature": temperature, "seed": seed}
        return output

    async def _ask(self, image_url: str, temperature: float) -> Completion:
        return await self._post(self.request_body(image_url, temperature))

    async def _ask_profile(self, request: "Request") -> "Reply":
        """One request of a profile's page job; a request the server refused is an error reply
        (the job fails its page), a server that cannot be reached fails the page at once."""
        from docparse.profiles.base import Reply
        from docparse.profiles.openai import chat_payload

        body = chat_payload(request, self.model)
        if body["temperature"] > 0:  # the checkpoints' generation_config (top_k 1) would make it greedy
            body.setdefault("top_p", 1.0)
            if "repetition_penalty" in body:
                body["top_k"] = -1
        try:
            completion = await self._post(body)
        except ServerUnreachable:
            raise
        except PageRequestError as exc:
            return Reply(text="", stop_reason="error", error=str(exc))
        return Reply(text=completion.text, stop_reason=stop_reason(completion))

    async def _post(self, body: dict[str, Any]) -> Completion:
        if self._down is not None:
            raise ServerUnreachable(self._down)
        try:
            return await post_chat(self._loop.client, f"{self.base_url}/chat/completions",
                                   body, api_key=self._api_key, retries=self.retries, rng=self._rng)
        except ServerUnreachable as exc:
            self._down = str(exc)  # the remaining pages fail at once instead of each waiting out the retries
            raise

    def request_body(self, image_url: str, temperature: float) -> dict[str, Any]:
        """The ``chat.completions`` request for one page (see the module doc for each field)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self.prompt.system},
                {"role": "user", "content": [
                    {"type": "text", "text": self.prompt.user},
                    {"type": "image_url", "image_url": {"url": image_url}},
                ]},
            ],
            "max_tokens": self.max_new_tokens,
            "temperature": temperature,
        }
        if self.repetition_penalty != 1.0:  # extras vLLM and SGLang accept
            body["repetition_penalty"] = self.repetition_penalty
            if temperature > 0:
                body["top_k"] = -1
        if temperature > 0:
            body["top_p"] = 1.0
        return body

    # -- lifetime --------------------------------------------------------------------------------

    def _ensure_loop(self) -> "_LoopThread":
        if self._loop is None:
            self._loop = _LoopThread(self.concurrency, self.timeout)
        return self._loop

    def close(self) -> None:
        """Cancel what is in flight and stop the request thread."""
        if self.profile is not None:
            self.profile.close()
        if self._loop is not None:
            self._loop.close()
            self._loop = None


class _LoopThread:
    """An asyncio loop in a daemon thread with one HTTP client; requests are submitted from outside."""

    def __init__(self, concurrency: int, timeout: float) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="docparse-remote", daemon=True)
        self.thread.start()
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

        async def make() -> httpx.AsyncClient:
            return httpx.AsyncClient(timeout=timeouts(timeout), limits=limits)

        self.client: httpx.AsyncClient = self.submit(make()).result()

    def submit(self, coro: Any) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.client.aclose()

        try:
            self.submit(shutdown()).result(timeout=10)
        except Exception:  # noqa: BLE001 - closing must not fail the run
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


def _note(note: str) -> None:
    """The profile chosen, once, on stderr (progress and notes go there; results go to files)."""
    import sys

    print(f"docparse: {note}", file=sys.stderr)


def encode_page(page: PageInput) -> str:
    """The page rendered at its model size as a lossless PNG ``data:`` URL."""
    image = page.render()
    if tuple(image.size) != tuple(page.image_size):  # boxes would map to the wrong space
        raise RuntimeError(f"page {page.index + 1}: rendered {image.size}, expected {page.image_size}")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    del image
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def stop_reason(completion: Completion) -> str:
    """The server's finish_reason in the vlm engine's words: eos, length, loop (or the server's own)."""
    reason = completion.finish_reason
    if reason == "stop":
        return "eos"
    if reason == "length":
        return "loop" if repeats_at_end(completion.text) else "length"
    return reason or "eos"


def repeats_at_end(text: str) -> bool:
    """Does ``text`` end in one piece repeated many times over (a generation loop)?"""
    tail = text[-LOOP_MAX_PERIOD * LOOP_MIN_REPEATS:]
    for period in range(1, min(LOOP_MAX_PERIOD, len(tail) // LOOP_MIN_REPEATS) + 1):
        unit = tail[-period:]
        repeats = 1
        pos = len(tail) - 2 * period
        while pos >= 0 and tail[pos:pos + period] == unit:
            repeats += 1
            pos -= period
        if repeats >= LOOP_MIN_REPEATS and repeats * period >= LOOP_MIN_CHARS:
            return True
    return False
