import io

import pymupdf
import pytest
from PIL import Image

from docparse.errors import InputError, OptionsError, PasswordError
from docparse.source import make_page_input, open_source, parse_page_range, render_page


def test_parse_page_range():
    assert parse_page_range("1-3,7", 10) == [0, 1, 2, 6]
    assert parse_page_range(None, 3) == [0, 1, 2]
    assert parse_page_range("8-", 10) == [7, 8, 9]
    assert parse_page_range("2,2,1", 5) == [1, 0]
    assert parse_page_range("3-20", 5) == [2, 3, 4]


@pytest.mark.parametrize("spec", ["a-b", "0", "3-1", "1,,x"])
def test_parse_page_range_errors(spec):
    with pytest.raises(OptionsError):
        parse_page_range(spec, 10)


def test_page_out_of_range():
    with pytest.raises(OptionsError, match="out of range"):
        parse_page_range("12", 10)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_source(tmp_path / "nope.pdf")


def test_not_a_pdf(tmp_path):
    p = tmp_path / "x.pdf"
    p.write_text("hello, I am text")
    with pytest.raises(InputError, match="not a PDF or image"):
        open_source(p)


def test_empty_file(tmp_path):
    p = tmp_path / "e.pdf"
    p.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        open_source(p)


def test_truncated_pdf_is_a_clear_error_or_repaired(tmp_path, simple_pdf):
    data = simple_pdf.read_bytes()
    p = tmp_path / "cut.pdf"
    p.write_bytes(data[:200])
    with pytest.raises(InputError):
        open_source(p)


def test_encrypted_pdf(tmp_path):
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    p = tmp_path / "enc.pdf"
    doc.save(p, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")
    with pytest.raises(PasswordError, match="needs a password"):
        open_source(p)
    with pytest.raises(PasswordError, match="wrong password"):
        open_source(p, password="nope")
    opened = open_source(p, password="user")
    assert opened.info.page_count == 1
    opened.close()


def test_image_source_is_native_resolution(tmp_path):
    img = Image.new("RGBA", (300, 500), (255, 0, 0, 0))
    opened = open_source(img)
    assert opened.is_image and opened.doc[0].rect.width == 300
    pi = make_page_input(opened.doc, 0, is_image=True)
    assert pi.image_size == (308, 504)  # smart_resize(500, 300) at 72 dpi = native
    rendered = pi.render()
    assert rendered.size == (308, 504)
    assert rendered.getpixel((10, 10)) == (255, 255, 255)  # transparency on white


def test_bytes_source(simple_pdf):
    opened = open_source(simple_pdf.read_bytes())
    assert opened.info.page_count == 3 and opened.info.sha256
    opened.close()


def test_render_exact_size(simple_pdf):
    with pymupdf.open(simple_pdf) as doc:
        for size in [(1092, 1428), (840, 1176), (1001, 1333)]:
            assert render_page(doc[0], size).size == size


def test_rotated_page_renders_as_displayed(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "rotated")
    page.set_rotation(90)
    p = tmp_path / "rot.pdf"
    doc.save(p)
    opened = open_source(p)
    pi = make_page_input(opened.doc, 0)
    assert pi.width == 792 and pi.height == 612
    assert pi.image_size[0] > pi.image_size[1]
    opened.close()


def test_scanned_page_uses_image_dpi(tmp_path):
    # a 150 dpi "scan" covering a Letter page
    img = Image.new("RGB", (1275, 1650), "white")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_image(page.rect, stream=buf.getvalue())
    p = tmp_path / "scan.pdf"
    doc.save(p)
    opened = open_source(p)
    pi = make_page_input(opened.doc, 0, dpi=300, max_pixels=16384 * 28 * 28)
    assert not pi.has_text_layer
    assert pi.image_size == (1288, 1652)  # smart_resize(1650, 1275): the scan's own 150 dpi
    opened.close()
