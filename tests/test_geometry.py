import pytest

from docparse.errors import OptionsError
from docparse.geometry import PageSpace, clamp_box, iou, model_input_size, normalize_box, smart_resize


@pytest.mark.parametrize(
    "h, w, max_pixels, expected",
    [
        # the reference table (qwen2_5_vl.md §3.5): (h, w) -> (h_bar, w_bar)
        (1754, 1240, 12845056, (1764, 1232)),
        (2339, 1654, 1280 * 28 * 28, (1176, 840)),
        (2200, 1700, 2048 * 28 * 28, (1428, 1092)),
        (1532, 1014, 12845056, (1540, 1008)),  # the cookbook example
    ],
)
def test_smart_resize_matches_reference_table(h, w, max_pixels, expected):
    assert smart_resize(h, w, max_pixels=max_pixels) == expected


def test_smart_resize_min_pixels_and_multiples():
    h, w = smart_resize(10, 20, min_pixels=56 * 56)
    assert h % 28 == 0 and w % 28 == 0 and h * w >= 56 * 56


def test_smart_resize_rejects_extreme_aspect():
    with pytest.raises(OptionsError, match="aspect ratio"):
        smart_resize(10, 5000)


def test_model_input_size_letter_page():
    w, h = model_input_size(612, 792, dpi=200, max_pixels=2048 * 28 * 28)
    assert (w, h) == (1092, 1428)


def test_cookbook_box_maps_back():
    space = PageSpace(1014, 1532, 1008, 1540)
    box = space.to_points((310, 94, 658, 132))
    assert box == pytest.approx((311.8, 93.5, 661.9, 131.3), abs=0.5)


def test_boxes_normalised_and_clamped():
    assert normalize_box((10, 20, 5, 2)) == (5, 2, 10, 20)
    assert clamp_box((-5, -5, 700, 900), 612, 792) == (0, 0, 612, 792)
    space = PageSpace(612, 792, 1092, 1428)
    assert space.to_points((2000, 10, 1000, 0))[2] == 612


def test_round_trip_points_pixels():
    space = PageSpace(612, 792, 1092, 1428)
    box = (72.0, 100.0, 300.0, 250.0)
    back = space.to_points(space.to_pixels(box))
    assert back == pytest.approx(box, abs=space.sx)


def test_iou():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0


def test_smart_resize_equals_the_model_packages_twin():
    pytest.importorskip("torch")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qwen2_5_vl.processing import smart_resize as model_smart_resize

    @settings(max_examples=300, deadline=None)
    @given(st.integers(28, 6000), st.integers(28, 6000), st.sampled_from([3136, 256 * 784]),
           st.sampled_from([1280 * 784, 2048 * 784, 16384 * 784]))
    def check(h, w, lo, hi):
        if max(h, w) / min(h, w) > 200:
            return
        assert smart_resize(h, w, 28, lo, hi) == tuple(model_smart_resize(h, w, 28, lo, hi))

    check()
