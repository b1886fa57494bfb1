"""Text rows: pieces glued in reading order (RTL too), verbatim code, font facts."""

from docparse.engines.layout.text import Line, Span, font_meta, is_rtl, merge_rows, unreadable, verbatim_text


def _piece(x0, x1, y, text, font="Helvetica", size=10.0, flags=0):
    bbox = (x0, y, x1, y + size)
    return Line(bbox=bbox, spans=[Span(text, bbox, font, size, flags)])


def test_rtl_pieces_are_read_right_to_left():
    left = _piece(100, 200, 50, "مرحبا ")
    right = _piece(205, 300, 50, "بالعالم ")
    lines = merge_rows([left, right])
    assert len(lines) == 1 and lines[0].rtl
    assert lines[0].text == "بالعالم مرحبا "


def test_ltr_pieces_joined_with_space_and_far_pieces_kept_apart():
    a, b = _piece(50, 100, 50, "Hello"), _piece(104, 150, 50, "world")
    far = _piece(400, 450, 50, "Other")
    lines = merge_rows([far, b, a])
    assert [ln.text for ln in lines] == ["Hello world", "Other"]


def test_is_rtl():
    assert is_rtl("שלום")
    assert not is_rtl("hello שלום world")


def test_verbatim_code_keeps_indentation():
    lines = [
        _piece(72, 72 + 6 * 8, 100, "def f():", font="Courier", flags=8),
        _piece(72 + 6 * 4, 72 + 6 * 12, 112, "return 1", font="Courier", flags=8),
    ]
    assert verbatim_text(lines) == "def f():\n    return 1"
    meta = font_meta(lines)
    assert meta["mono"] is True and meta["font_size"] == 10.0 and meta["fonts"] == ["Courier"]


def test_unreadable_text_layer():
    good = [_piece(50, 300, 50 + 12 * i, "A perfectly normal line of text") for i in range(3)]
    bad = [_piece(50, 300, 50 + 12 * i, "\ufffd\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd ok \ufffd\ufffd") for i in range(3)]
    assert not unreadable(good)
    assert unreadable(bad)
    assert not unreadable(bad[:1])  # too little text to judge


def test_narrow_gutter_between_columns_splits_rows():
    # two columns 9 pt apart (closer than the 12 pt gap that glues pieces of one row)
    pieces = []
    for i in range(4):
        y = 50 + 12 * i
        pieces += [_piece(72, 312, y, f"left {i} "), _piece(321, 561, y, f"right {i}")]
    lines = merge_rows(pieces)
    assert [ln.text.strip() for ln in lines] == [t for i in range(4) for t in (f"left {i}", f"right {i}")]
    assert all(ln.bbox[2] <= 312 or ln.bbox[0] >= 321 for ln in lines)


def test_a_lone_wide_gap_is_not_a_gutter():
    rows = [[_piece(72, 300, 50, "A full line of text")], [_piece(72, 150, 62, "Left"), _piece(158, 300, 62, "right")]]
    rows.append([_piece(72, 300, 74, "Another full line")])
    lines = merge_rows([p for row in rows for p in row])
    assert [ln.text for ln in lines] == ["A full line of text", "Left right", "Another full line"]


def _chars(text, x0, y, w=10.0, h=20.0):
    return [{"c": c, "bbox": (x0 + i * w, y, x0 + (i + 1) * w, y + h)} for i, c in enumerate(text)]


def test_ocr_rows_cut_at_gutters_whatever_size_tesseract_reports():
    from docparse.engines.layout.text import _ocr_pieces

    # Tesseract's text layer reports size 90 for a row of 20-point-high characters
    chars = _chars("left column ", 100, 50) + _chars("right", 100 + 12 * 10 + 40, 50)
    pieces = _ocr_pieces([{"size": 90.0, "chars": chars}])
    assert [p[0].text for p in pieces] == ["left column", "right"]
    assert pieces[0][0].bbox[2] == 100 + 11 * 10  # the trailing space is not part of the box
    assert 14 <= pieces[0][0].size <= 18  # from the characters' height


def test_ocr_sizes_snap_to_the_body_size():
    from docparse.engines.layout.text import snap_sizes

    rows = [_piece(72, 300, 50 + 14 * i, f"row {i}", size=s) for i, s in enumerate([10.0, 11.5, 9.0, 10.2, 20.0])]
    snap_sizes(rows)
    sizes = [r.spans[0].size for r in rows]
    assert sizes[:4] == [sizes[0]] * 4 and sizes[4] == 20.0


def test_small_label_beside_a_large_heading_is_its_own_line():
    # "Chapter 1." in 7-point print a tab away from a 26-point heading: not one row of words
    label = _piece(81, 115, 262, "Chapter 1.", size=7.0)
    heading = _piece(137, 549, 255, "Securing and protecting", size=26.0)
    assert sorted(ln.text for ln in merge_rows([heading, label])) == ["Chapter 1.", "Securing and protecting"]
    # a note mark right after the large heading still joins its row
    mark = _piece(550, 555, 255, "2", size=10.0)
    assert [ln.text for ln in merge_rows([heading, mark])] == ["Securing and protecting2"]
