"""The ``Document`` conveniences that need the source's pixels: figures embedded by ``to_html()`` /
``to_markdown()``, ``block_image`` / ``block_png``, and ``save`` (the CLI's folder layout)."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import warnings
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from docparse.document import Block, Document, EngineInfo, Label, Page
from docparse.errors import InputError, OptionsError
from docparse.output.assets import crop_png
from docparse.source import open_source
from tests.fs_helpers import docparse_command

REPO = Path(__file__).resolve().parents[1]
RED = (255, 0, 0)
RED_BOX = (50.0, 60.0, 70.0, 70.0)  # points, on a 200 x 100 pt page
DATA_PNG = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=]+$")


def red_square_pdf(path: Path) -> Path:
    pdf = pymupdf.open()
    page = pdf.new_page(width=200, height=100)
    page.draw_rect(pymupdf.Rect(*RED_BOX), color=(1, 0, 0), fill=(1, 0, 0))
    page.insert_text((20, 30), "Some text", fontsize=10)
    pdf.save(path)
    return path


def document_of(path: Path | None, data: bytes | None = None, table_html: str | None = None) -> Document:
    """A document as the pipeline would make it from ``path`` (its SourceInfo), by hand: a
    paragraph, a picture (the red square) with its caption, optionally a table."""
    opened = open_source(path if path is not None else data)
    info = opened.info
    opened.close()
    blocks = [
        Block("p0-b0", Label.PARAGRAPH, (20, 20, 100, 32), "Some text", order=0),
        Block("p0-b1", Label.IMAGE, RED_BOX, "words in the picture", order=1),
        Block("p0-b2", Label.CAPTION, (50, 72, 150, 80), "Figure 1: red", caption_for="p0-b1", order=2),
    ]
    if table_html is not None:
        blocks.append(Block("p0-b3", Label.TABLE, (0, 80, 200, 100), "t", html=table_html, order=3))
    return Document(info, EngineInfo("test"), [Page(0, 200, 100, blocks)])


@pytest.fixture()
def pdf_path(tmp_path: Path) -> Path:
    return red_square_pdf(tmp_path / "red.pdf")


def decoded(src: str) -> Image.Image:
    assert DATA_PNG.match(src), src[:80]
    return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")


# -- figures in to_html() / to_markdown() ------------------------------------------------------


def test_to_html_without_image_dir_embeds_the_crop(pdf_path: Path) -> None:
    doc = document_of(pdf_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the source is there: no warning
        html = doc.to_html()
    img = BeautifulSoup(html, "html.parser").find(id="p0-b1").img
    picture = decoded(img["src"])
    with pymupdf.open(pdf_path) as pdf:
        assert base64.b64decode(img["src"].split(",", 1)[1]) == crop_png(pdf, doc.pages[0].blocks[1])
    assert picture.size == (40, 20)  # 20 x 10 pt at 144 dpi
    assert picture.getpixel((20, 10)) == RED
    assert img["alt"] == "Figure 1: red"


def test_to_markdown_without_image_dir_embeds_the_crop(pdf_path: Path) -> None:
    md = document_of(pdf_path).to_markdown()
    link = re.search(r"!\[Figure 1: red\]\(([^)]*)\)", md)
    assert link is not None, md
    assert decoded(link.group(1)).getpixel((20, 10)) == RED
    assert "words in the picture" not in md  # the picture is there: its words are not repeated


def test_embed_images_false_keeps_the_text_only(pdf_path: Path) -> None:
    doc = document_of(pdf_path)
    assert "data:" not in doc.to_html(embed_images=False)
    md = doc.to_markdown(embed_images=False)
    assert "![" not in md and "words in the picture" in md


def test_image_dir_links_the_crops_save_writes(pdf_path: Path) -> None:
    doc = document_of(pdf_path)
    assert "![Figure 1: red](assets/p1-b1.png)" in doc.to_markdown(image_dir="assets")
    assert BeautifulSoup(doc.to_html(image_dir="assets"), "html.parser").find(id="p0-b1").img["src"] == "assets/p1-b1.png"


def test_table_markup_cannot_bring_its_own_data_uri(pdf_path: Path) -> None:
    hostile = ('<table><tr><td><img src="data:image/png;base64,iVBORw0KGgo=">x</td>'
               '<td><a href="data:text/html,<script>alert(1)</script>">y</a></td></tr></table>')
    html = document_of(pdf_path, table_html=hostile).to_html()
    soup = BeautifulSoup(html, "html.parser")
    table = soup.find(id="p0-b3")
    assert table.find("img") is None and table.find("a") is not None and "href" not in table.find("a").attrs
    srcs = [tag["src"] for tag in soup.find_all(src=True)]
    assert len(srcs) == 1 and decoded(srcs[0]).getpixel((20, 10)) == RED  # only our own crop
    assert all(not str(tag.get("href", "")).lower().startswith(("data:", "javascript:")) for tag in soup.find_all(True))


def test_source_in_memory_warns_and_shows_text_unless_passed_again(pdf_path: Path) -> None:
    data = pdf_path.read_bytes()
    doc = document_of(None, data=data)
    assert doc.source.path is None
    with pytest.warns(UserWarning, match="figures shown as text.*pass the same input again as source="):
        html = doc.to_html()
    figure = BeautifulSoup(html, "html.parser").find(id="p0-b1")
    assert figure.img is None and "words in the picture" in figure.text
    embedded = BeautifulSoup(doc.to_html(source=data), "html.parser").find(id="p0-b1").img["src"]
    assert decoded(embedded).getpixel((20, 10)) == RED


def test_changed_or_missing_source_warns(pdf_path: Path, tmp_path: Path) -> None:
    doc = document_of(pdf_path)
    other = pymupdf.open()
    other.new_page(width=200, height=100)
    other.save(pdf_path)  # the same path, another file
    with pytest.warns(UserWarning, match="not the file this document was converted from"):
        assert "data:" not in doc.to_markdown()
    pdf_path.unlink()
    with pytest.warns(UserWarning, match="no such file"):
        assert "data:" not in doc.to_html()


# -- a block's image ---------------------------------------------------------------------------


def test_block_image_and_png(pdf_path: Path) -> None:
    doc = document_of(pdf_path)
    block = doc.pages[0].blocks[1]
    image = doc.block_image(block)
    assert image.mode == "RGB" and image.size == (40, 20) and image.getpixel((20, 10)) == RED
    assert doc.block_image("p0-b1", dpi=72).size == (20, 10)
    png = doc.block_png("p0-b1")
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size == (40, 20)
    # any block has an image of its box, not only pictures
    assert doc.block_image("p0-b0").size == (160, 24)


def test_block_image_errors_are_one_line(pdf_path: Path) -> None:
    doc = document_of(pdf_path)
    with pytest.raises(ValueError, match="no block 'p9-b9'"):
        doc.block_image("p9-b9")
    doc.pages[0].blocks.append(Block("p0-b9", Label.IMAGE, (300, 300, 400, 400)))
    with pytest.raises(ValueError, match="no area on page 1"):
        doc.block_png("p0-b9")
    in_memory = document_of(None, data=pdf_path.read_bytes())
    with pytest.raises(InputError, match="source="):
        in_memory.block_image("p0-b1")
    assert in_memory.block_image("p0-b1", source=pdf_path.read_bytes()).getpixel((20, 10)) == RED


# -- save --------------------------------------------------------------------------------------


def test_save_writes_the_formats_and_the_crops(pdf_path: Path, tmp_path: Path) -> None:
    doc = document_of(pdf_path)
    out = tmp_path / "out"
    written = doc.save(out)
    rel = sorted(p.relative_to(out).as_posix() for p in written)
    assert rel == ["assets/p1-b1.png", "red.html", "red.json", "red.md"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == rel  # no temp files
    assert "![Figure 1: red](assets/p1-b1.png)" in (out / "red.md").read_text(encoding="utf-8")
    with Image.open(out / "assets" / "p1-b1.png") as img:
        assert img.convert("RGB").getpixel((20, 10)) == RED
    assert Document.from_json((out / "red.json").read_text(encoding="utf-8")).to_dict() == doc.to_dict()


def test_save_formats_pages_and_overlay(pdf_path: Path, tmp_path: Path) -> None:
    doc = document_of(pdf_path)
    written = doc.save(tmp_path / "o", formats="qwenvl", save_page_images=True, overlay=True)
    assert sorted(p.relative_to(tmp_path / "o").as_posix() for p in written) == [
        "overlay/page-0001.png", "pages/page-0001.png", "qwenvl/page-0001.html"]
    with pytest.raises(OptionsError, match="unknown format 'pdf'"):
        doc.save(tmp_path / "x", formats=("md", "pdf"))


def test_save_without_source_warns_and_writes_what_it_can(pdf_path: Path, tmp_path: Path) -> None:
    doc = document_of(None, data=pdf_path.read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # json needs no pixels: the source is not even looked for
        assert [p.name for p in doc.save(tmp_path / "j", formats=["json"])] == ["document.json"]
    with pytest.warns(UserWarning, match="written without pictures"):
        written = doc.save(tmp_path / "m", formats=["md"])
    assert [p.name for p in written] == ["document.md"]
    assert "words in the picture" in written[0].read_text(encoding="utf-8")


@pytest.mark.slow
def test_save_writes_what_the_cli_writes(tmp_path: Path) -> None:
    """``convert(...).save(dir)`` and ``docparse convert`` give the same files, byte for byte
    (the JSON apart from per-page timings and the engine settings' number types: 200 vs 200.0)."""
    import docparse

    sample = REPO / "samples" / "article.pdf"
    cli_out = tmp_path / "cli"
    result = subprocess.run(
        [*docparse_command(), "convert", str(sample), "-o", str(cli_out), "-e", "layout", "-f", "md,html,json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    doc = docparse.convert(sample, engine="layout")
    api_out = tmp_path / "api"
    doc.save(api_out)
    cli_doc = cli_out / "article"
    cli_files = sorted(p.relative_to(cli_doc).as_posix() for p in cli_doc.rglob("*") if p.is_file()
                       and not p.name.startswith(".docparse"))
    api_files = sorted(p.relative_to(api_out).as_posix() for p in api_out.rglob("*") if p.is_file())
    assert api_files == cli_files and "assets/p2-b1.png" in api_files
    for rel in api_files:
        if rel.endswith(".json"):
            api_json, cli_json = (Document.from_json((d / rel).read_text(encoding="utf-8")) for d in (api_out, cli_doc))
            for d in (api_json, cli_json):
                d.engine.settings = {}
                for page in d.pages:
                    page.seconds = None
            assert api_json.to_dict() == cli_json.to_dict()
        else:
            assert (api_out / rel).read_bytes() == (cli_doc / rel).read_bytes(), rel
