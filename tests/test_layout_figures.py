"""Pictures the layout model missed: embedded images, tiled figures, vector charts vs ruled tables."""

from __future__ import annotations

import math

import pymupdf

from docparse.document import Label
from docparse.engines.layout import LayoutEngine
from docparse.engines.layout.regions.figures import add_missing_pictures, chart_like
from docparse.engines.layout.context import Region, RegionOrigin
from docparse.engines.layout.text import extract_lines
from tests.test_layout_engine import _convert


def _pixmap(w: int = 60, h: int = 40) -> pymupdf.Pixmap:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, w, h), False)
    pix.set_rect(pix.irect, (200, 30, 30))
    return pix


def _line_chart(page: pymupdf.Page, x0: float, y0: float) -> None:
    """Axes, ticks, a sine-like polyline and round markers: what a plotting library draws."""
    shape = page.new_shape()
    shape.draw_line((x0, y0), (x0, y0 + 120))
    shape.draw_line((x0, y0 + 120), (x0 + 200, y0 + 120))
    for k in range(6):
        shape.draw_line((x0 + 40 * k, y0 + 120), (x0 + 40 * k, y0 + 124))
    points = [(x0 + 10 * k, y0 + 60 - 40 * math.sin(k / 3)) for k in range(20)]
    for a, b in zip(points, points[1:]):
        shape.draw_line(a, b)
    for p in points[::2]:
        shape.draw_circle(p, 2)
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    for k in range(6):
        page.insert_text((x0 + 40 * k - 3, y0 + 134), str(k), fontsize=7)


def _ruled_table(page: pymupdf.Page, x0: float, y0: float) -> None:
    shape = page.new_shape()
    for r in range(6):
        shape.draw_line((x0, y0 + 20 * r), (x0 + 240, y0 + 20 * r))
    for c in range(5):
        shape.draw_line((x0 + 60 * c, y0), (x0 + 60 * c, y0 + 100))
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()


def test_chart_like_tells_plots_from_ruled_tables():
    doc = pymupdf.open()
    page = doc.new_page()
    _line_chart(page, 60, 60)
    _ruled_table(page, 60, 400)
    drawings = page.get_drawings()
    assert chart_like(drawings, (50, 50, 280, 200))
    assert not chart_like(drawings, (50, 390, 310, 510))
    assert not chart_like(drawings, (300, 50, 500, 200))  # nothing drawn there


def test_rounded_cell_frames_are_not_a_chart():
    doc = pymupdf.open()
    page = doc.new_page()
    shape = page.new_shape()
    for r in range(5):
        for c in range(4):
            shape.draw_rect(pymupdf.Rect(60 + 60 * c, 60 + 24 * r, 116 + 60 * c, 80 + 24 * r), radius=0.2)
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    assert not chart_like(page.get_drawings(), (50, 50, 310, 190))


def test_a_form_table_full_of_check_marks_is_not_a_chart():
    doc = pymupdf.open()
    page = doc.new_page()
    _ruled_table(page, 60, 60)
    for r in range(5):
        for c in range(1, 4):  # a check mark in most cells: two slanted strokes each
            x, y = 60 + 60 * c + 25, 60 + 20 * r + 8
            shape = page.new_shape()
            shape.draw_polyline([(x, y + 3), (x + 3, y + 6), (x + 8, y - 1)])
            shape.finish(color=(0, 0, 0), width=0.8)
            shape.commit()
    assert not chart_like(page.get_drawings(), (50, 50, 310, 170))


def test_a_table_box_over_a_plot_becomes_a_chart():
    doc = pymupdf.open()
    page = doc.new_page()
    _line_chart(page, 60, 60)
    _ruled_table(page, 60, 400)
    regions = [
        Region(bbox=(55, 55, 265, 200), label=Label.TABLE, origin=RegionOrigin.MODEL, model_class="table"),
        Region(bbox=(58, 398, 302, 502), label=Label.TABLE, origin=RegionOrigin.MODEL, model_class="table"),
    ]
    out = add_missing_pictures(page, regions)
    assert [r.label for r in out[:2]] == [Label.CHART, Label.TABLE]


def test_a_table_box_over_a_plot_and_prose_keeps_the_plot_and_frees_the_prose():
    doc = pymupdf.open()
    page = doc.new_page()
    _line_chart(page, 60, 60)
    for k in range(3):
        page.insert_text((330, 80 + 14 * k), "Acknowledgements go to the funding agency.", fontsize=9)
    lines = extract_lines(page)
    table = Region(bbox=(55, 55, 560, 200), label=Label.TABLE, lines=lines, origin=RegionOrigin.MODEL, model_class="table")
    out = add_missing_pictures(page, [table])
    chart = [r for r in out if r.label is Label.CHART]
    assert len(chart) == 1 and chart[0].bbox[2] < 300  # cut to the plot and its tick labels
    assert {ln.text.strip() for ln in chart[0].lines} <= {str(k) for k in range(6)}
    prose = [r for r in out if r.label is not Label.CHART]
    assert prose and all("Acknowledgements" in ln.text for r in prose for ln in r.lines)


def test_images_the_model_missed_are_added_and_tiles_joined():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_image(pymupdf.Rect(100, 100, 200, 180), pixmap=_pixmap(), keep_proportion=False)  # a photo alone
    page.insert_image(pymupdf.Rect(100, 300, 200, 380), pixmap=_pixmap(), keep_proportion=False)  # two tiles that abut
    page.insert_image(pymupdf.Rect(200, 300, 300, 380), pixmap=_pixmap(), keep_proportion=False)
    page.insert_image(pymupdf.Rect(100, 500, 130, 520), pixmap=_pixmap(), keep_proportion=False)  # behind text: decoration
    page.insert_image(pymupdf.Rect(400, 700, 410, 710), pixmap=_pixmap(), keep_proportion=False)  # an icon: too small
    text = Region(bbox=(90, 495, 400, 530), label=Label.PARAGRAPH)
    out = add_missing_pictures(page, [text])
    pictures = sorted(tuple(round(v) for v in r.bbox) for r in out if r.label is Label.IMAGE)
    assert pictures == [(100, 100, 200, 180), (100, 300, 300, 380)]


def test_an_image_the_model_found_is_not_repeated_nor_widened_by_its_tiles():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_image(pymupdf.Rect(100, 100, 200, 180), pixmap=_pixmap(), keep_proportion=False)
    page.insert_image(pymupdf.Rect(200, 100, 260, 180), pixmap=_pixmap(), keep_proportion=False)
    found = Region(bbox=(99, 99, 201, 181), label=Label.IMAGE, origin=RegionOrigin.MODEL, model_class="picture")
    out = add_missing_pictures(page, [found])
    assert len(out) == 1 and out[0] is found
    assert found.bbox == (99, 99, 201, 181)  # a tile spilling past the model's box may sit in a gutter


def test_engine_reports_a_lone_photo_and_a_plot():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((60, 50), "Results of the field study", fontsize=16)
    for k in range(4):
        page.insert_text((60, 260 + 14 * k), "Body text that explains the figure above in some detail.", fontsize=10)
    _line_chart(page, 60, 80)
    page.insert_image(pymupdf.Rect(350, 80, 500, 200), pixmap=_pixmap(), keep_proportion=False)
    out = _convert(LayoutEngine(), doc)
    labels = {b.label for b in out.blocks}
    assert Label.IMAGE in labels or Label.CHART in labels
    pictures = [b for b in out.blocks if b.label in (Label.IMAGE, Label.CHART)]
    assert any(b.bbox[0] >= 340 and b.bbox[2] <= 510 for b in pictures)  # the photo
    assert any(b.bbox[0] < 100 and b.bbox[3] <= 230 for b in pictures)  # the plot
    assert "Body text that explains" in " ".join(b.text for b in out.blocks)
