"""Real-time pacing for finite sources (recordings, the simulator): frame time → wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Releases frame time ``t`` at ``t0 + t`` on ``clock``, ``t0`` fixed by the first frame asked for."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._t0: float | None = None

    def due(self, t: float, timeout: float | None) -> bool:
        """Sleep until frame time ``t`` is due and return True, or sleep ``timeout`` and return False
        when it is not due within it (the caller keeps the frame for its next read)."""
        now = self._clock()
        if self._t0 is None:
            self._t0 = now - t
        wait = self._t0 + t - now
        if timeout is not None and wait > timeout:
            self._sleep(max(timeout, 0.0))
            return False
        if wait > 0:
            self._sleep(wait)
        return True
