"""Foreground pixels → blobs (8-connected components) with the statistics the later stages use.

Labelling works on horizontal runs: numpy finds the runs of every row at once, and a small
union-find joins runs that touch in neighbouring rows. A thermal frame has a handful of runs,
so this costs far less than a per-pixel flood fill and needs no image-processing library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

MIN_PIECE_PX = 2
Box = tuple[int, int, int, int]
BBox = tuple[float, float, float, float]  # an event's bbox: x, y, w, h as shares of the frame


@dataclass(slots=True)
class Blob:
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int  # exclusive
    area: int
    cx: float
    cy: float
    mean_excess: float  # mean |frame − background| over the blob, °C (or gray levels)
    peak_excess: float  # signed residual of the pixel furthest from the background
    peak_value: float  # the frame value at that pixel (°C for thermal frames)
    peak_x: float  # where that pixel is (its centre)
    peak_y: float
    hot_area: int  # pixels at least ``hot_delta`` above the background
    warm_mass: float  # Σ (excess − warm_delta) over pixels warmer than that: heat beyond a body's
    beside_vehicle: bool = False  # cut away from a parked vehicle (see find_blobs_cut)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x1, self.y1

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def label_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Runs of True in each row: (row, start, end exclusive, component root per run).

    The frame is scanned as one flat array with a False column after each row, so that no run
    wraps into the next: its edges come from a single comparison and ``flatnonzero``. Runs come
    sorted by row, then by start (and so by end); each is joined with the runs of the row above
    that it touches (8-connected: a diagonal touch counts), found by walking both rows once.
    """
    h, w = mask.shape
    stride = w + 1
    flat = np.zeros(h * stride + 1, dtype=bool)
    flat[1:].reshape(h, stride)[:, :w] = mask
    edges = np.flatnonzero(flat[1:] != flat[:-1])  # k: pixel k of the padded frame starts or ends a run
    rows = edges[::2] // stride
    starts = edges[::2] - rows * stride
    ends = edges[1::2] - rows * stride
    n = len(starts)
    parent = list(range(n))
    rows_l = rows.tolist()
    starts_l = starts.tolist()
    ends_l = ends.tolist()
    above = above_end = row_begin = 0  # runs [above, above_end) of the row above may touch run i
    cur_row = -1
    for i in range(n):
        r = rows_l[i]
        if r != cur_row:
            above, above_end = (row_begin, i) if r == cur_row + 1 else (i, i)
            cur_row, row_begin = r, i
        s, e = starts_l[i], ends_l[i]
        while above < above_end and ends_l[above] < s:
            above += 1
        j = above
        while j < above_end and starts_l[j] <= e:
            rj = _find(parent, j)
            if parent[i] == i:  # i has joined nothing yet: it joins j's component, whose root is smaller
                parent[i] = rj
            else:
                ri = _find(parent, i)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
            j += 1
    roots = [_find(parent, i) for i in range(n)]
    return rows, starts, ends, roots


def find_blobs(
    fg: np.ndarray,
    residual: np.ndarray,
    pixels: np.ndarray,
    *,
    min_area: int = 1,
    hot_delta: float = 15.0,
    warm_delta: float = 5.0,
) -> list[Blob]:
    """The components of ``fg`` with their statistics, in the order of their first run.

    Statistics for all blobs at once: the runs are expanded to pixels, labelled by component, and
    summed per label with ``bincount``, so the cost barely grows with the number of objects.
    """
    rows, starts, ends, roots = label_runs(fg)
    if not roots:
        return []
    root = np.asarray(roots)
    n_runs = len(root)
    is_first = root == np.arange(n_runs)  # a component's root is its first run
    comp = (np.cumsum(is_first) - 1)[root]
    n = int(is_first.sum())
    lengths = ends - starts
    run_of = np.repeat(np.arange(n_runs), lengths)
    xs = starts[run_of] + (np.arange(len(run_of)) - (np.cumsum(lengths) - lengths)[run_of])
    ys = rows[run_of]
    label = comp[run_of]
    res = residual[ys, xs]
    vals = pixels[ys, xs]
    mag = np.abs(res)
    weight = mag + 1e-6
    area = np.bincount(label, minlength=n)
    total = np.bincount(label, weights=weight, minlength=n)
    sum_x = np.bincount(label, weights=xs * weight, minlength=n)
    sum_y = np.bincount(label, weights=ys * weight, minlength=n)
    hot = np.bincount(label, weights=res >= hot_delta, minlength=n)
    warm = np.bincount(label, weights=np.maximum(res - warm_delta, 0.0), minlength=n)
    by_comp = np.argsort(comp, kind="stable")
    cuts = np.searchsorted(comp[by_comp], np.arange(n))
    x0 = np.minimum.reduceat(starts[by_comp], cuts)
    x1 = np.maximum.reduceat(ends[by_comp], cuts)
    y1 = np.maximum.reduceat(rows[by_comp], cuts) + 1
    y0 = rows[is_first]
    by_strength = np.lexsort((-mag, label))  # per label, the pixel furthest from the background first
    peak = by_strength[np.searchsorted(label[by_strength], np.arange(n))]
    blobs: list[Blob] = []
    for i, (a, k) in enumerate(zip(area.tolist(), peak.tolist(), strict=True)):
        if a < min_area:
            continue
        t = float(total[i])
        blobs.append(
            Blob(
                x0=int(x0[i]),
                y0=int(y0[i]),
                x1=int(x1[i]),
                y1=int(y1[i]),
                area=a,
                cx=float(sum_x[i]) / t + 0.5,
                cy=float(sum_y[i]) / t + 0.5,
                mean_excess=t / a,
                peak_excess=float(res[k]),
                peak_value=float(vals[k]),
                peak_x=float(xs[k]) + 0.5,
                peak_y=float(ys[k]) + 0.5,
                hot_area=int(hot[i]),
                warm_mass=float(warm[i]),
            )
        )
    return blobs


@dataclass(frozen=True, slots=True)
class Settled:
    """An object standing still: its box, where its centre stands, and how far that may wander."""

    box: Box
    anchor: tuple[float, float]
    radius: float


def find_blobs_cut(
    fg: np.ndarray,
    residual: np.ndarray,
    pixels: np.ndarray,
    settled: list[Settled],
    **kwargs: float,
) -> list[Blob]:
    """:func:`find_blobs`, with blobs that reach out of a settled object's box cut along it.

    A driver stepping out of a car that has just parked touches the car's pixels and would
    otherwise be one blob with it for as long as they touch. The part of a blob inside a settled
    box stays with the object; each piece outside is a blob of its own. A blob whose centre has
    left the settled object's anchor is that object moving off, and is not cut.
    """
    blobs = find_blobs(fg, residual, pixels, **kwargs)  # type: ignore[arg-type]
    if not settled or not blobs:
        return blobs
    cutting = [
        s.box
        for s in settled
        if (crossing := [b for b in blobs if _crosses(s.box, b)])
        and all(math.hypot(b.cx - s.anchor[0], b.cy - s.anchor[1]) <= s.radius for b in crossing)
    ]
    if not cutting:
        return blobs
    inside = box_mask(fg.shape, cutting)
    around = box_mask(fg.shape, cutting, grow=1)
    pieces = find_blobs(fg & ~inside, residual, pixels, **kwargs)  # type: ignore[arg-type]
    for b in pieces:
        b.beside_vehicle = bool(around[b.y0 : b.y1, b.x0 : b.x1].any())
    # a single pixel at a still object's edge is its outline jittering, not somebody leaving it
    pieces = [b for b in pieces if b.area >= MIN_PIECE_PX or not b.beside_vehicle]
    return [*find_blobs(fg & inside, residual, pixels, **kwargs), *pieces]  # type: ignore[arg-type]


def box_mask(
    shape: tuple[int, int], boxes: Iterable[Box], *, grow: int = 0, out: np.ndarray | None = None
) -> np.ndarray:
    """True inside any of ``boxes`` (x0, y0, x1, y1), each grown by ``grow`` pixels, clipped to the frame."""
    mask = np.zeros(shape, dtype=bool) if out is None else out
    if out is not None:
        mask.fill(False)
    h, w = shape
    for x0, y0, x1, y1 in boxes:
        mask[max(0, y0 - grow) : min(h, y1 + grow), max(0, x0 - grow) : min(w, x1 + grow)] = True
    return mask


def _crosses(box: Box, b: Blob) -> bool:
    """The blob overlaps the box without lying wholly inside it."""
    x0, y0, x1, y1 = box
    overlaps = b.x0 < x1 and x0 < b.x1 and b.y0 < y1 and y0 < b.y1
    return overlaps and not (x0 <= b.x0 and b.x1 <= x1 and y0 <= b.y0 and b.y1 <= y1)


def clear_of_sides(box: Box, shape: tuple[int, int]) -> bool:
    return box[0] > 0 and box[2] < shape[1]


def cut_by_top_only(box: Box, shape: tuple[int, int]) -> bool:
    """Cut by the top of the view only: someone far off, only part of whom shows."""
    return box[1] == 0 and clear_of_sides(box, shape)


def on_edge(box: Box, shape: tuple[int, int]) -> bool:
    x0, y0, x1, y1 = box
    return x0 == 0 or y0 == 0 or x1 == shape[1] or y1 == shape[0]


def normalised_box(box: Box, shape: tuple[int, int]) -> BBox:
    """A pixel box (x0, y0, x1, y1, exclusive) as an event's ``bbox``: x, y, w, h in 0..1."""
    h, w = shape
    x0, y0, x1, y1 = box
    return (round(x0 / w, 4), round(y0 / h, 4), round((x1 - x0) / w, 4), round((y1 - y0) / h, 4))
