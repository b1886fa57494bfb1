"""Reading order of region boxes: columns, full-width breaks, right-to-left pages."""

from docparse.engines.layout.order import page_is_rtl, reading_order


def test_single_column_top_to_bottom():
    boxes = [(50, 300, 500, 340), (50, 100, 500, 140), (50, 200, 500, 240)]
    assert reading_order(boxes) == [1, 2, 0]


def test_two_columns_read_column_by_column():
    left = [(50, 100, 290, 200), (50, 210, 290, 300), (50, 310, 290, 400)]
    right = [(310, 100, 550, 180), (310, 210, 550, 300), (310, 310, 550, 420)]
    boxes = right + left  # input order must not matter
    order = reading_order(boxes)
    assert [boxes[i] for i in order] == left + right


def test_full_width_title_and_table_break_columns():
    title = (50, 40, 550, 80)
    top_l, top_r = (50, 100, 290, 300), (310, 100, 550, 300)
    table = (50, 320, 550, 420)
    bot_l, bot_r = (50, 440, 290, 700), (310, 440, 550, 700)
    boxes = [bot_r, table, top_r, title, bot_l, top_l]
    order = [boxes[i] for i in reading_order(boxes)]
    assert order == [title, top_l, top_r, table, bot_l, bot_r]


def test_three_columns_with_aligned_gaps():
    cols = [(50, 200), (220, 370), (390, 540)]
    boxes = []
    for x0, x1 in cols:
        boxes += [(x0, 100, x1, 190), (x0, 200, x1, 290)]
    order = reading_order(boxes)
    assert order == [0, 1, 2, 3, 4, 5]


def test_right_to_left_columns():
    left, right = (50, 100, 290, 400), (310, 100, 550, 400)
    assert reading_order([left, right], rtl=True) == [1, 0]
    assert reading_order([left, right], rtl=False) == [0, 1]


def test_page_direction():
    assert page_is_rtl(["שלום עולם", "مرحبا بالعالم"])
    assert not page_is_rtl(["Hello world", "R and Python"])


def test_side_heading_is_read_where_it_stands():
    # a heading set in the left margin, beside a single text column under a page heading
    top = (65, 74, 151, 91)
    intro = (137, 130, 548, 200)
    second = (137, 215, 546, 260)
    side = (65, 288, 125, 300)
    after = (137, 320, 547, 342)
    bio = (263, 376, 542, 517)
    boxes = [bio, side, after, top, second, intro]
    assert [boxes[i] for i in reading_order(boxes)] == [top, intro, second, side, after, bio]


def _line(x0, y0, x1, text, size=9.0):
    from docparse.engines.layout.text import Line, Span

    bbox = (x0, y0, x1, y0 + size)
    return Line(bbox=bbox, spans=[Span(text, bbox, "Helvetica", size, 0)])


def test_banner_across_a_wide_gutter_is_read_side_by_side():
    # one picture box over a banner: a publication name at the left, a section name far right;
    # below it a narrow left column (side heading) and the main text column at the right
    from docparse.document import Label
    from docparse.engines.layout.blocks import build_blocks
    from docparse.engines.layout.context import PageContext, Region

    left = [_line(94, 138, 234, "IBM Systems Lab Services and Training"), _line(94, 147, 150, "Solution Brief")]
    right = [_line(461, 138, 506, "Power Services")]
    banner = Region(bbox=(94, 138, 506, 156), label=Label.IMAGE, lines=left + right)
    side = Region(bbox=(145, 328, 189, 337), label=Label.HEADING, lines=[_line(145, 328, 189, "Highlights")])
    title = Region(bbox=(280, 239, 464, 273), label=Label.TITLE, lines=[_line(280, 239, 464, "Center of Excellence", 24)])
    body = Region(bbox=(280, 316, 488, 363), label=Label.PARAGRAPH, lines=[_line(280, 316, 488, "We build confident clients")])
    blocks = build_blocks([body, side, banner, title], PageContext(None, 0))
    texts = [b.text for b in sorted(blocks, key=lambda b: b.order)]
    assert texts == [
        "IBM Systems Lab Services and Training\nSolution Brief",
        "Highlights",
        "Power Services",
        "Center of Excellence",
        "We build confident clients",
    ]


def test_side_by_side_keeps_numbers_rows_and_figures_whole():
    from docparse.document import Label
    from docparse.engines.layout.blocks import build_blocks
    from docparse.engines.layout.columns import side_by_side
    from docparse.engines.layout.context import PageContext, Region

    # a figure with axis words far apart stays one picture
    words = [_line(60, 150, 110, "Pressure"), _line(400, 300, 450, "Temperature")]
    figure = Region(bbox=(50, 100, 500, 320), label=Label.IMAGE, lines=words)
    assert len(build_blocks([figure], PageContext(None, 0))) == 1

    # a heading number set apart by a tab
    assert len(side_by_side([_line(50, 100, 60, "3.6"), _line(120, 100, 220, "Sorption isotherm")])) == 1
    # key / value rows read across
    rows = [_line(50, 100 + 12 * k, 120, f"Name{k} field") for k in range(3)]
    rows += [_line(300, 100 + 12 * k, 380, f"Value{k} here") for k in range(3)]
    assert len(side_by_side(rows)) == 1
    # words close together: one group
    assert len(side_by_side([_line(50, 100, 200, "Some words"), _line(210, 100, 300, "more words")])) == 1
    # a lone line at the far side of a band: two groups
    band = [_line(50, 100, 200, "Publication name"), _line(50, 109, 120, "Second line"), _line(450, 100, 520, "Section name")]
    assert [len(g) for g in side_by_side(band)] == [2, 1]
