from __future__ import annotations

from PIL import Image

from docparse.document import Block, Label, Page
from docparse.geometry import PageSpace
from docparse.output.overlay import draw_overlay
from docparse.render.colors import LABEL_COLORS, label_color


def page_with(blocks: list[Block]) -> Page:
    return Page(0, 100.0, 200.0, blocks)


def test_every_label_has_a_colour() -> None:
    assert set(LABEL_COLORS) == set(Label)
    assert label_color(Label.TABLE) == (0x2C, 0xA0, 0x2C)


def test_boxes_drawn_in_label_colour_at_mapped_position() -> None:
    image = Image.new("RGB", (200, 400), "white")  # 2 px per point
    page = page_with([Block("p0-b0", Label.TABLE, (10, 20, 60, 120), order=None)])
    out = draw_overlay(image, page, PageSpace(100, 200, 200, 400))
    assert out.size == image.size and out.mode == "RGB"
    assert out.getpixel((20, 100)) == label_color(Label.TABLE)  # left edge at x = 10 pt = 20 px
    assert out.getpixel((70, 40)) == label_color(Label.TABLE)  # top edge at y = 20 pt = 40 px
    inside = out.getpixel((70, 140))
    assert inside != (255, 255, 255) and inside[1] > inside[0]  # translucent green fill
    assert out.getpixel((5, 5)) == (255, 255, 255)  # outside untouched
    assert image.getpixel((20, 100)) == (255, 255, 255)  # the input is not modified


def test_order_number_drawn_for_body_blocks_only() -> None:
    image = Image.new("RGB", (400, 800), "white")
    space = PageSpace(100, 200, 400, 800)
    numbered = draw_overlay(image, page_with([Block("a", Label.PARAGRAPH, (10, 10, 90, 100), order=4)]), space)
    plain = draw_overlay(image, page_with([Block("a", Label.PARAGRAPH, (10, 10, 90, 100), order=None)]), space)
    color = label_color(Label.PARAGRAPH)
    corner = (42, 42, 80, 70)  # inside the box, past its 1 px outline: where the tag goes

    def tag_pixels(img: Image.Image) -> list[tuple[int, int]]:
        crop = img.crop(corner)
        return [(x, y) for y in range(crop.height) for x in range(crop.width) if crop.getpixel((x, y)) == color]

    assert tag_pixels(plain) == []
    tag = tag_pixels(numbered)
    assert len(tag) > 20  # an opaque tag in the label colour
    x0, y0 = min(x for x, _ in tag), min(y for _, y in tag)
    x1, y1 = max(x for x, _ in tag), max(y for _, y in tag)
    inside = numbered.crop(corner).crop((x0, y0, x1 + 1, y1 + 1))
    assert any(inside.getpixel((x, y))[0] > 120 for x in range(inside.width) for y in range(inside.height))  # the digit


def test_image_of_another_size_is_scaled() -> None:
    image = Image.new("RGB", (100, 200), "white")  # half the model size
    page = page_with([Block("p0-b0", Label.IMAGE, (50, 100, 100, 200))])
    out = draw_overlay(image, page, PageSpace(100, 200, 200, 400))
    assert out.getpixel((50, 150)) == label_color(Label.IMAGE)  # left edge at half scale
    assert out.getpixel((25, 50)) == (255, 255, 255)


def test_non_finite_and_outside_boxes_are_harmless() -> None:
    image = Image.new("RGB", (200, 400), "white")
    page = page_with([
        Block("a", Label.PARAGRAPH, (float("nan"), 0, 10, 10), order=0),
        Block("b", Label.PARAGRAPH, (-50, -50, 500, 900), order=1),
        Block("c", Label.PARAGRAPH, (60, 20, 10, 5), order=2),  # corners swapped
    ])
    out = draw_overlay(image, page, PageSpace(100, 200, 200, 400))
    assert out.size == (200, 400)
    assert out.getpixel((199, 399)) == label_color(Label.PARAGRAPH)  # clamped to the image edge
