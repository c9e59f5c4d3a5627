"""Adaptive per-pixel background: what the scene looks like with nobody in it.

Each pixel keeps a running mean and variance (exponential moving averages with time constant
``tau_s``, so the rate does not depend on the frame rate). Two things make it follow slow
drift without swallowing a person who stands still:

* a **global offset**: the median change of the pixels that are background is added to every
  pixel, including those under a track, so a scene cooling after sunset or warming after the
  lights came on moves the whole model, and a still person stays as far above it as they were;
* **frozen pixels**: pixels under a live track are not learnt from. The tracker decides when a
  still object has become scenery (a parked car) and hands it over with ``absorb``.

The offset may move at most ``max_drift_per_s`` per second, so covering or turning the sensor
shows up as most pixels changing at once (tamper), not as drift.

Foreground is decided on the residual smoothed over ``smooth_s`` (a fraction of a second):
a single noisy reading does not light a pixel, an object that stays a few frames does. The
threshold scales with how much that smoothing reduces each pixel's noise.
"""

from __future__ import annotations

import math

import numpy as np

from hw.frame import ThermalFrame

MAX_OFFSET_SAMPLES = 1200
WARMUP_FRAMES = 12
WARMUP_S = 1.0


def median(values: np.ndarray) -> float:
    """The median by partition: ``np.median`` is 8× slower on a frame's worth of pixels and imports
    ``numpy.ma`` (1.5 MB resident) on first use for a NaN check these values never need."""
    flat = values.ravel()
    k = flat.size // 2
    if flat.size % 2:
        return float(np.partition(flat, k)[k])
    part = np.partition(flat, (k - 1, k))
    return (float(part[k - 1]) + float(part[k])) / 2.0


class Background:
    def __init__(
        self,
        *,
        threshold: float,
        noise_k: float = 4.0,
        tau_s: float = 60.0,
        max_drift_per_s: float = 0.25,
        smooth_s: float = 0.15,
    ) -> None:
        self.smooth_s = smooth_s
        self.threshold = threshold
        self.noise_k = noise_k
        self.tau_s = tau_s
        self.max_drift_per_s = max_drift_per_s
        self.mean: np.ndarray | None = None
        self.var: np.ndarray | None = None
        self._min_var = (threshold / noise_k / 2.0) ** 2
        self._max_var = (threshold * 4.0 / noise_k) ** 2
        self._last_t: float | None = None
        self._since: float | None = None
        self._elapsed = 0.0
        self._frames = 0
        self._stride = 1
        self._residual: np.ndarray | None = None
        self._smooth: np.ndarray | None = None
        self._fg: np.ndarray | None = None
        self._thr: np.ndarray | None = None

    @property
    def warm(self) -> bool:
        """Seen enough frames since the last reset to tell objects from sensor noise."""
        return self._frames >= WARMUP_FRAMES and self._since is not None and self._elapsed >= WARMUP_S

    def reset(self, pixels: np.ndarray, t: float) -> None:
        """Learn the scene from scratch from this frame (start, sensor change, after tamper)."""
        h, w = pixels.shape
        self.mean = pixels.astype(np.float32, copy=True)
        self.var = np.full((h, w), (self.threshold / self.noise_k) ** 2, dtype=np.float32)
        self._residual = np.empty((h, w), dtype=np.float32)
        self._smooth = np.zeros((h, w), dtype=np.float32)
        self._fg = np.zeros((h, w), dtype=bool)
        self._thr = np.full((h, w), self.threshold, dtype=np.float32)
        self._stride = max(1, math.ceil(math.sqrt(h * w / MAX_OFFSET_SAMPLES)))
        self._last_t = t
        self._since = t
        self._elapsed = 0.0
        self._frames = 1

    def compare(self, frame: ThermalFrame, watched: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Residual (frame − background after drift), foreground mask, and the offset applied.

        ``watched`` is False on mask pixels; they are never foreground. The arrays returned are
        reused by the next call.
        """
        pixels = frame.pixels
        if self.mean is None or self.mean.shape != pixels.shape:
            self.reset(pixels, frame.timestamp)
        assert self.mean is not None and self._residual is not None and self._fg is not None
        assert self._thr is not None and self._smooth is not None
        dt = max(0.0, frame.timestamp - (self._last_t or frame.timestamp))
        np.subtract(pixels, self.mean, out=self._residual)
        s = self._stride
        quiet = watched[::s, ::s] & ~self._fg[::s, ::s]
        sample = self._residual[::s, ::s][quiet]
        offset = median(sample) if sample.size >= 8 else 0.0
        limit = self.max_drift_per_s * max(dt, 1e-3)
        offset = min(max(offset, -limit), limit)
        if offset:
            self.mean += offset
            self._residual -= offset
        a = 1.0 - math.exp(-dt / self.smooth_s) if dt > 0 else 1.0
        self._smooth += (self._residual - self._smooth) * a
        # noise of an EMA with weight a is σ·sqrt(a / (2 − a)); the floor keeps small excursions out
        factor = max(0.5, math.sqrt(a / (2.0 - a)))
        np.greater(np.abs(self._smooth), self._thr * factor, out=self._fg)
        self._fg &= watched
        return self._residual, self._fg, offset

    def learn(self, t: float, frozen: np.ndarray | None, *, tau_s: float | None = None) -> None:
        """Move the model towards the last compared frame, except where ``frozen`` is True
        (``tau_s`` overrides the time constant for this step: faster while the weather changes)."""
        assert self.mean is not None and self.var is not None and self._residual is not None
        assert self._thr is not None
        dt = max(0.0, t - (self._last_t if self._last_t is not None else t))
        self._last_t = t
        if dt <= 0.0:
            return
        self._frames += 1
        self._elapsed += dt
        # a running average of every frame so far until tau_s is reached: the first frame's noise
        # must not stay baked into the model for a minute
        alpha = max(1.0 - math.exp(-dt / (tau_s or self.tau_s)), 1.0 / self._frames)
        step = self._residual * alpha
        sq = np.square(self._residual)
        if frozen is not None:
            step[frozen] = 0.0
            sq[frozen] = self.var[frozen]
        self.mean += step
        self.var += (sq - self.var) * alpha
        np.clip(self.var, self._min_var, self._max_var, out=self.var)
        np.sqrt(self.var, out=self._thr)
        self._thr *= self.noise_k
        np.maximum(self._thr, self.threshold, out=self._thr)

    def hold(self, t: float) -> None:
        """Skip learning for this frame (tamper, bad frame) without a catch-up jump later."""
        self._last_t = t

    def absorb(self, pixels: np.ndarray, box: tuple[int, int, int, int]) -> None:
        """Make what is in ``box`` (x0, y0, x1, y1, exclusive) part of the scene at once."""
        assert self.mean is not None
        x0, y0, x1, y1 = box
        self.mean[y0:y1, x0:x1] = pixels[y0:y1, x0:x1]
