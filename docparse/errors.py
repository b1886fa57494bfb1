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


class OutputError(DocparseError):
    """An output cannot be written: the output folder is not a writable folder, the disk is full,
    or a path inside it (a planted symlink) would lead outside it."""


class ConversionError(DocparseError):
    """A document failed for a reason docparse did not foresee; the message names the file and the
    cause (the API raises this instead of the library's own exception, so callers catch one type)."""


def os_error_message(exc: OSError, path: object = None) -> str:
    """One line for an operating-system error, without the errno noise: 'disk full (No space left
    on device): out/a/a.md'. The cause first, so a reader scanning a report sees the kind.
    ``path`` names the file instead of the error's own (a temporary file's name says nothing)."""
    import errno

    kinds = {
        errno.ENOSPC: "disk full",
        errno.EDQUOT: "disk quota exceeded",
        errno.ELOOP: "symlink loop",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "read-only file system",
        errno.ENAMETOOLONG: "file name too long",
        errno.ENOENT: "no such file",
        errno.EISDIR: "is a folder",
        errno.ENOTDIR: "not a folder",
        errno.EIO: "input/output error",
    }
    kind = kinds.get(exc.errno or -1, "cannot access")
    where = path if path is not None else (exc.filename if exc.filename is not None else "")
    detail = f" ({exc.strerror})" if exc.strerror and exc.strerror.lower() != kind else ""
    return f"{kind}{detail}: {where}" if where != "" else f"{kind}{detail}"


def to_docparse_error(exc: BaseException, source: object) -> DocparseError:
    """A one-line ``DocparseError`` naming ``source`` for an exception docparse did not raise
    itself (PIL's decompression-bomb guard, an OSError, a library bug): API callers catch one type."""
    import os

    if isinstance(exc, DocparseError):
        return exc
    if isinstance(source, (str, os.PathLike)):
        label = str(source)
    else:
        label = "<bytes>" if isinstance(source, (bytes, bytearray, memoryview)) else f"<{type(source).__name__}>"
    if type(exc).__name__ == "DecompressionBombError":  # PIL's, without importing PIL here
        return InputError(f"image too large: {label} ({_first_line(exc)})")
    if isinstance(exc, OSError):
        return InputError(f"cannot read {label}: {os_error_message(exc, path='')}")
    return ConversionError(f"cannot convert {label}: {type(exc).__name__}: {_first_line(exc)}"[:500])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
