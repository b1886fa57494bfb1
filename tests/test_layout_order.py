"""Reading order of region boxes: columns, full-width breaks, right-to-left pages."""

from docparse.engines.layout_order import page_is_rtl, reading_order


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
