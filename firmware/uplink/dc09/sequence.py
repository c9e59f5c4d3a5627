"""DC-09 sequence numbers: 0001-9999, then 0001 again; a retransmission keeps its number.

The next number and the one given to the message in flight are kept in a small JSON file in the
state folder, so after a restart (even kill -9) the unit continues the count and resends the
message it was sending under the same number; the receiver can then recognise the repeat.
Supervision polls take numbers too but are not written down (a poll every 90 s would wear the SD
card for nothing; reusing a poll's number after a crash does no harm).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

FIRST = 1
LAST = 9999


def following(seq: int) -> int:
    return FIRST if seq >= LAST else seq + 1


class SequenceCounter:
    def __init__(self, path: Path | None = None, *, start: int = FIRST) -> None:
        self.path = path
        self.write_errors = 0
        self._next = start
        self._inflight: tuple[str, int] | None = None
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text())
            nxt = int(state["next"])
            inflight = state.get("inflight")
            if not FIRST <= nxt <= LAST:
                raise ValueError(f"next {nxt} out of range")
            self._next = nxt
            if inflight is not None:
                self._inflight = (str(inflight[0]), int(inflight[1]))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.error("DC-09 sequence file %s unreadable (%s): starting again at %04d", path, exc, self._next)

    @property
    def next_number(self) -> int:
        return self._next

    def take(self) -> int:
        """A fresh number, not written down (for supervision polls)."""
        seq = self._next
        self._next = following(seq)
        return seq

    def for_message(self, key: str) -> int:
        """The number for the message ``key`` (an outbox entry id): the same one on every retry."""
        if self._inflight is not None and self._inflight[0] == key:
            return self._inflight[1]
        seq = self.take()
        self._inflight = (key, seq)
        self._save()
        return seq

    def delivered(self, key: str) -> None:
        if self._inflight is not None and self._inflight[0] == key:
            self._inflight = None
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        state = {"next": self._next, "inflight": list(self._inflight) if self._inflight else None}
        tmp = self.path.with_suffix(".tmp")
        try:
            with open(tmp, "w") as f:
                json.dump(state, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            # the count goes on in memory; a repeat number after a crash is the only cost
            self.write_errors += 1
            log.error("cannot write DC-09 sequence file %s: %s", self.path, exc)
