"""Sources: open a PDF or an image, select pages, render a page straight at the model's input size.

Every input becomes an open ``pymupdf.Document``: a PDF as it is, an image (path, bytes or PIL
image) as a one-page PDF whose page is the image's pixel size in points (so 72 dpi is its native
resolution). Errors here are the user's: each is one specific line.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Union

from docparse.document import SourceInfo
from docparse.engines.base import PageInput
from docparse.errors import InputError, OptionsError, PasswordError
from docparse.geometry import DEFAULT_DPI, DEFAULT_MAX_PIXELS, MIN_PIXELS, model_input_size
from docparse.names import printable

if TYPE_CHECKING:  # pragma: no cover
    import pymupdf
    from PIL import Image

    from docparse.document import Page

SourceLike = Union[str, os.PathLike, bytes, "Image.Image"]

PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".jp2", ".pnm", ".ppm"}
SUPPORTED_SUFFIXES = PDF_SUFFIXES | IMAGE_SUFFIXES

# Magic numbers of the formats we accept; anything else is "not a PDF or image".
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"BM",  # BMP
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x00\x0cjP  ",  # JPEG 2000
)


@dataclass
class OpenedSource:
    doc: "pymupdf.Document"
    info: SourceInfo
    is_image: bool = False
    warnings: list[str] = field(default_factory=list)  # the document's (MuPDF's repair messages)
    damaged_pages: dict[int, list[str]] = field(default_factory=dict)  # page index -> what was lost

    def close(self) -> None:
        self.doc.close()


def open_source(source: SourceLike, password: str | None = None, name: str | None = None) -> OpenedSource:
    """Open a PDF or image from a path, bytes or a PIL image. Raises ``InputError`` subclasses."""
    import pymupdf

    path: Path | None = None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise InputError(f"no such file: {path}")
        if path.is_dir():
            raise InputError(f"is a folder, not a file: {path} (use convert_many or the CLI for folders)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
        label = str(path)
        name = name or path.stem
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "<bytes>"
        name = name or "document"
    elif _is_pil_image(source):
        buf = io.BytesIO()
        _to_rgb(source).save(buf, format="PNG")
        data = buf.getvalue()
        label = name or "<image>"
        name = name or "image"
    else:
        raise InputError(f"cannot convert an object of type {type(source).__name__}: pass a path, bytes or a PIL image")

    if not data:
        raise InputError(f"empty file: {label}")
    kind = sniff(data)
    if kind is None:
        raise InputError(f"not a PDF or image: {label}")

    info = SourceInfo(
        path=printable(str(path)) if path else None,  # a non-UTF-8 name stays writable
        name=_safe_name(name),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    if kind == "image":
        notes: list[str] = []
        doc = _image_to_pdf(data, label, notes)
        info.page_count = doc.page_count
        return OpenedSource(doc, info, is_image=True, warnings=notes)

    pymupdf.TOOLS.mupdf_warnings(reset=True)  # MuPDF's messages are process-wide: start clean
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises several types for broken files
        raise InputError(f"corrupt or unreadable PDF: {label} ({_short(exc)})") from exc
    opened_warnings = _mupdf_messages()
    if doc.needs_pass:
        if not password:
            doc.close()
            raise PasswordError(f"encrypted PDF: {label} needs a password (--password)")
        if not doc.authenticate(password):
            doc.close()
            raise PasswordError(f"wrong password for encrypted PDF: {label}")
    if doc.page_count == 0:
        doc.close()
        raise InputError(f"PDF has no pages: {label}")
    info.page_count = doc.page_count
    info.metadata = {k: v for k, v in (doc.metadata or {}).items() if v and k != "encryption"}
    opened = OpenedSource(doc, info)
    if doc.is_repaired or opened_warnings:
        _note_repair(opened, opened_warnings)
    return opened


#: MuPDF messages kept per document / page, at most (a broken file can print thousands).
MAX_REPAIR_MESSAGES = 5


def _mupdf_messages() -> list[str]:
    """MuPDF's warnings since the last call (it prints them, PyMuPDF buffers them), deduplicated."""
    import pymupdf

    seen: list[str] = []
    for line in pymupdf.TOOLS.mupdf_warnings(reset=True).splitlines():
        line = line.strip()
        if line and line not in seen:
            seen.append(line)
    return seen


def _note_repair(opened: OpenedSource, messages: list[str]) -> None:
    """A damaged PDF MuPDF repaired (a truncated download, a broken xref): say so, and find the
    pages whose content did not survive, reading each once (only damaged files pay for this)."""
    if opened.doc.is_repaired:
        shown = "; ".join(messages[:MAX_REPAIR_MESSAGES]) or "no details"
        opened.warnings.append(f"damaged PDF repaired by MuPDF ({shown}): content may be missing")
    for index in range(opened.doc.page_count):
        try:
            opened.doc[index].get_text("text")
        except Exception as exc:  # noqa: BLE001 - a page that cannot load fails later, on its own
            opened.damaged_pages[index] = [f"page unreadable after repair ({_short(exc)})"]
            continue
        lost = [m for m in _mupdf_messages() if "repair" not in m]
        if lost:
            opened.damaged_pages[index] = lost[:MAX_REPAIR_MESSAGES]


def mark_damaged_page(page: "Page", opened: OpenedSource) -> None:
    """A page whose content MuPDF could not load in full is ``partial`` and says why."""
    from docparse.document import PageStatus

    lost = opened.damaged_pages.get(page.index)
    if not lost:
        return
    page.warnings.append("content lost in the damaged PDF: " + "; ".join(lost))
    if page.status in (PageStatus.OK, PageStatus.EMPTY):
        page.status = PageStatus.PARTIAL


def sniff(data: bytes) -> str | None:
    """'pdf', 'image' or None, from the first bytes (not the file name)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if any(data.startswith(m) for m in _IMAGE_MAGIC):
        return "image"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image"
    return None


#: pixels: an image page is decoded at most this large (6,000 x 6,000; an A4 scan at 600 dpi is
#: 35 M). Larger images are reduced while decoding (JPEG: decoded at 1/2, 1/4, 1/8 scale), so a
#: 9,000 x 9,000 PNG does not hold a full-size page in every later step (it peaked at 1.3 GB).
IMAGE_MAX_PIXELS = 36_000_000


def _image_to_pdf(data: bytes, label: str, warnings: list[str] | None = None) -> "pymupdf.Document":
    """A one-page PDF whose page is the image at 1 pt per pixel (native resolution at 72 dpi).

    An image over ``IMAGE_MAX_PIXELS`` is reduced by a whole factor (a warning says so; its
    page is the reduced image). Over PIL's decompression-bomb limit it is refused.
    """
    import pymupdf
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            factor = reduce_factor(width, height)
            if factor > 1 and im.format == "JPEG":
                im.draft("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
            im.load()
            if im.width * im.height > IMAGE_MAX_PIXELS:
                im = im.reduce(reduce_factor(im.width, im.height))
            rgb = _to_rgb(im)
    except Image.DecompressionBombError as exc:
        raise InputError(
            f"image too large: {label} ({_pixels(exc)}; the limit is {Image.MAX_IMAGE_PIXELS * 2} pixels)"
        ) from exc
    except UnidentifiedImageError as exc:
        raise InputError(f"corrupt or unreadable image: {label} (not an image PIL can read)") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated data, bad chunks, bad headers
        raise InputError(f"corrupt or unreadable image: {label} ({_short(exc)})") from exc
    if rgb.size != (width, height) and warnings is not None:
        warnings.append(
            f"image of {width}x{height} pixels reduced to {rgb.width}x{rgb.height} "
            f"(more than {IMAGE_MAX_PIXELS} pixels); boxes are in the reduced image's pixels"
        )
    buf = io.BytesIO()
    rgb.save(buf, format="PNG")
    size = rgb.size
    del rgb  # the decoded pixels go before MuPDF reads the PNG
    doc = pymupdf.open()
    page = doc.new_page(width=size[0], height=size[1])
    page.insert_image(page.rect, stream=buf.getvalue())
    return doc


def reduce_factor(width: int, height: int) -> int:
    """The smallest whole factor that brings ``width x height`` under ``IMAGE_MAX_PIXELS``."""
    factor = 1
    while (width // factor) * (height // factor) > IMAGE_MAX_PIXELS:
        factor += 1
    return factor


def _pixels(exc: BaseException) -> str:
    """PIL's "Image size (N pixels) exceeds limit ..." without the rest."""
    m = re.search(r"\((\d+) pixels\)", str(exc))
    return f"{int(m.group(1))} pixels" if m else "too many pixels"


def _to_rgb(im: "Image.Image") -> "Image.Image":
    """RGB; transparency composited on white (as the model's preprocessing does)."""
    from PIL import Image

    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.split()[3])
        return white
    return im.convert("RGB")


def _is_pil_image(obj: object) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, Image.Image)


def _safe_name(name: str) -> str:
    """A file-name-safe stem (outputs are named after it): safe, short, stable, unique; see names.py."""
    from docparse.names import safe_name

    return safe_name(name)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# -- page selection ------------------------------------------------------------------------------


def parse_page_range(spec: str | None, page_count: int) -> list[int]:
    """'1-3,7,10-' -> 0-based indices, in the order given, without duplicates. None/'' -> all pages."""
    if spec is None or not str(spec).strip() or str(spec).strip().lower() == "all":
        return list(range(page_count))
    pages: list[int] = []
    for part in str(spec).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d*)\s*-\s*(\d*)", part)
        if m and (m.group(1) or m.group(2)):
            start = int(m.group(1)) if m.group(1) else 1
            end = int(m.group(2)) if m.group(2) else page_count
        elif part.isdigit():
            start = end = int(part)
        else:
            raise OptionsError(f"bad page range {spec!r}: use numbers like 1-3,7 (1-based)")
        if start < 1 or end < start:
            raise OptionsError(f"bad page range {part!r}: pages start at 1 and ranges go up")
        if start > page_count:
            raise OptionsError(f"page {start} is out of range: the document has {page_count} pages")
        for p in range(start, min(end, page_count) + 1):
            if p - 1 not in pages:
                pages.append(p - 1)
    return pages


# -- rendering -----------------------------------------------------------------------------------


def scanned_image_dpi(page: "pymupdf.Page") -> float | None:
    """The dpi of the image that covers a page with no text layer (a scan), else None.

    A scan is best read at its own resolution: rendering it finer invents nothing, coarser loses.
    """
    try:
        infos = page.get_image_info()
    except Exception:
        return None
    area = page.rect.width * page.rect.height
    best = None
    for info in infos:
        x0, y0, x1, y1 = info["bbox"]
        covered = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        if area > 0 and covered / area >= 0.5 and info.get("width"):
            dpi = info["width"] / max(1e-6, (x1 - x0)) * 72.0
            best = max(best or 0.0, dpi)
    return best


def has_text_layer(page: "pymupdf.Page") -> bool:
    return bool(page.get_text("text").strip())


def render_page(page: "pymupdf.Page", size: tuple[int, int]) -> "Image.Image":
    """Render a page (as displayed) straight to exactly ``size`` = (width_px, height_px) pixels.

    Separate x and y scales, so no second resample is needed.
    """
    import pymupdf
    from PIL import Image

    w_px, h_px = size
    rect = page.rect
    matrix = pymupdf.Matrix(w_px / rect.width, h_px / rect.height)
    pix = page.get_pixmap(matrix=matrix, alpha=False, colorspace=pymupdf.csRGB)
    img = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    if img.size != (w_px, h_px):  # float rounding in MuPDF's pixel bounds: off by one at most
        img = img.resize((w_px, h_px), Image.Resampling.BICUBIC)
    return img


def page_inputs(
    doc: "pymupdf.Document",
    pages: list[int] | None = None,
    dpi: float = DEFAULT_DPI,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    is_image: bool = False,
) -> Iterator[PageInput]:
    """One ``PageInput`` per selected page, streamed: nothing is rendered until asked for."""
    indices = list(range(doc.page_count)) if pages is None else pages
    for index in indices:
        yield make_page_input(doc, index, dpi, min_pixels, max_pixels, is_image)


def make_page_input(
    doc: "pymupdf.Document",
    index: int,
    dpi: float = DEFAULT_DPI,
    min_pixels: int = MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    is_image: bool = False,
) -> PageInput:
    """The ``PageInput`` of one page: its size, model input size and a lazy renderer."""
    page = doc[index]
    width, height = page.rect.width, page.rect.height
    text = has_text_layer(page)
    page_dpi = dpi
    if is_image:
        page_dpi = 72.0  # an image page is 1 pt per pixel: native resolution
    elif not text:
        page_dpi = scanned_image_dpi(page) or dpi
    size = model_input_size(width, height, page_dpi, min_pixels, max_pixels)
    return PageInput(
        doc=doc,
        index=index,
        width=width,
        height=height,
        image_size=size,
        render=_renderer(doc, index, size),
        has_text_layer=text,
    )


def _renderer(doc: "pymupdf.Document", index: int, size: tuple[int, int]):
    def render() -> "Image.Image":
        return render_page(doc[index], size)

    return render
