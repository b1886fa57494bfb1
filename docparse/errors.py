"""Errors raised at docparse's boundary. Each message is one line that says what to do."""

from __future__ import annotations


class DocparseError(Exception):
    """Base class for every error docparse raises on purpose."""


class InputError(DocparseError):
    """The input cannot be read: missing path, not a PDF or image, corrupt, zero pages."""


class PasswordError(InputError):
    """The PDF is encrypted and no password, or a wrong one, was given."""


class OptionsError(DocparseError):
    """An option has a value docparse cannot use (bad page range, unknown format or engine)."""


class EngineError(DocparseError):
    """An engine cannot start (missing model, missing dependency)."""


class ModelOutputError(DocparseError):
    """Model output that could not be turned into blocks (never raised to the user: becomes a warning)."""
