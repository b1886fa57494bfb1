"""Writing one converted document to its output folder: every file atomically, the stamp last.

Layout of ``OUT/<name>/`` for a source ``<name>.pdf``::

    <name>.md  <name>.html  <name>.json       the formats asked for
    assets/p0-b3.png ...                      figure crops, linked from md/html
    qwenvl/page-0001.html                     QwenVL HTML per page, in the page's model pixel space
    pages/page-0001.png                       the model-input page image (--save-page-images, --overlay)
    overlay/page-0001.png                     page images with boxes drawn (--overlay)
    .docparse-done.json                       written last: what was converted, from what, how

A file is written to a temporary name in the same folder and renamed, so no half-written output
ever exists; the stamp is what a rerun checks to skip a finished document.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docparse.document import Document
from docparse.errors import OutputError, os_error_message

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

STAMP = ".docparse-done.json"


# Temporary files being written now: a worker told to stop (SIGTERM) removes them before it exits,
# so no half-written file is ever left behind (see process_guard.py).
_IN_PROGRESS: set[str] = set()


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _IN_PROGRESS.add(tmp)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    finally:
        _IN_PROGRESS.discard(tmp)


def remove_files_in_progress() -> None:
    """Delete every temporary file a write has not finished (called when a process must stop)."""
    for tmp in list(_IN_PROGRESS):
        _remove(tmp)


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def safe_child(root: Path, *parts: str) -> Path:
    """``root / parts`` that is guaranteed to stay inside ``root`` (names never come from PDF text,
    but a crafted file name must not escape either)."""
    root = root.resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and root not in path.parents:
        planted = root.joinpath(*parts)
        raise OutputError(f"refused: {planted} leads outside the output folder (a symlink?) to {path}")
    return path


def write_outputs(
    document: Document,
    pdf: "pymupdf.Document",
    out_dir: Path,
    formats: list[str],
    *,
    save_page_images: bool = False,
    overlay: bool = False,
) -> list[str]:
    """Write the formats of ``document`` into ``out_dir``; returns the files written (relative)."""
    from docparse.render.assets import save_image_crops

    name = document.source.name
    written: list[str] = []
    out_dir.mkdir(parents=True, exist_ok=True)

    def put(rel: str, data: str | bytes) -> None:
        atomic_write(safe_child(out_dir, *rel.split("/")), data)
        written.append(rel)

    crops: dict[str, str] = {}
    if "md" in formats or "html" in formats:
        crops = save_image_crops(document, pdf, safe_child(out_dir, "assets"))
        written.extend(f"assets/{Path(p).name}" for p in crops.values())

    page_images: dict[int, str] = {}
    if overlay or save_page_images:
        page_images = _save_page_images(document, pdf, out_dir, written, overlay)

    if "md" in formats:
        put(f"{name}.md", document.to_markdown(image_dir="assets"))
    if "html" in formats:
        put(f"{name}.html", document.to_html(image_dir="assets", overlay=overlay, page_images=page_images or None))
    if "json" in formats:
        put(f"{name}.json", document.to_json())
    if "qwenvl" in formats:
        for page, html in zip(document.pages, document.to_qwenvl()):
            put(f"qwenvl/page-{page.index + 1:04d}.html", html)
    return written


def _save_page_images(
    document: Document, pdf: "pymupdf.Document", out_dir: Path, written: list[str], overlay: bool
) -> dict[int, str]:
    """Each page at its model input size in ``pages/`` (with ``qwenvl/page-NNNN.html`` a page
    image + QwenVL HTML pair for fine-tuning); with ``overlay`` also a copy with the boxes drawn
    in ``overlay/``. Returns page index -> path relative to ``out_dir``."""
    import io

    from PIL import Image

    from docparse.geometry import PageSpace
    from docparse.render.assets import save_page_images
    from docparse.render.overlay import draw_overlay

    saved = save_page_images(document, pdf, safe_child(out_dir, "pages"))
    paths = {index: f"pages/{name}" for index, name in saved.items()}
    written.extend(paths.values())
    if overlay:
        for page in document.pages:
            if page.index not in saved:
                continue
            with Image.open(safe_child(out_dir, "pages", saved[page.index])) as image:
                space = PageSpace(page.width, page.height, image.width, image.height)
                drawn = draw_overlay(image.convert("RGB"), page, space)
            buf = io.BytesIO()
            drawn.save(buf, format="PNG")
            atomic_write(safe_child(out_dir, "overlay", saved[page.index]), buf.getvalue())
            written.append(f"overlay/{saved[page.index]}")
    return paths


def read_stamp(out_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_stamp(out_dir: Path, stamp: dict[str, Any]) -> None:
    atomic_write(out_dir / STAMP, json.dumps(stamp, indent=2, sort_keys=True))


def prepare_output_folder(out_dir: Path) -> None:
    """Create the output folder and prove it can be written (a real probe file: permission bits
    say nothing for root or a read-only mount). Raises ``OutputError`` with one line."""
    import errno

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"the output folder is an existing file: {out_dir}") from None
    except OSError as exc:
        kind = "a file stands in its path" if exc.errno == errno.ENOTDIR else os_error_message(exc, path="")
        raise OutputError(f"cannot create the output folder {out_dir}: {kind}") from None
    if not out_dir.is_dir():
        raise OutputError(f"the output folder is not a folder: {out_dir}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".docparse-probe.", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"the output folder is not writable: {out_dir} ({os_error_message(exc, path='')})") from None
