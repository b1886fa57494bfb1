"""The API's errors: one JSON shape, ``{"error": {"code", "message"}}``, and the status of each case."""

from __future__ import annotations

from docparse.errors import DocparseError, InputError, OptionsError, PasswordError


class ApiError(Exception):
    """An error answered as ``status`` with ``{"error": {"code": code, "message": message}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class TooManyPagesError(InputError):
    """The document (or its selected pages) is over the server's ``--max-pages``."""


def from_docparse_error(exc: DocparseError) -> ApiError:
    """The status and code of a docparse error; the message is the CLI's one line."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, TooManyPagesError):
        return ApiError(413, "too_many_pages", message)
    if isinstance(exc, PasswordError):
        return ApiError(422, "encrypted", message)
    if isinstance(exc, InputError):
        if message.startswith("not a PDF or image"):
            return ApiError(415, "not_a_document", message)
        return ApiError(422, "unreadable_document", message)
    if isinstance(exc, OptionsError):
        return ApiError(422, "invalid_option", message)
    return ApiError(500, "engine_error", message)
