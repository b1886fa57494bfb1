"""Large inputs within memory (issue 13, item 14): images decoded under the pixel cap, huge pages
kept away from the 1-pixel-a-point layout-model render, banners past the model's aspect limit,
decompression bombs and broken images as one-line errors naming the file."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import docparse
from docparse.errors import InputError

pymupdf = pytest.importorskip("pymupdf")


def _peak_mb(code: str) -> tuple[float, str]:
    """Run ``code`` in a fresh interpreter; its peak RSS (MB) and its output.

    The peak is VmHWM of the child's own memory map: ``ru_maxrss`` keeps the parent's (a pytest
    that has grown) across fork and exec.
    """
    wrapper = code + (
        "\nhwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]"
        "\nprint('PEAK', int(hwm) / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=600, check=True).stdout
    peak = float(out.strip().splitlines()[-1].split()[1])
    return peak, out


@pytest.mark.slow
def test_a_9000_square_png_is_reduced_while_decoding(tmp_path: Path) -> None:
    """Peak 1.24 GB before (open + render), 0.62 GB after; the bound is between."""
    from PIL import Image

    path = tmp_path / "big.png"
    Image.new("RGB", (9000, 9000), "white").save(path)
    peak, out = _peak_mb(
        "from docparse.source import open_source, make_page_input\n"
        f"o = open_source({str(path)!r}); p = make_page_input(o.doc, 0, is_image=True); p.render()\n"
        "print(o.doc[0].rect.width, o.warnings)"
    )
    assert "4500.0" in out and "reduced to 4500x4500" in out
    assert peak < 950, f"peak {peak:.0f} MB"


@pytest.mark.slow
def test_a_14400_pt_page_skips_the_layout_model_render(tmp_path: Path) -> None:
    """Peak 1.39 GB before, 0.18 GB after (the layout model rendered 14,400 x 14,400 pixels)."""
    path = tmp_path / "huge.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=14400, height=14400)
    page.insert_text((2000, 7000), "A line of text on a very large page.", fontsize=60)
    doc.save(path)
    doc.close()
    peak, out = _peak_mb(
        "import docparse\n"
        f"d = docparse.convert({str(path)!r})\n"
        "print(d.pages[0].status.value, d.pages[0].warnings, d.to_markdown())"
    )
    assert "A line of text on a very large page." in out and "not the layout model" in out
    assert peak < 700, f"peak {peak:.0f} MB"


def test_a_page_wider_than_200_to_1_converts(tmp_path: Path) -> None:
    path = tmp_path / "banner.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=14400, height=50)
    page.insert_text((20, 30), "A very wide banner page with a line of text.", fontsize=11)
    doc.save(path)
    doc.close()
    result = docparse.convert(path)
    assert result.pages[0].status.value == "ok"
    assert "A very wide banner page" in result.to_markdown()
    w, h = result.pages[0].image_size  # the model input of a page stretched to just under 200:1
    assert w > 100 * h


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_a_docparse_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header(40_000, 40_000))  # 1.6 G pixels announced, nothing decoded
    with pytest.raises(InputError, match=r"image too large: .*bomb\.png \(1600000000 pixels"):
        docparse.convert(path)


def test_a_broken_image_names_the_file_not_a_buffer(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(InputError) as info:
        docparse.convert(path)
    assert "broken.png" in str(info.value) and "BytesIO" not in str(info.value)
