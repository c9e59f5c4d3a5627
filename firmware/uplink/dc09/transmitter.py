"""The DC-09 transmitter: delivers the outbox's ``dc09`` entries to the alarm centre, one at a time.

For each entry it sends the event under one sequence number until the receiver ACKs, then acks
the entry in the outbox (never before, so a crash or an outage loses nothing). On the way:

* NAK (timestamp outside the receiver's window): take the receiver's clock from the NAK and resend
  at once with the same sequence number and a corrected timestamp.
* DUH, no answer, a broken connection: retry after a backoff that doubles up to ``backoff_max_s``.
* ``retries`` failures in a row on the primary receiver: switch to the backup and report a
  ``trouble`` event (kind ``link``) through ``on_trouble``; while on the backup, try the primary
  with a NULL poll every ``primary_retry_s`` and go back (and end the trouble) once it answers.
* Idle for ``supervision_interval_s``: send a NULL poll; any acknowledged message resets that timer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from firmware.config.alarm_centre import AlarmCentreSection
from firmware.events import Event
from firmware.uplink.dc09 import codes, frame
from firmware.uplink.dc09.link import LinkError, ReceiverLink
from firmware.uplink.dc09.sequence import SequenceCounter

log = logging.getLogger(__name__)

SINK = "dc09"
MAX_NAKS_PER_ATTEMPT = 3
CLOCKS_AGREE_S = 5.0
"""A NAK from a receiver whose clock is this close to ours is not about time (key, account, format)."""
SEQUENCE_FILE = "dc09-sequence.json"


class EntryLike(Protocol):
    rowid: int
    id: str
    payload: dict[str, Any]


class OutboxLike(Protocol):
    def pending(self, sink: str, limit: int = 100) -> list[Any]: ...
    def ack(self, sink: str, rowids: Any) -> None: ...
    async def wait(self, sink: str, timeout: float | None = None) -> Any: ...


@dataclass(frozen=True)
class LinkSettings:
    receivers: tuple[tuple[str, int], ...]
    account: str
    receiver: str = "0"
    line: str = "0"
    token: str = "SIA-DCS"
    key: bytes | None = None
    partition: int = 1
    zones: Mapping[str, int] = field(default_factory=dict)
    supervision_interval_s: float = 90.0
    ack_timeout_s: float = 10.0
    retries: int = 3
    backoff_s: float = 2.0
    backoff_max_s: float = 60.0
    primary_retry_s: float = 300.0

    @classmethod
    def from_config(cls, section: AlarmCentreSection) -> LinkSettings:
        return cls(
            receivers=tuple(section.endpoints()),
            account=section.account,
            receiver=section.receiver,
            line=section.line,
            token=section.token,
            key=section.key_bytes(),
            partition=section.partition,
            zones=dict(section.zones),
            supervision_interval_s=section.supervision_interval_s,
            ack_timeout_s=section.ack_timeout_s,
            retries=section.retries,
            backoff_s=section.backoff_s,
            backoff_max_s=section.backoff_max_s,
            primary_retry_s=section.primary_retry_s,
        )


class Dc09Transmitter:
    def __init__(
        self,
        outbox: OutboxLike | None,
        settings: LinkSettings,
        *,
        sequence: SequenceCounter | None = None,
        on_trouble: Callable[[Event], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not settings.receivers:
            raise ValueError("the DC-09 link needs at least a primary receiver")
        self.outbox = outbox
        self.settings = settings
        self.sequence = sequence or SequenceCounter()
        self.on_trouble = on_trouble
        self.wall_clock = wall_clock
        self.links = [
            ReceiverLink(h, p, key=settings.key, account=settings.account, timeout_s=settings.ack_timeout_s)
            for h, p in settings.receivers
        ]
        self.active = 0
        self.clock_offset_s = 0.0
        self.counts: dict[str, int] = dict.fromkeys(
            ("sent", "acked", "delivered", "nak", "duh", "timeout", "error", "failover", "poll", "unreportable"), 0
        )
        self._failures = 0
        self._failures_total = 0
        self._switched = False
        self._trouble_incident: str | None = None
        self._next_poll = time.monotonic() + settings.supervision_interval_s
        self._next_primary_try = 0.0
        self._last_ack_wall: float | None = None
        self.last_error = ""

    # -- the loop ------------------------------------------------------------------------------

    async def run(self) -> None:
        if self.outbox is None:
            raise ValueError("run() needs the outbox")
        try:
            while True:
                await self._maybe_return_to_primary()
                head = self.outbox.pending(SINK, limit=1)
                if head:
                    await self.deliver(head[0])
                    continue
                now = time.monotonic()
                if now >= self._next_poll:
                    await self.poll()
                    continue
                wake = self._next_poll
                if self.active != 0:
                    wake = min(wake, self._next_primary_try)
                await self.outbox.wait(SINK, timeout=max(0.0, wake - now))
        finally:
            for link in self.links:
                await link.close()

    async def deliver(self, entry: EntryLike) -> None:
        """Send one outbox entry until the centre ACKs it, then ack it in the outbox."""
        s = self.settings
        # whoever put a person into the dc09 queue decided it was in an armed zone (see routing)
        data = codes.data_field(
            entry.payload, token=s.token, account=s.account, partition=s.partition, zones=s.zones, armed=True
        )
        if data is None:
            self.counts["unreportable"] += 1
            log.warning(
                "outbox entry %s (%s) has no alarm-centre code; dropped from the dc09 queue",
                entry.id,
                entry.payload.get("type"),
            )
            self.outbox.ack(SINK, [entry.rowid])
            return
        seq = self.sequence.for_message(entry.id)
        while True:
            if await self._attempt(s.token, seq, data, self.active):
                break
            await self._after_failure()
        self.outbox.ack(SINK, [entry.rowid])
        self.sequence.delivered(entry.id)
        self.counts["delivered"] += 1

    async def poll(self) -> bool:
        """One NULL supervision poll on the active receiver."""
        self.counts["poll"] += 1
        ok = await self._attempt("NULL", self.sequence.take(), "", self.active)
        if not ok:
            await self._after_failure()
        return ok

    async def check(self, index: int = 0) -> list[tuple[str, bool, str]]:
        """Commissioning: a NULL poll, then a periodic test report (602 / RP), to receiver ``index``.

        One attempt each (a NAK still corrects the clock and resends); returns
        ``(what, acked, detail)`` per message. Nothing is read from or acked in the outbox.
        """
        s = self.settings
        test = codes.data_field(
            {"type": "selftest", "phase": "instant"}, token=s.token, account=s.account, partition=s.partition, zones={}
        )
        results = []
        for what, token, data in (("supervision poll (NULL)", "NULL", ""), ("test report (602 / RP)", s.token, test)):
            naks = self.counts["nak"]
            ok = await self._attempt(token, self.sequence.take(), data or "", index)
            detail = "ACK" if ok else self.last_error
            if ok and self.counts["nak"] > naks:
                detail += f" after a NAK: the unit's clock is off by {self.clock_offset_s:+.0f} s"
            results.append((what, ok, detail))
        await self.links[index].close()
        return results

    # -- one attempt -----------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.wall_clock() + self.clock_offset_s, dt.UTC).replace(microsecond=0)

    def _wire(self, token: str, seq: int, data: str) -> bytes:
        s = self.settings
        msg = frame.Message(
            token, seq, s.account, s.receiver, s.line, data, timestamp=self._now(), encrypted=s.key is not None
        )
        return frame.build(msg, s.key)

    async def _attempt(self, token: str, seq: int, data: str, index: int) -> bool:
        """Send once (plus resends after NAKs) to receiver ``index``; True when it ACKed."""
        link = self.links[index]
        for _ in range(MAX_NAKS_PER_ATTEMPT + 1):
            self.counts["sent"] += 1
            try:
                answer = await link.exchange(self._wire(token, seq, data), seq)
            except LinkError as exc:
                self.counts["timeout" if exc.kind == "timeout" else "error"] += 1
                self._failed(index, str(exc))
                return False
            if answer.token == "ACK":
                self._succeeded(index)
                return True
            if answer.token == "NAK" and answer.timestamp is not None:
                self.counts["nak"] += 1
                offset = answer.timestamp.timestamp() - self.wall_clock()
                if abs(offset - self.clock_offset_s) <= CLOCKS_AGREE_S:
                    self._failed(
                        index,
                        f"{link.name} refused {token} {seq:04d} (NAK) though our clocks agree: "
                        "wrong key, unknown account or a format it does not take",
                    )
                    return False
                self.clock_offset_s = offset
                log.warning(
                    "%s rejected our timestamp; clock offset now %+.0f s, resending %04d",
                    link.name,
                    self.clock_offset_s,
                    seq,
                )
                continue
            self.counts["duh" if answer.token == "DUH" else "error"] += 1
            self._failed(index, f"{link.name} answered {answer.token} to {token} {seq:04d}")
            return False
        self._failed(index, f"{link.name} kept rejecting our timestamp")
        return False

    # -- path state --------------------------------------------------------------------------------

    def _succeeded(self, index: int) -> None:
        self.counts["acked"] += 1
        self._last_ack_wall = self.wall_clock()
        self._next_poll = time.monotonic() + self.settings.supervision_interval_s
        if index == self.active:
            self._failures = 0
            self._failures_total = 0
        if index == 0 and self._trouble_incident is not None:
            self._raise_trouble("end", "primary receiver answers again")

    def _failed(self, index: int, reason: str) -> None:
        log.warning("DC-09: %s", reason)
        self.last_error = reason
        if index != self.active:
            return
        self._failures += 1
        self._failures_total += 1
        if self._failures < self.settings.retries:
            return
        if index == 0 and self._trouble_incident is None:
            self._raise_trouble("start", reason)
        if len(self.links) < 2:
            return
        self._failures = 0
        self._switched = True
        self.counts["failover"] += 1
        self.active = 1 - self.active
        path = "backup" if self.active else "primary"
        log.error("DC-09: switching to the %s receiver %s", path, self.links[self.active].name)
        if self.active == 1:
            self._next_primary_try = time.monotonic() + self.settings.primary_retry_s

    async def _after_failure(self) -> None:
        """Back off before the next attempt; a path switch goes straight to the other receiver."""
        if self._switched:
            self._switched = False
            return
        s = self.settings
        delay = min(s.backoff_max_s, s.backoff_s * 2 ** max(0, self._failures_total - 1))
        self._next_poll = time.monotonic() + delay
        await asyncio.sleep(delay * random.uniform(0.8, 1.0))

    async def _maybe_return_to_primary(self) -> None:
        if self.active == 0 or time.monotonic() < self._next_primary_try:
            return
        self._next_primary_try = time.monotonic() + self.settings.primary_retry_s
        self.counts["poll"] += 1
        if await self._attempt("NULL", self.sequence.take(), "", 0):
            log.warning("DC-09: primary receiver %s answers again; switching back", self.links[0].name)
            await self.links[1].close()
            self.active = 0
            self._failures = 0

    def _raise_trouble(self, phase: str, reason: str) -> None:
        if phase == "start":
            incident = self._trouble_incident = str(uuid.uuid4())
        else:
            incident, self._trouble_incident = self._trouble_incident, None
        event = Event(
            type="trouble",
            phase="start" if phase == "start" else "end",
            t=time.monotonic(),
            incident=incident,
            detail={
                "component": "dc09",
                "kind": "link",
                "path": "primary",
                "receiver": self.links[0].name,
                "reason": reason,
            },
        )
        if self.on_trouble is None:
            return
        try:
            self.on_trouble(event)
        except Exception:
            log.exception("DC-09: reporting the link trouble failed")

    # -- telemetry ------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        last = self._last_ack_wall
        return {
            "path": "primary" if self.active == 0 else "backup",
            "receiver": self.links[self.active].name,
            "connected": self.links[self.active].connected,
            "trouble": self._trouble_incident is not None,
            "clock_offset_s": round(self.clock_offset_s, 1),
            "last_ack_age_s": None if last is None else round(self.wall_clock() - last, 1),
            "next_sequence": self.sequence.next_number,
            **self.counts,
        }


def build_transmitter(
    section: AlarmCentreSection,
    outbox: OutboxLike,
    *,
    state_dir: Path,
    on_trouble: Callable[[Event], None] | None = None,
) -> Dc09Transmitter | None:
    """The daemon's DC-09 link from ``[alarm_centre]``, or None when it is not enabled.

    ``on_trouble`` gets the link's own trouble events; the daemon puts them into the outbox
    (``sinks`` from ``dc09_wants``) so the operator and, over the backup path, the centre see them.
    """
    if not section.enabled:
        return None
    return Dc09Transmitter(
        outbox,
        LinkSettings.from_config(section),
        sequence=SequenceCounter(state_dir / SEQUENCE_FILE),
        on_trouble=on_trouble,
    )
