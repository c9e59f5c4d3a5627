"""Mounting correction: flip and rotate frames so row 0 is the top of the scene as installed."""

from __future__ import annotations

import numpy as np

from hw.frame import FrameSource, SourceHealth, SourceInfo, ThermalFrame


def orient(pixels: np.ndarray, *, flip_h: bool = False, flip_v: bool = False, rotate: int = 0) -> np.ndarray:
    """Apply flips, then a clockwise rotation by ``rotate`` degrees (0, 90, 180, 270)."""
    if flip_h:
        pixels = pixels[:, ::-1]
    if flip_v:
        pixels = pixels[::-1, :]
    if rotate:
        pixels = np.rot90(pixels, k=-(rotate // 90))
    return np.ascontiguousarray(pixels)


class OrientedSource:
    def __init__(self, inner: FrameSource, *, flip_h: bool = False, flip_v: bool = False, rotate: int = 0) -> None:
        if rotate not in (0, 90, 180, 270):
            raise ValueError(f"rotate must be 0, 90, 180 or 270, not {rotate}")
        self._inner = inner
        self._flip_h, self._flip_v, self._rotate = flip_h, flip_v, rotate

    @property
    def info(self) -> SourceInfo:
        inner = self._inner.info
        h, w = inner.shape
        shape = (w, h) if self._rotate in (90, 270) else (h, w)
        return SourceInfo(name=inner.name, shape=shape, fps=inner.fps, kind=inner.kind)

    def read(self, timeout: float | None = None) -> ThermalFrame | None:
        frame = self._inner.read(timeout)
        if frame is None:
            return None
        pixels = orient(frame.pixels, flip_h=self._flip_h, flip_v=self._flip_v, rotate=self._rotate)
        return ThermalFrame(pixels, frame.timestamp, frame.seq, frame.ambient, frame.kind)

    def health(self) -> SourceHealth:
        return self._inner.health()

    def close(self) -> None:
        self._inner.close()
