"""Reading an upload from the request stream: size limit while it arrives, spooled to a private folder.

The body is parsed as it streams in (python-multipart's push parser), so nothing is buffered in
memory and the size limit stops an upload at the first byte over it, not after the whole body has
been received. The file goes to a new file in the server's private spool folder (0700; the file
itself 0600) under a random name: nothing the client sends names a path on the server. The
client's file name is kept only to name the document.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from docparse.serve.errors import ApiError
from docparse.serve.settings import MAX_FORM_FIELD_BYTES, MAX_FORM_FIELDS

SNIFF_BYTES = 1024  # docparse.source.sniff looks at this much
# Multipart framing and the short form fields on top of the file itself.
BODY_OVERHEAD_BYTES = 64 * 1024 + MAX_FORM_FIELDS * MAX_FORM_FIELD_BYTES
# After a 413, read on (discarding) this much more so an ordinary client, still sending, can
# read the answer instead of a connection reset; an upload bigger than that is simply cut off.
DRAIN_MAX_BYTES = 16 * 1024 * 1024
DRAIN_MAX_S = 3.0


@dataclass
class Upload:
    path: Path  # the spooled file, inside the private folder
    filename: str  # as the client named it (only used for the document's name)
    size: int
    head: bytes  # the first bytes, to tell a PDF or image from anything else
    form: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def make_spool_dir() -> Path:
    """A new private folder (0700) under the system's temporary folder."""
    return Path(tempfile.mkdtemp(prefix="docparse-serve-"))


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"upload over the server's limit of {limit / 1024 / 1024:g} MB (--max-upload-mb)")


class _Collector:
    """The parser's callbacks: the one file part to disk, form fields (short) to memory."""

    def __init__(self, spool_dir: Path, max_bytes: int) -> None:
        self.spool_dir = spool_dir
        self.max_bytes = max_bytes
        self.form: dict[str, str] = {}
        self.path: Path | None = None
        self.filename = ""
        self.size = 0
        self.head = b""
        self._fh: Any = None
        self._headers: dict[str, str] = {}
        self._field_name = b""
        self._field_value = b""
        self._part: str | None = None  # "file" | field name
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._add("_field_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_field_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._headers, self._part, self._value = {}, None, bytearray()

    def _header_end(self) -> None:
        self._headers[self._field_name.decode("latin-1").lower()] = self._field_value.decode("latin-1")
        self._field_name, self._field_value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is not None or name == "file":
            if name != "file":
                raise ApiError(422, "invalid_request", f"the document goes in the form field 'file', not {name!r}")
            if self._fh is not None or self.path is not None:
                raise ApiError(422, "invalid_request", "one file per request")
            fd, tmp = tempfile.mkstemp(prefix="upload-", suffix=".bin", dir=self.spool_dir)  # 0600
            self.path = Path(tmp)
            self._fh = os.fdopen(fd, "wb")
            self.filename = (filename or b"").decode("utf-8", "replace")
            self._part = "file"
            return
        if len(self.form) >= MAX_FORM_FIELDS:
            raise ApiError(422, "invalid_request", f"more than {MAX_FORM_FIELDS} form fields")
        if name in self.form:
            raise ApiError(422, "invalid_request", f"form field {name!r} given twice")
        self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._part == "file":
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            self._fh.write(chunk)
        elif self._part is not None:
            self._value += chunk
            if len(self._value) > MAX_FORM_FIELD_BYTES:
                raise ApiError(413, "too_large", f"form field {self._part!r} is over {MAX_FORM_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if self._part == "file":
            self._fh.close()
            self._fh = None
        elif self._part is not None:
            self.form[self._part] = self._value.decode("utf-8", "replace")
        self._part = None

    def abandon(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _boundary(content_type: str) -> bytes:
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ApiError(415, "unsupported_media_type", "send the document as multipart/form-data in the field 'file'")
    return boundary


async def read_upload(headers: Any, stream: AsyncIterator[bytes], spool_dir: Path, max_bytes: int) -> Upload:
    """Parse a multipart body from ``stream`` into an ``Upload``; raises ``ApiError`` (the spooled
    file is then already deleted) or the stream's own error when the client goes away."""
    boundary = _boundary(headers.get("content-type", ""))
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + BODY_OVERHEAD_BYTES:
        raise too_large(max_bytes)  # answered before a byte of the body is read
    collector = _Collector(spool_dir, max_bytes)
    parser = MultipartParser(boundary, collector.callbacks())
    body = 0
    try:
        async for chunk in stream:
            body += len(chunk)
            if body > max_bytes + BODY_OVERHEAD_BYTES:
                raise too_large(max_bytes)
            parser.write(chunk)
        parser.finalize()
    except ApiError as exc:
        collector.abandon()
        if exc.status == 413:
            await _drain(stream)
        raise
    except MultipartParseError as exc:
        collector.abandon()
        raise ApiError(422, "invalid_request", f"malformed multipart body ({exc})") from None
    except BaseException:  # the client disconnected mid-upload, or the server is stopping
        collector.abandon()
        raise
    if collector.path is None or collector._fh is not None:
        collector.abandon()
        raise ApiError(422, "invalid_request", "no document: send it in the multipart form field 'file'")
    return Upload(collector.path, collector.filename, collector.size, collector.head, collector.form)


async def _drain(stream: AsyncIterator[bytes]) -> None:
    """Read and discard a little more of a refused upload (bounded in bytes and time)."""
    deadline = time.monotonic() + DRAIN_MAX_S
    drained = 0
    iterator = stream.__aiter__()
    try:
        while drained < DRAIN_MAX_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            chunk = await asyncio.wait_for(iterator.__anext__(), timeout=left)
            drained += len(chunk)
    except (StopAsyncIteration, asyncio.TimeoutError, Exception):
        return
