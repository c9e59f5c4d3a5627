"""Plain-text output for the view and the demo when stdout is not a terminal (CI, logs, pipes)."""

from __future__ import annotations

import sys
from typing import TextIO

from firmware.engine import StepResult
from firmware.view.snapshot import ViewSnapshot


class PlainPrinter:
    """One line per event and output change as they happen; a status line every ``every_s`` seconds."""

    def __init__(self, out: TextIO = sys.stdout, every_s: float = 10.0) -> None:
        self.out = out
        self.every_s = every_s
        self._next_status: float | None = None

    def on_result(self, result: StepResult) -> None:
        for e in result.events:
            where = f" zone={e.zone}" if e.zone else ""
            reason = f" reason={e.detail['reason']!r}" if e.detail.get("reason") else ""
            self.out.write(f"{e.t:8.1f}s event  {e.type} {e.phase} confidence={e.confidence:.2f}{where}{reason}\n")
        for a in result.actions:
            self.out.write(f"{a.t:8.1f}s output {a.output} {a.state}" + (f" ({a.reason})" if a.reason else "") + "\n")
        self.out.flush()

    def on_snapshot(self, snap: ViewSnapshot) -> None:
        if self._next_status is None:
            self._next_status = snap.t
        if snap.t < self._next_status:
            return
        self._next_status = snap.t + self.every_s
        row, col, hot = snap.hottest
        tracks = ", ".join(f"#{t.id} {t.label} {t.peak_c:.1f}°C" for t in snap.tracks) or "none"
        on = ",".join(sorted(k for k, v in snap.outputs.items() if v != "off")) or "all off"
        self.out.write(f"{snap.t:8.1f}s status hottest={hot:.1f}°C at ({col},{row}) tracks: {tracks}; outputs: {on}\n")
        self.out.flush()
