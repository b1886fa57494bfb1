"""Ruling lines found in a page's pixels, for scans (OCRed pages have no vector lines).

A pixel is "ink" when it is clearly darker than its neighbourhood (a box mean over a window of
about 30 px), so light grid lines on a tinted background count and a flat fill does not. Long
runs of ink along a row (or a column) are chained into segments, tolerating small gaps (JPEG,
faint print) and a slight skew (a line may step one or two pixel rows along its length); only
thin segments (a few pixels) that are long enough are kept: text strokes and filled areas are not
lines. Positions come back in page points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from docparse.engines.layout.params import (
    ERASE_MIN_PAD_PX,
    ERASE_PAD_PT,
    INK_CONTRAST_SHARE,
    INK_MIN_CONTRAST,
    INK_WINDOW_PX,
    RULE_CLOSE_GAP_PX,
    RULE_MAX_GAP_PX,
    RULE_MAX_STEP_PX,
    RULE_MAX_THICK_PX,
    RULE_MAX_ZOOM,
    RULE_MIN_COVER,
    RULE_MIN_RUN_PX,
    RULE_TARGET_PX,
)
from docparse.geometry import BBox

Segment = tuple[float, float, float]  # (position across, start along, end along), in points



def render_gray(page: Any, clip: BBox, zoom: float | None = None) -> tuple[np.ndarray, float]:
    """The ``clip`` of ``page`` as a grey image (uint8, rows x cols) and its zoom (px per point);
    by default about RULE_TARGET_PX over the whole page."""
    import pymupdf

    rect = page.rect
    if zoom is None:
        zoom = min(RULE_MAX_ZOOM, RULE_TARGET_PX / max(rect.width, rect.height, 1.0))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=pymupdf.Rect(clip), colorspace=pymupdf.csGRAY)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
    return img.copy(), zoom


def ink_mask(gray: np.ndarray, window: int = INK_WINDOW_PX) -> np.ndarray:
    """True where a pixel is darker than the mean of its ``window`` by a clear margin."""
    g = gray.astype(np.float32)
    h, w = g.shape
    r = window // 2
    # box mean through an integral image, edges padded by reflection; (h+1, w+1) sums
    padded = np.pad(g, r, mode="reflect") if min(h, w) > r else np.pad(g, r, mode="edge")
    integral = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1), dtype=np.float64)
    integral[1:, 1:] = padded.cumsum(0).cumsum(1)
    k = 2 * r + 1
    total = integral[k:, k:] - integral[:-k, k:] - integral[k:, :-k] + integral[:-k, :-k]  # (h, w)
    mean = total / (k * k)
    margin = np.maximum(INK_MIN_CONTRAST, INK_CONTRAST_SHARE * mean)
    return g < mean - margin


def _runs(mask: np.ndarray, min_run: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of each horizontal run of True at least ``min_run`` long."""
    h, w = mask.shape
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)  # (h, w+1)
    rows_s, starts = np.nonzero(edges == 1)
    rows_e, ends = np.nonzero(edges == -1)
    # starts and ends come in the same row-major order, one end per start
    keep = ends - starts >= min_run
    return list(zip(rows_s[keep].tolist(), starts[keep].tolist(), ends[keep].tolist()))


def _close_gaps(mask: np.ndarray, gap: int = RULE_CLOSE_GAP_PX) -> np.ndarray:
    """Fill holes up to ``gap`` px along each row (a faint line breaks into dashes)."""
    out = mask.copy()
    for k in range(1, gap + 1):
        left = np.zeros_like(mask)
        right = np.zeros_like(mask)
        left[:, k:] = mask[:, :-k]
        right[:, :-k] = mask[:, k:]
        out |= left & right
    return out


def row_segments(mask: np.ndarray, min_len: int) -> list[tuple[float, int, int, float]]:
    """Horizontal segments of ``mask``: (row, x0, x1, thickness) in pixels, ``min_len`` long at least."""
    runs = _runs(_close_gaps(mask), RULE_MIN_RUN_PX)
    if not runs:
        return []
    runs.sort(key=lambda r: (r[1], r[0]))  # along x, then row
    chains: list[list[tuple[int, int, int]]] = []
    ends: list[int] = []  # right end of each chain
    active: dict[int, list[int]] = {}  # row of a chain's last piece -> chains still open there
    for row, x0, x1 in runs:
        best, best_step = None, RULE_MAX_STEP_PX + 1
        for r in range(row - RULE_MAX_STEP_PX, row + RULE_MAX_STEP_PX + 1):
            open_here = [i for i in active.get(r, []) if ends[i] >= x0 - RULE_MAX_GAP_PX]
            active[r] = open_here  # chains that ended before x0 stay closed: runs come in x order
            for i in open_here:
                if abs(r - row) < best_step:
                    best, best_step = i, abs(r - row)
        if best is None:
            chains.append([(row, x0, x1)])
            ends.append(x1)
            active.setdefault(row, []).append(len(chains) - 1)
            continue
        last_row = chains[best][-1][0]
        chains[best].append((row, x0, x1))
        ends[best] = max(ends[best], x1)
        if last_row != row:
            active[last_row].remove(best)
            active.setdefault(row, []).append(best)
    pieces = []
    for chain in chains:
        pixels = sum(r[2] - r[1] for r in chain)
        row = sum(r[0] * (r[2] - r[1]) for r in chain) / pixels
        x0, x1 = min(r[1] for r in chain), max(r[2] for r in chain)
        pieces.append((row, x0, x1, float(pixels), float(x1 - x0)))
    out = []
    for row, x0, x1, pixels, covered in _merge_collinear(pieces):
        # a rule is solid along most of its length; text strokes in a column of rows are not
        if x1 - x0 >= min_len and pixels / (x1 - x0) <= RULE_MAX_THICK_PX and covered >= RULE_MIN_COVER * (x1 - x0):
            out.append((row, x0, x1, pixels / (x1 - x0)))
    return out


def _merge_collinear(pieces: list[tuple[float, int, int, float, float]]) -> list[tuple[float, int, int, float, float]]:
    """Pieces on the same row (within a few px) with a short gap between them become one line
    (a rule broken where text or a crossing rule touches it); pixel counts and covered lengths
    add up."""
    out: list[tuple[float, int, int, float, float]] = []
    by_row: dict[int, list[int]] = {}  # rounded row -> indices into out
    for p in sorted(pieces, key=lambda p: p[1]):  # by start along the line
        row = round(p[0])
        near = [i for r in range(row - 3, row + 4) for i in by_row.get(r, [])]
        home = next((i for i in near if abs(out[i][0] - p[0]) <= 3 and p[1] <= out[i][2] + 3 * RULE_MAX_GAP_PX), None)
        if home is None:
            by_row.setdefault(row, []).append(len(out))
            out.append(p)
        else:
            o = out[home]
            out[home] = (o[0], o[1], max(o[2], p[2]), o[3] + p[3], o[4] + max(0.0, min(p[4], p[2] - o[2])))
    return out


def ruling_lines(page: Any, clip: BBox, min_len: float = 20.0) -> tuple[list[Segment], list[Segment]]:
    """Horizontal ``(y, x0, x1)`` and vertical ``(x, y0, y1)`` ruling lines in ``clip``, in points.

    ``min_len`` is the shortest line kept, in points.
    """
    gray, zoom = render_gray(page, clip)
    if gray.size == 0 or min(gray.shape) < 8:
        return [], []
    return lines_in_image(gray, zoom, clip, min_len)


def lines_in_image(gray: np.ndarray, zoom: float, origin: BBox, min_len: float) -> tuple[list[Segment], list[Segment]]:
    """``ruling_lines`` on an already rendered grey image of ``origin`` at ``zoom`` px per point."""
    mask = ink_mask(gray)
    px = max(int(min_len * zoom), RULE_MIN_RUN_PX)
    ox, oy = origin[0], origin[1]
    horizontal = [
        (oy + (row + 0.5) / zoom, ox + x0 / zoom, ox + x1 / zoom) for row, x0, x1, _ in row_segments(mask, px)
    ]
    vertical = [
        (ox + (col + 0.5) / zoom, oy + y0 / zoom, oy + y1 / zoom) for col, y0, y1, _ in row_segments(mask.T, px)
    ]
    return horizontal, vertical


def erase_lines(gray: np.ndarray, zoom: float, origin: BBox, horizontal: list[Segment], vertical: list[Segment]) -> None:
    """Paint the ruling lines of ``gray`` (an image of ``origin`` at ``zoom``) over with white, in
    place: a band a few pixels wide around each line, so OCR sees plain text."""
    h, w = gray.shape
    pad = max(ERASE_MIN_PAD_PX, int(round(ERASE_PAD_PT * zoom)))
    for y, x0, x1 in horizontal:
        r = int(round((y - origin[1]) * zoom))
        c0, c1 = int((x0 - origin[0]) * zoom), int(np.ceil((x1 - origin[0]) * zoom))
        gray[max(r - pad, 0) : min(r + pad + 1, h), max(c0, 0) : min(c1 + 1, w)] = 255
    for x, y0, y1 in vertical:
        c = int(round((x - origin[0]) * zoom))
        r0, r1 = int((y0 - origin[1]) * zoom), int(np.ceil((y1 - origin[1]) * zoom))
        gray[max(r0, 0) : min(r1 + 1, h), max(c - pad, 0) : min(c + pad + 1, w)] = 255
