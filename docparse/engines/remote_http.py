"""HTTP for the remote engine: one ``chat.completions`` call with retries, and the server's models.

Faults and what becomes of them:
- connection refused/reset, connect or read timeout, HTTP 408/429/5xx, a malformed or empty body:
  retried up to ``retries`` times with exponential backoff and jitter; a ``Retry-After`` header
  (seconds or an HTTP date) is honoured, capped at ``RETRY_AFTER_CAP_S``. Then ``PageRequestError``.
- any other 4xx (a context-length error, an unknown model, a bad key): no retry,
  ``PageRequestError`` with the server's own message.
- ``ServerUnreachable`` when every attempt failed to *connect*: the engine fails the remaining
  pages at once instead of waiting out the backoff on each.

The API key travels in the ``Authorization`` header only. Error messages are built from the URL
(credentials stripped), the status and the server's message, never from request headers.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from docparse.errors import EngineError

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5  # first retry waits ~0.5 s, doubling: a busy server gets room, a blip costs little
BACKOFF_CAP_S = 20.0  # no single wait longer than this (without Retry-After)
RETRY_AFTER_CAP_S = 120.0  # a server asking for more than two minutes is treated as asking for two
CONNECT_TIMEOUT_S = 10.0  # connecting is quick or not happening; reading an answer may take minutes
MESSAGE_CHARS = 300  # how much of a server's error message a page keeps


class PageRequestError(Exception):
    """A request for one page failed for good; the message says why (the server's words when it had any)."""


class ServerUnreachable(PageRequestError):
    """Every attempt failed to connect: the server is down or the URL is wrong."""


@dataclass
class Completion:
    """What the server answered for one request."""

    text: str
    finish_reason: str | None  # "stop" | "length" | ... as the server says
    usage: dict[str, int] = field(default_factory=dict)  # prompt_tokens, completion_tokens
    model: str | None = None
    attempts: int = 1  # HTTP attempts it took (retries + 1)


def public_url(url: str) -> str:
    """``url`` without user:password, for messages and reports."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        parts = parts._replace(netloc=host)
    return urlunsplit(parts)


def normalize_base_url(url: str) -> str:
    """'http://host:8000/v1/' -> 'http://host:8000/v1'; a URL without /v1 gets it (servers serve there)."""
    from docparse.errors import OptionsError

    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OptionsError(f"the server must be an http(s) URL ending in /v1, got {public_url(url)!r}")
    if not parts.path.endswith("/v1"):
        url = url + "/v1"
    return url


def headers(api_key: str | None) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json"}
    if api_key:
        out["Authorization"] = f"Bearer {api_key}"
    return out


def timeouts(read_s: float) -> httpx.Timeout:
    return httpx.Timeout(read_s, connect=min(CONNECT_TIMEOUT_S, read_s))


def list_models(base_url: str, api_key: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> list[str]:
    """The model ids ``GET /v1/models`` lists; ``EngineError`` naming the URL when it cannot be asked."""
    url = f"{base_url}/models"
    try:
        response = httpx.get(url, headers=headers(api_key), timeout=timeouts(timeout_s))
    except httpx.HTTPError as exc:
        raise EngineError(f"cannot reach the server at {public_url(base_url)}: {_short(exc)}") from None
    if response.status_code != 200:
        raise EngineError(f"the server at {public_url(base_url)} answered GET /models with HTTP "
                          f"{response.status_code}: {server_message(response)}")
    try:
        data = response.json()["data"]
        return [str(m["id"]) for m in data]
    except (ValueError, KeyError, TypeError):
        raise EngineError(f"the server at {public_url(base_url)} is not OpenAI-compatible: GET /models "
                          f"did not list models") from None


def server_message(response: httpx.Response) -> str:
    """The error text a server sent: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or the body."""
    text = response.text or ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            text = str(err["message"])
        elif isinstance(err, str):
            text = err
        elif data.get("message"):
            text = str(data["message"])
        elif data.get("detail"):
            text = str(data["detail"])
    text = " ".join(text.split())
    return (text[:MESSAGE_CHARS] + "…") if len(text) > MESSAGE_CHARS else (text or response.reason_phrase)


def parse_completion(response: httpx.Response) -> Completion:
    """A ``Completion`` from a 200 answer; ``ValueError`` when the body is not a chat completion."""
    try:
        data = response.json()
    except ValueError:
        raise ValueError(f"malformed response (not JSON, {len(response.content)} bytes)") from None
    try:
        choice = data["choices"][0]
        message = choice["message"]
        text = message.get("content")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise TypeError
        usage = data.get("usage") or {}
        usage = {k: int(v) for k, v in usage.items() if k in ("prompt_tokens", "completion_tokens", "total_tokens")
                 and isinstance(v, (int, float))}
        return Completion(text=text, finish_reason=choice.get("finish_reason"), usage=usage, model=data.get("model"))
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ValueError("malformed response (no choices[0].message.content)") from None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds (it may be a number or an HTTP date), None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(RETRY_AFTER_CAP_S, max(0.0, seconds))


def backoff_seconds(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Wait before retry ``attempt`` (0-based): the server's Retry-After when given, else exponential
    with full jitter in its upper half (so many clients that failed together do not retry together)."""
    if retry_after is not None:
        return retry_after + rng.uniform(0.0, 0.25)
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2 ** attempt))
    return rng.uniform(ceiling / 2, ceiling)


async def post_chat(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    api_key: str | None,
    retries: int,
    rng: random.Random,
) -> Completion:
    """POST one chat completion, retrying what may pass; ``PageRequestError`` when it does not."""
    payload = json.dumps(body).encode()
    last = "no attempt made"
    only_connect_errors = True
    for attempt in range(retries + 1):
        retry_after: float | None = None
        try:
            response = await client.post(url, content=payload, headers=headers(api_key))
        except httpx.ConnectError as exc:
            last = f"cannot connect to {public_url(url)}: {_short(exc)}"
        except httpx.TimeoutException as exc:
            only_connect_errors = only_connect_errors and isinstance(exc, httpx.ConnectTimeout)
            kind = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for the answer"
            last = f"timed out {kind} ({public_url(url)})"
        except httpx.TransportError as exc:  # reset, closed mid-answer, protocol error
            only_connect_errors = False
            last = f"connection to {public_url(url)} failed: {_short(exc)}"
        else:
            only_connect_errors = False
            if response.status_code == 200:
                try:
                    completion = parse_completion(response)
                    completion.attempts = attempt + 1
                    return completion
                except ValueError as exc:
                    last = str(exc)
            elif response.status_code in RETRY_STATUS:
                last = f"HTTP {response.status_code} from the server: {server_message(response)}"
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
            else:  # the server refused this request: asking again changes nothing
                raise PageRequestError(f"HTTP {response.status_code} from the server: {server_message(response)}")
        if attempt < retries:
            await asyncio.sleep(backoff_seconds(attempt, retry_after, rng))
    suffix = f" (after {retries + 1} attempts)" if retries else ""
    if only_connect_errors:
        raise ServerUnreachable(last + suffix)
    raise PageRequestError(last + suffix)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:MESSAGE_CHARS]
