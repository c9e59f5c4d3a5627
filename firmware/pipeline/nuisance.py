"""Where tracks keep appearing that never turn out to be anyone.

The end of a parked row in the rain, or a far parked car after a scene change, makes one blob
after another: pieces that come and go, each a new track. Most stay unclassified; now and then
one passes for a person for long enough. A rule on one track only moves that false alarm to the
next track from the same spot, so the incident book remembers the spots: a track that has been
unclassified for a while (``LONG_UNCLASSED_S`` all told) without being reported as a person or a
vehicle adds one to a per-pixel count under its box, and one more under its last box when it is
dropped still unreported; the count fades with ``tau_s``. Where it is ``NUISANCE_LEVEL`` or more,
a person must look plainly like one (:class:`~firmware.pipeline.incidents.IncidentBook`).

Boxes are taken ``SPOT_MARGIN`` of the view's width wider each way (a pixel at 32 columns), both
when counted and when asked about: a far parked car in the rain comes apart into one-pixel pieces
a pixel or two apart, and the piece that then passes for a person jitters about among them (a
fresh suite's nuisance hour, nuisance-12002, had four false persons so, its box never on the
pixels counted).
"""

from __future__ import annotations

import numpy as np

from firmware.pipeline.blobs import Box

NUISANCE_TAU_S = 600.0  # a spot's count falls to a third in ten minutes without new tracks
NUISANCE_LEVEL = 2.0
SPOT_MARGIN = 1 / 32


class NuisanceSpots:
    def __init__(self, shape: tuple[int, int], *, tau_s: float = NUISANCE_TAU_S) -> None:
        self.tau_s = tau_s
        self.count = np.zeros(shape, dtype=np.float32)
        self.stamp = np.full(shape, -np.inf)  # when each pixel's count was last added to
        self.empty = True  # nothing added yet: the usual case, answered without touching the arrays
        self.margin = max(1, round(shape[1] * SPOT_MARGIN))

    def add(self, box: Box, t: float) -> None:
        """One more track here that came to nothing."""
        area = self._around(box)
        self.count[area] = self.count[area] * self._fade(area, t) + 1.0
        self.stamp[area] = np.maximum(self.stamp[area], t)
        self.empty = False

    def level(self, box: Box, t: float) -> float:
        """The faded count at its highest under ``box`` and round it (``SPOT_MARGIN``)."""
        if self.empty:
            return 0.0
        area = self._around(box)
        count = self.count[area]
        if not count.any():
            return 0.0
        return float((count * self._fade(area, t)).max())

    def _around(self, box: Box) -> tuple[slice, slice]:
        """The box grown by SPOT_MARGIN of the frame's width each way (a pixel at 32)."""
        x0, y0, x1, y1 = box
        m = self.margin
        return slice(max(0, y0 - m), y1 + m), slice(max(0, x0 - m), x1 + m)

    def _fade(self, area: tuple[slice, slice], t: float) -> np.ndarray:
        """How much of each pixel's count is left at ``t`` (a clock that stepped back fades nothing)."""
        return np.exp(-np.maximum(t - self.stamp[area], 0.0) / self.tau_s)

    def busy(self, box: Box, t: float) -> bool:
        """Tracks have come to nothing here often enough, lately, that a doubtful look is not enough."""
        return self.level(box, t) >= NUISANCE_LEVEL
