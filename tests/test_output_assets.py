from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from docparse.document import Block, Document, EngineInfo, Label, Page, SourceInfo
from docparse.output.assets import asset_filename, crop_png, image_links, save_image_crops
from docparse.output.page_images import page_image_filename, save_page_images

RED = (255, 0, 0)


def red_square_pdf(rotation: int, cropbox: bool) -> tuple[pymupdf.Document, tuple[float, float, float, float]]:
    """A 200x100 pt page with a red 20x10 rectangle; returns the PDF and the rectangle's box in
    *displayed* coordinates (after cropbox and /Rotate), as engines report boxes."""
    pdf = pymupdf.open()
    page = pdf.new_page(width=200, height=100)
    page.draw_rect(pymupdf.Rect(50, 60, 70, 70), color=(1, 0, 0), fill=(1, 0, 0))
    if cropbox:
        page.set_cropbox(pymupdf.Rect(20, 5, 180, 95))
    page.set_rotation(rotation)
    # Where the rectangle is on the displayed page, found by rendering the whole page.
    pix = page.get_pixmap(dpi=72)
    img = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    reds = [(x, y) for y in range(img.height) for x in range(img.width) if img.getpixel((x, y)) == RED]
    box = (min(x for x, _ in reds), min(y for _, y in reds), max(x for x, _ in reds) + 1, max(y for _, y in reds) + 1)
    return pdf, tuple(float(v) for v in box)  # type: ignore[return-value]


def doc_for(pdf: pymupdf.Document, blocks: list[Block]) -> Document:
    page = pdf[0]
    return Document(SourceInfo(), EngineInfo("t"), [Page(0, page.rect.width, page.rect.height, blocks)])


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("cropbox", [False, True])
def test_crop_of_displayed_box_on_rotated_and_cropped_pages(tmp_path: Path, rotation: int, cropbox: bool) -> None:
    pdf, box = red_square_pdf(rotation, cropbox)
    doc = doc_for(pdf, [Block("p0-b0", Label.IMAGE, box, order=0)])
    saved = save_image_crops(doc, pdf, tmp_path, dpi=144)
    assert saved == {"p0-b0": "p1-b0.png"}  # the page 1-based in the name, as a user counts
    assert (tmp_path / "p1-b0.png").stat().st_mode & 0o777 == 0o644
    with Image.open(tmp_path / "p1-b0.png") as img:
        w, h = box[2] - box[0], box[3] - box[1]
        assert img.size == (round(w * 2), round(h * 2))  # 144 dpi = 2 px per point
        rgb = img.convert("RGB")
        for xy in [(1, 1), (img.width - 2, img.height - 2), (img.width // 2, img.height // 2)]:
            assert rgb.getpixel(xy) == RED, (rotation, cropbox, xy)


def test_only_picture_labels_by_default_and_more_on_request(tmp_path: Path) -> None:
    pdf, box = red_square_pdf(0, False)
    blocks = [
        Block("p0-b0", Label.IMAGE, box, order=0),
        Block("p0-b1", Label.CHART, (0, 0, 50, 50), order=1),
        Block("p0-b2", Label.TABLE, (0, 0, 50, 50), order=2),
        Block("p0-b3", Label.FORMULA, (0, 0, 50, 50), order=3),
        Block("p0-b4", Label.PARAGRAPH, (0, 0, 50, 50), "x", order=4),
    ]
    doc = doc_for(pdf, blocks)
    assert set(save_image_crops(doc, pdf, tmp_path / "a")) == {"p0-b0", "p0-b1"}
    more = save_image_crops(doc, pdf, tmp_path / "b", labels=(Label.IMAGE, Label.CHART, Label.TABLE, Label.FORMULA))
    assert set(more) == {"p0-b0", "p0-b1", "p0-b2", "p0-b3"}
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(more.values())  # no temp files left


def test_degenerate_out_of_page_and_missing_pages_are_skipped(tmp_path: Path) -> None:
    pdf, _ = red_square_pdf(0, False)
    doc = doc_for(pdf, [Block("p0-b0", Label.IMAGE, (10, 10, 10.5, 50)), Block("p0-b1", Label.IMAGE, (500, 500, 600, 600))])
    doc.pages.append(Page(7, 100, 100, [Block("p7-b0", Label.IMAGE, (0, 0, 50, 50))]))
    assert save_image_crops(doc, pdf, tmp_path) == {}


def test_box_partly_outside_is_clipped_to_the_page(tmp_path: Path) -> None:
    pdf, _ = red_square_pdf(0, False)
    saved = save_image_crops(doc_for(pdf, [Block("p0-b0", Label.IMAGE, (150, 50, 400, 300))]), pdf, tmp_path, dpi=72)
    with Image.open(tmp_path / saved["p0-b0"]) as img:
        assert img.size == (50, 50)


def test_hostile_block_ids_stay_inside_out_dir(tmp_path: Path) -> None:
    pdf, box = red_square_pdf(0, False)
    ids = ["../../evil", "/etc/passwd", "a/b", "..", "", "p0 b1", "x" * 300]
    doc = doc_for(pdf, [Block(i, Label.IMAGE, box) for i in ids])
    out = tmp_path / "assets"
    saved = save_image_crops(doc, pdf, out)
    assert len(set(saved.values())) == len(ids)
    for rel in saved.values():
        assert "/" not in rel and "\\" not in rel and not rel.startswith(".")
        assert (out / rel).resolve().parent == out.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assets"]


def test_asset_filename() -> None:
    assert asset_filename("p0-b0") == "p1-b0.png"  # first page, first block
    assert asset_filename("p3-b12") == "p4-b12.png"
    assert asset_filename("../x") != asset_filename("./x")
    assert asset_filename("p0 b1").startswith("p0_b1-")
    # ids docparse does not make keep a hash: "p01-b0" must not meet "p0-b0"'s "p1-b0.png"
    assert asset_filename("p01-b0") not in {asset_filename("p0-b0"), asset_filename("p1-b0")}
    assert asset_filename("fig") != "fig.png" and asset_filename("fig").endswith(".png")
    assert page_image_filename(0) == "page-0001.png"


def test_image_links_name_every_picture_block() -> None:
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 100, 100, [
        Block("p0-b0", Label.IMAGE, (0, 0, 10, 10)), Block("p0-b1", Label.CHART, (0, 0, 10, 10)),
        Block("p0-b2", Label.TABLE, (0, 0, 10, 10))])])
    assert image_links(doc, "assets/") == {"p0-b0": "assets/p1-b0.png", "p0-b1": "assets/p1-b1.png"}


def test_crop_png_is_the_saved_file(tmp_path: Path) -> None:
    pdf, box = red_square_pdf(0, False)
    block = Block("p0-b0", Label.IMAGE, box)
    saved = save_image_crops(doc_for(pdf, [block]), pdf, tmp_path)
    assert crop_png(pdf, block) == (tmp_path / saved["p0-b0"]).read_bytes()
    assert crop_png(pdf, Block("p0-b1", Label.IMAGE, (10, 10, 10.5, 50))) is None


def test_page_images_at_model_size_and_dpi(tmp_path: Path) -> None:
    pdf = pymupdf.open()
    pdf.new_page(width=200, height=100)
    page2 = pdf.new_page(width=100, height=200)
    page2.set_rotation(90)  # displayed 200 x 100
    doc = Document(
        SourceInfo(),
        EngineInfo("t"),
        [Page(0, 200, 100, image_size=(560, 280)), Page(1, 200, 100, image_size=(280, 140)), Page(5, 10, 10)],
    )
    saved = save_page_images(doc, pdf, tmp_path / "pages")
    assert saved == {0: "page-0001.png", 1: "page-0002.png"}
    with Image.open(tmp_path / "pages" / "page-0001.png") as img:
        assert img.size == (560, 280)
    with Image.open(tmp_path / "pages" / "page-0002.png") as img:
        assert img.size == (280, 140)
    by_dpi = save_page_images(doc, pdf, tmp_path / "dpi", size=144)
    with Image.open(tmp_path / "dpi" / by_dpi[1]) as img:
        assert img.size == (400, 200)
    with pytest.raises(ValueError):
        save_page_images(doc, pdf, tmp_path / "bad", size="huge")


def test_page_image_without_image_size_uses_the_pipeline_size(tmp_path: Path) -> None:
    from docparse.geometry import model_input_size
    from docparse.geometry import DEFAULT_DPI

    pdf = pymupdf.open()
    pdf.new_page(width=612, height=792)
    doc = Document(SourceInfo(), EngineInfo("t"), [Page(0, 612, 792)])
    saved = save_page_images(doc, pdf, tmp_path)
    with Image.open(tmp_path / saved[0]) as img:
        assert img.size == model_input_size(612, 792, DEFAULT_DPI)
