"""Outputs back to their safe state however the process ends, short of SIGKILL or power loss.

``with failsafe(outputs): run()`` covers a clean return, an unhandled exception (the ``with``
unwinds), SIGTERM and SIGHUP (turned into ``SystemExit(128 + signum)`` so the same unwinding
runs, as systemd expects), and interpreter exit through ``atexit``. What the wiring must do when
the process is killed outright is in ``hw/WIRING.md``.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Protocol

EXIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP)


class SupportsSafe(Protocol):
    def safe(self) -> None: ...


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def failsafe(*targets: SupportsSafe, signals: tuple[signal.Signals, ...] = EXIT_SIGNALS) -> Iterator[None]:
    """Call ``safe()`` on every target when the block ends, by any route.

    Signal handlers can only be installed from the main thread; elsewhere the block still makes
    outputs safe on return and exception, and the caller's main thread owns signal handling.
    """

    def make_safe() -> None:
        for target in targets:
            with contextlib.suppress(Exception):
                target.safe()

    previous: dict[signal.Signals, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in signals:
            previous[sig] = signal.signal(sig, _exit_on_signal)
    atexit.register(make_safe)
    try:
        yield
    finally:
        make_safe()
        atexit.unregister(make_safe)
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
