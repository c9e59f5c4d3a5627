"""Draw a thermal frame as terminal cells: ``▀`` with the upper pixel as foreground colour and the
lower pixel as background, so one text line carries two pixel rows and pixels come out square.

Every pixel is scaled up to ``scale × scale`` sub-pixels (nearest neighbour: an installer wants
to see the sensor's real pixels, not a smoothed guess). Overlays are drawn on the sub-pixel grid
so a zone edge is one thin line inside the zone and the thermal image stays readable:
zones as coloured outlines, masks darkened with a grey edge (those pixels are never processed),
tracks as boxes in their class colour, the hottest pixel and the cursor as white/green frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

from firmware.view.palette import IRON

# overlay colour ids live above the 0..255 palette indices
ZONE_COLOURS = [(0, 220, 255), (80, 255, 120), (255, 120, 255), (120, 160, 255)]
CLASS_COLOURS = {
    "fire": (255, 40, 40),
    "person": (255, 255, 0),
    "vehicle": (0, 200, 255),
    "other": (200, 200, 200),
}
MASK_EDGE = (150, 150, 150)
HOTTEST = (255, 255, 255)
CURSOR = (0, 255, 0)
MASK_DIM = 0.3


@dataclass(frozen=True, slots=True)
class Box:
    """A track box in frame pixels (x1, y1 exclusive) and its class."""

    x0: int
    y0: int
    x1: int
    y1: int
    label: str = "other"


@dataclass(slots=True)
class Overlays:
    zones: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (name, bool mask [H, W])
    masks: list[np.ndarray] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    hottest: tuple[int, int] | None = None  # (row, col)
    cursor: tuple[int, int] | None = None


def temperature_range(pixels: np.ndarray, span_min_c: float = 6.0, headroom_c: float = 25.0) -> tuple[float, float]:
    """Colour scale for one frame: from the 1st percentile to the hottest pixel, but at most
    ``headroom_c`` above the 90th percentile (the scene, not what stands in it), so a 400 °C fire
    saturates to white instead of turning the rest of the lot black; at least ``span_min_c`` wide
    so sensor noise is not blown up into false structure."""
    finite = pixels[np.isfinite(pixels)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, p90 = (float(v) for v in np.percentile(finite, [1.0, 90.0]))
    hi = min(float(finite.max()), p90 + headroom_c)
    if hi - lo < span_min_c:
        mid = (hi + lo) / 2
        lo, hi = mid - span_min_c / 2, mid + span_min_c / 2
    return lo, hi


def _edges(mask: np.ndarray) -> np.ndarray:
    """Sub-pixels inside ``mask`` with a 4-neighbour outside it (or on the image border)."""
    padded = np.pad(mask, 1, constant_values=False)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~inner


def _frame_edges(shape: tuple[int, int], row: int, col: int, scale: int) -> np.ndarray:
    block = np.zeros(shape, dtype=bool)
    block[row * scale : (row + 1) * scale, col * scale : (col + 1) * scale] = True
    return _edges(block)


class Heatmap:
    """A rich renderable: build once per frame, print it or put it in a textual widget."""

    def __init__(
        self,
        pixels: np.ndarray,
        *,
        scale: int = 2,
        lo: float | None = None,
        hi: float | None = None,
        overlays: Overlays | None = None,
    ) -> None:
        self.scale = max(1, int(scale))
        if lo is None or hi is None:
            lo, hi = temperature_range(pixels)
        self.lo, self.hi = lo, hi
        self.rgb = self._compose(np.asarray(pixels, dtype=np.float32), overlays or Overlays())

    @property
    def size(self) -> tuple[int, int]:
        """(columns, lines) on screen."""
        h, w = self.rgb.shape[:2]
        return w, (h + 1) // 2

    def _compose(self, pixels: np.ndarray, ov: Overlays) -> np.ndarray:
        s = self.scale
        norm = np.clip((np.nan_to_num(pixels, nan=self.lo) - self.lo) / max(1e-6, self.hi - self.lo), 0.0, 1.0)
        rgb = IRON[(norm * 255).astype(np.uint8)].astype(np.float32)
        masked = np.zeros(pixels.shape, dtype=bool)
        for m in ov.masks:
            masked |= m
        rgb[masked] *= MASK_DIM
        big = rgb.repeat(s, axis=0).repeat(s, axis=1)
        shape = big.shape[:2]

        def up(mask: np.ndarray) -> np.ndarray:
            return mask.repeat(s, axis=0).repeat(s, axis=1)

        if s > 1:  # outlines only where they leave the pixel's colour visible
            for m in ov.masks:
                big[_edges(up(m))] = MASK_EDGE
            for i, (_, m) in enumerate(ov.zones):
                big[_edges(up(m))] = ZONE_COLOURS[i % len(ZONE_COLOURS)]
        for box in ov.boxes:
            block = np.zeros(shape, dtype=bool)
            block[box.y0 * s : box.y1 * s, box.x0 * s : box.x1 * s] = True
            big[_edges(block)] = CLASS_COLOURS.get(box.label, CLASS_COLOURS["other"])
        if ov.hottest is not None and s > 1:
            big[_frame_edges(shape, *ov.hottest, s)] = HOTTEST
        if ov.cursor is not None:
            big[_frame_edges(shape, *ov.cursor, s)] = CURSOR
        return big.round().astype(np.uint8)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.segments()

    def segments(self) -> Iterable[Segment]:
        rgb = self.rgb
        h = rgb.shape[0]
        styles: dict[bytes, Style] = {}
        for y in range(0, h, 2):
            top = rgb[y]
            bottom = rgb[y + 1] if y + 1 < h else None
            for x in range(rgb.shape[1]):
                key = top[x].tobytes() + (bottom[x].tobytes() if bottom is not None else b"")
                style = styles.get(key)
                if style is None:
                    fg = "rgb({},{},{})".format(*top[x])
                    bg = "rgb({},{},{})".format(*bottom[x]) if bottom is not None else None
                    style = styles[key] = Style(color=fg, bgcolor=bg)
                yield Segment("▀", style)
            yield Segment.line()


def colour_bar(lo: float, hi: float, width: int = 32) -> list[Segment]:
    """A one-line scale: ``lo °C ████ hi °C``."""
    segs = [Segment(f"{lo:5.1f}°C ")]
    for i in range(width):
        r, g, b = IRON[int(i * 255 / max(1, width - 1))]
        segs.append(Segment("█", Style(color=f"rgb({r},{g},{b})")))
    segs.append(Segment(f" {hi:5.1f}°C"))
    return segs
