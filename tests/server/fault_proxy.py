"""A small fault-injecting HTTP proxy in front of a real OpenAI-compatible server (tests only).

    with FaultProxy(upstream="http://127.0.0.1:8000") as proxy:
        proxy.plan = lambda n: "500" if n < 2 else None     # the first two chat requests get HTTP 500
        ... point the remote engine at proxy.url ...
        proxy.counts                                        # what was injected, what passed

Every ``POST .../chat/completions`` gets a number ``n`` (0, 1, 2 ... in arrival order) and
``plan(n)`` decides its fate; everything else (``GET /v1/models``) passes through. Faults:

- ``None``: forwarded to the real server and its answer returned unchanged;
- ``"drop"``: the connection is closed without an answer;
- ``"delay:S"``: held S seconds, then forwarded (a read timeout for a client that waits less); a
  client that gives up meanwhile is counted in ``cancelled``;
- ``"500"`` / ``"503"``: that status with an OpenAI-style error body;
- ``"429"`` / ``"429:S"``: 429 with ``Retry-After: S`` (default 1);
- ``"400:MESSAGE"``: 400 with that message (what a context-length error looks like);
- ``"malformed"``: 200 with a body that is not JSON; ``"empty"``: 200 with an empty body;
- ``"die"``: the proxy stops listening and closes every connection (a server dying mid-batch).

Each request's ``Authorization`` header is kept in ``auth_seen`` so tests can check the key went
over the wire.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import httpx

Plan = Callable[[int], "str | None"]


class FaultProxy:
    def __init__(self, upstream: str, plan: Plan | None = None, port: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan: Plan = plan or (lambda n: None)
        self.counts: dict[str, int] = {}
        self.cancelled = 0
        self.inflight = 0  # chat requests being handled now
        self.max_inflight = 0
        self.holding = 0  # requests being held by a "delay" fault now
        self.auth_seen: list[str | None] = []
        self._n = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=httpx.Timeout(600.0, connect=5.0))
        self._server = _Server(("127.0.0.1", port), _handler(self))
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> int:
        return self._n

    def start(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every open connection (also what ``"die"`` does)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()
        self._server.close_connections()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._client.close()

    def _next(self) -> tuple[int, str | None]:
        with self._lock:
            n = self._n
            self._n += 1
        fault = self.plan(n)
        with self._lock:
            key = (fault or "pass").split(":")[0]
            self.counts[key] = self.counts.get(key, 0) + 1
        return n, fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:  # noqa: ANN001
        with self.open_lock:
            self.open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # noqa: ANN001
        with self.open_lock:
            self.open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.open_lock:
            conns = list(self.open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._forward(b"")

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.endswith("/chat/completions"):
                self._forward(body)
                return
            proxy.auth_seen.append(self.headers.get("Authorization"))
            _, fault = proxy._next()
            with proxy._lock:
                proxy.inflight += 1
                proxy.max_inflight = max(proxy.max_inflight, proxy.inflight)
            try:
                self._chat(fault, body)
            finally:
                with proxy._lock:
                    proxy.inflight -= 1

        def _chat(self, fault: str | None, body: bytes) -> None:
            if fault is None:
                self._forward(body)
            elif fault == "drop":
                self._hang_up()
            elif fault.startswith("delay:"):
                if self._wait(float(fault.split(":", 1)[1])):
                    self._forward(body)
            elif fault in ("500", "503"):
                self._send(int(fault), _error("the upstream model crashed (injected)"))
            elif fault.startswith("429"):
                seconds = fault.split(":", 1)[1] if ":" in fault else "1"
                self._send(429, _error("too many requests (injected)"), {"Retry-After": seconds})
            elif fault.startswith("400:"):
                self._send(400, _error(fault.split(":", 1)[1]))
            elif fault == "malformed":
                self._send(200, b'{"choices": [ this is not json', {"Content-Type": "application/json"})
            elif fault == "empty":
                self._send(200, b"", {"Content-Type": "application/json"})
            elif fault == "die":
                threading.Thread(target=proxy.stop, daemon=True).start()
                self._hang_up()
            else:
                raise ValueError(f"unknown fault {fault!r}")

        def _hang_up(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # the client left first
                pass

        def _wait(self, seconds: float) -> bool:
            """Hold the request; False when the client hung up meanwhile (it cancelled)."""
            with proxy._lock:
                proxy.holding += 1
            try:
                return self._hold(seconds)
            finally:
                with proxy._lock:
                    proxy.holding -= 1

        def _hold(self, seconds: float) -> bool:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                readable, _, _ = select.select([self.connection], [], [], 0.05)
                if readable:
                    try:
                        gone = self.connection.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        gone = True
                    if gone:
                        with proxy._lock:
                            proxy.cancelled += 1
                        self.close_connection = True
                        return False
            return True

        def _forward(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
            try:
                upstream = proxy._client.request(self.command, proxy.upstream + self.path, content=body,
                                                 headers=headers)
            except httpx.HTTPError:  # the real server is gone too: so is this connection
                self._hang_up()
                return
            self._send(upstream.status_code, upstream.content,
                       {"Content-Type": upstream.headers.get("content-type", "application/json")})

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                for k, v in (headers or {"Content-Type": "application/json"}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                self.close_connection = True

    return Handler


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "injected", "code": None}}).encode()
