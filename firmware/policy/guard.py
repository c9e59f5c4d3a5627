"""Hard maximum on-time per activation, enforced twice.

* In policy time: ``expired(now)`` lists outputs on for longer than their limit, so a replay shows
  the switch-off at the first frame at or after ``on_since + limit`` in recording time.
* On a real timer: every activation starts its own ``threading.Timer`` (cancelled on off) that
  calls ``trip(output, on_since + limit)`` from its thread, so a stalled pipeline that stops
  calling ``tick`` cannot hold a siren on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

TimerFactory = Callable[[float, Callable[[], None]], threading.Timer]


def daemon_timer(interval: float, function: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(interval, function)
    timer.daemon = True
    return timer


@dataclass(slots=True)
class _Activation:
    since: float
    limit: float
    timer: threading.Timer | None

    @property
    def deadline(self) -> float:
        return self.since + self.limit


class MaxOnGuard:
    """``trip(output, deadline)`` is called from the timer thread; the caller makes it thread-safe."""

    def __init__(
        self,
        limits: dict[str, float],
        trip: Callable[[str, float], None],
        *,
        real_timer: bool = True,
        timer_factory: TimerFactory = daemon_timer,
    ) -> None:
        self.limits = dict(limits)
        self._trip = trip
        self.real_timer = real_timer
        self._timer_factory = timer_factory
        self._active: dict[str, _Activation] = {}

    def started(self, output: str, t: float) -> None:
        limit = self.limits.get(output)
        if limit is None:
            return
        self.stopped(output)
        timer = None
        if self.real_timer:
            timer = self._timer_factory(limit, lambda: self._fire(output, t))
            timer.start()
        self._active[output] = _Activation(t, limit, timer)

    def _fire(self, output: str, since: float) -> None:
        activation = self._active.get(output)
        if activation is not None and activation.since == since:
            self._trip(output, activation.deadline)

    def stopped(self, output: str) -> None:
        activation = self._active.pop(output, None)
        if activation is not None and activation.timer is not None:
            activation.timer.cancel()

    def expired(self, now: float) -> list[tuple[str, float]]:
        """``(output, deadline)`` for every activation past its limit in policy time."""
        return [(name, a.deadline) for name, a in self._active.items() if now >= a.deadline]

    def cancel_all(self) -> None:
        for name in list(self._active):
            self.stopped(name)
