"""``docparse convert -`` and ``-o -``: one document from stdin (or a file) to stdout, as filters do.

    cat scan.png | docparse convert - --format md > scan.md
    docparse convert paper.pdf -o - -f json | jq .pages[0]

stdout carries the one format asked for and nothing else; warnings and errors go to stderr, one
line each. No files are written (no assets, no report): figures in Markdown and HTML are
embedded as ``data:`` URIs, as ``Document.to_markdown()`` does without an asset folder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from docparse.errors import DocparseError, InputError
from docparse.options import ConvertOptions

STDIO = "-"


def read_stdin(stream: BinaryIO | None = None) -> bytes:
    data = (stream or sys.stdin.buffer).read()
    if not data:
        raise InputError("nothing on stdin: pipe a PDF or image into `docparse convert -`")
    return data


def render(document: Any, fmt: str, source: Any = None, password: str | None = None) -> str:
    """One format of a document as the text written to stdout; figures embedded as ``data:`` URIs,
    cut from ``source`` (the bytes read from stdin, or the file)."""
    if fmt == "md":
        return document.to_markdown(source=source, password=password)
    if fmt == "html":
        return document.to_html(source=source, password=password)
    if fmt == "json":
        return document.to_json()
    # qwenvl: one HTML per page; a comment names each page (1-based), as the files' names do
    pages = document.to_qwenvl()
    return "".join(f"<!-- page {page.index + 1} -->\n{html.rstrip()}\n" for page, html in zip(document.pages, pages))


def convert_to_stdout(
    inputs: list[Path], formats: list[str], options: ConvertOptions, *, quiet: bool = False,
    say: Any = None, stdout: TextIO | None = None,
) -> int:
    """Convert the one input (``-``: stdin) and write ``formats[0]`` to stdout; the exit code.

    ``say(prefix, message)`` prints a line on stderr (page warnings unless ``quiet``, errors)."""
    from docparse.api import convert

    say = say or (lambda prefix, message: print(prefix, message, file=sys.stderr))
    if len(inputs) != 1 or len(formats) != 1:
        say("[red]error:[/red]", "writing to stdout ('-') takes one input and one --format (md, html, json or qwenvl)")
        return 2
    (source,), (fmt,) = inputs, formats
    try:
        if str(source) == STDIO:
            source = read_stdin()
            document = convert(source, **_api_options(options))
        else:
            if source.is_dir():
                raise InputError(f"is a folder, not a file: {source} (stdout takes one document; use -o DIR)")
            document = convert(source, **_api_options(options))
    except DocparseError as exc:
        say("[red]error:[/red]", str(exc))
        return 1
    if not quiet:
        for warning in document.warnings:
            say("[yellow]warning:[/yellow]", warning)
        for page in document.pages:
            for warning in page.warnings:
                say("[yellow]warning:[/yellow]", f"page {page.index + 1}: {warning}")
    out = stdout or sys.stdout
    out.write(render(document, fmt, source, options.password))
    out.flush()
    return 1 if document.status == "failed" else 0


def _api_options(options: ConvertOptions) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(options)
