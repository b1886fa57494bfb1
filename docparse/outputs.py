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

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf

STAMP = ".docparse-done.json"


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
        raise ValueError(f"output path escapes the output folder: {path}")
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
