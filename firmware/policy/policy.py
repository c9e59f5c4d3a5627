"""The deterrence policy: events and policy time in, output ``Action``s out (and onto the pins).

Every call recomputes which outputs are wanted, from four kinds of holder: open fire incidents
(always, whatever the schedule or quiet hours), a manual trigger, and the ladder of each person
incident while the unit is armed; then switches what changed and reports each switch as an
``Action``. The max on-time guard's real timer may switch an output off from its own thread;
that switch-off is reported by the next call, stamped at ``on_since + limit`` (when it happened).
In policy time the guard acts at the first call at or after that moment.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from firmware.config.detection import ZoneSection
from firmware.config.deterrence import VOICE, DeterrenceSection
from firmware.events import Action, Event
from firmware.policy.guard import MaxOnGuard
from firmware.policy.ladder import Ladder
from firmware.policy.schedule import Schedule, WallClock
from firmware.policy.selftest import ScheduledSelftest, SelftestClock, feedback_result, outputs_to_test

if TYPE_CHECKING:
    from hw.audio import AudioPlayer
    from hw.gpio import Inputs, Outputs

OFF = "off"
DEFAULT_TRIGGER_S = 60.0
MAX_TRIGGER_S = 900.0
LOCK_WAIT_S = 0.5


@dataclass(slots=True)
class PolicyStats:
    """Counters only grow; the daemon reports them with the unit's health."""

    actions: int = 0
    guard_trips: int = 0
    suppressed_cooldown: int = 0
    skipped_quiet: int = 0
    waiting_pir: int = 0
    ignored_events: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Fire:
    start: float
    end: float | None = None


class DeterrencePolicy:
    def __init__(
        self,
        config: DeterrenceSection,
        *,
        zones: list[ZoneSection],
        output_names: list[str],
        timezone: str,
        wall_clock: WallClock,
        outputs: Outputs | None = None,
        inputs: Inputs | None = None,
        audio: AudioPlayer | None = None,
        real_timer: bool = True,
    ) -> None:
        self.config = config
        self.zones = {z.name: z for z in zones if z.kind == "zone"}
        self.outputs = outputs
        self.inputs = inputs
        self.audio = audio
        self.schedule = Schedule(config.armed, config.quiet_hours, timezone=timezone, wall_clock=wall_clock)
        self.ladder = Ladder(config.ladder, hold_s=config.hold_s, cooldown_s=config.cooldown_s)
        self.guard = MaxOnGuard(config.max_on_s, self._timer_tripped, real_timer=real_timer and outputs is not None)
        self.stats = PolicyStats()
        self._lock = threading.RLock()
        self._current: dict[str, str] = dict.fromkeys(output_names, OFF)
        self._on_reason: dict[str, str] = {}
        self._tripped: set[str] = set()
        self._pending: list[Action] = []
        self._fires: dict[str, _Fire] = {}
        self._manual: tuple[float, str] | None = None
        self._pir_active = False
        self._pir_last: float | None = None
        self._local_events: list[Event] = []
        self._late_trips: list[tuple[str, float]] = []
        self._last_now = -math.inf
        self._selftest_clock = SelftestClock(config.selftest.at, self.schedule)
        self._scheduled: ScheduledSelftest | None = None

    # --- the Policy protocol (firmware.engine) -------------------------------------------------

    def on_event(self, event: Event) -> list[Action]:
        with self._lock:
            if not math.isfinite(event.t):  # a garbled event must not poison the ladder's clock
                self._ignore("non-finite time")
                return []
            self._note(event)
            return self._sync(event.t)

    def tick(self, now: float) -> list[Action]:
        with self._lock:
            return self._sync(now) if math.isfinite(now) else []

    # --- remote commands (the daemon calls these) ---------------------------------------------

    def arm(self, now: float) -> list[Action]:
        with self._lock:
            self.schedule.set_armed(now, True)
            return self._sync(now)

    def disarm(self, now: float) -> list[Action]:
        """Person ladders stop; a fire still sounds."""
        with self._lock:
            self.schedule.set_armed(now, False)
            return self._sync(now)

    def follow_schedule(self, now: float) -> list[Action]:
        with self._lock:
            self.schedule.follow_schedule()
            return self._sync(now)

    def trigger(self, now: float, duration_s: float = DEFAULT_TRIGGER_S) -> list[Action]:
        """The fire outputs for ``duration_s``, ignoring schedule and quiet hours (the operator asked).

        ``duration_s`` comes from a remote command: anything but a number in 1..MAX_TRIGGER_S is
        refused with ``ValueError`` (the max on-time guard caps the siren in any case).
        """
        if isinstance(duration_s, bool) or not isinstance(duration_s, int | float) or not math.isfinite(duration_s):
            raise ValueError(f"trigger duration_s must be a number of seconds, not {duration_s!r}")
        if not 1.0 <= duration_s <= MAX_TRIGGER_S:
            raise ValueError(f"trigger duration_s must be 1..{MAX_TRIGGER_S:g} s, not {duration_s:g}")
        with self._lock:
            self._manual = (now + duration_s, f"manual trigger for {duration_s:.0f} s")
            return self._sync(now)

    def silence(self, now: float) -> list[Action]:
        """Everything off now, fire included; a new incident starts afresh."""
        with self._lock:
            self._manual = None
            self._fires.clear()
            self.ladder.silence("silenced by operator")
            return self._sync(now, off_reason="silenced by operator")

    # --- state ---------------------------------------------------------------------------------

    def is_armed(self, now: float) -> bool:
        with self._lock:
            return self.config.enabled and self.schedule.is_armed(now)

    def states(self) -> dict[str, str]:
        with self._lock:
            return dict(self._current)

    def health(self) -> dict[str, Any]:
        """Counters and problems for the unit's status: policy stats, audio errors, missing clips."""
        with self._lock:
            out: dict[str, Any] = {"stats": asdict(self.stats), "outputs": dict(self._current)}
        if self.audio is not None:
            from hw.audio import resolve_clip

            out["audio"] = asdict(self.audio.stats)
            out["missing_clips"] = [c for c in self.config.voice.clips if not resolve_clip(c).is_file()]
        return out

    def drain_local_events(self) -> list[Event]:
        """Tamper and PIR events from the board's inputs, for the daemon to inject and send upstream."""
        with self._lock:
            events, self._local_events = self._local_events, []
            return events

    def queue_local_event(self, event: Event) -> None:
        with self._lock:
            self._local_events.append(event)

    def close(self) -> None:
        """Cancel the guard timers and put the outputs in their safe state."""
        with self._lock:
            self.guard.cancel_all()
            if self.outputs is not None:
                self.outputs.close()
            if self.inputs is not None:
                self.inputs.close()
            for name in self._current:
                self._current[name] = OFF

    def safe(self) -> None:
        """Outputs to their safe state now, from any thread, even if the engine thread hung in here."""
        locked = self._lock.acquire(timeout=LOCK_WAIT_S)
        try:
            if self.outputs is not None:
                self.outputs.safe()
            self.guard.cancel_all()
            for name in self._current:
                self._current[name] = OFF
        finally:
            if locked:
                self._lock.release()

    # --- internals -----------------------------------------------------------------------------

    def _note(self, event: Event) -> None:
        incident = event.incident or event.id
        if event.type == "fire":
            if event.phase == "start":
                self._fires[incident] = _Fire(event.t)
            elif event.phase == "end" and incident in self._fires:
                self._fires[incident].end = event.t
        elif event.type == "person" or (event.type == "vehicle" and self.config.vehicles == "ladder"):
            zone = self.zones.get(event.zone or "")
            if zone is not None and not zone.armed:
                self._ignore(f"{event.type} in disarmed zone")
            elif event.phase == "start":
                before = self.ladder.suppressed_by_cooldown
                self.ladder.start(incident, event.type, event.zone, event.t)
                self.stats.suppressed_cooldown += self.ladder.suppressed_by_cooldown - before
            elif event.phase == "end":
                self.ladder.end(incident, event.t)
        elif event.type == "motion" and event.detail.get("source") == "pir":
            self._pir_active = event.phase == "start"
            self._pir_last = event.t
        else:
            self._ignore(event.type)

    def _ignore(self, what: str) -> None:
        self.stats.ignored_events[what] = self.stats.ignored_events.get(what, 0) + 1

    def _pir_confirms(self, now: float) -> bool:
        if self.config.pir == "off":
            return True
        if self._pir_active:
            return True
        return self._pir_last is not None and now - self._pir_last <= self.config.pir_window_s

    def _wanted(self, now: float) -> dict[str, tuple[str, str]]:
        wanted: dict[str, tuple[str, str]] = {}
        for incident, fire in list(self._fires.items()):
            if fire.end is None or now < fire.end + self.config.hold_s:
                for name in self.config.fire_outputs:
                    wanted[name] = ("on", "fire")
            else:
                del self._fires[incident]
        if self._manual is not None:
            until, reason = self._manual
            if now < until:
                for name in self.config.fire_outputs:
                    wanted.setdefault(name, ("on", reason))
            else:
                self._manual = None
        if not self.is_armed(now):
            return wanted
        quiet = self.schedule.is_quiet(now)
        for want in self.ladder.wants(now):
            if want.sound and quiet:
                self.stats.skipped_quiet += 1
                continue
            if want.sound and not self._pir_confirms(now):
                self.stats.waiting_pir += 1
                continue
            current = wanted.get(want.output)
            if current is None or (current[0] != "on" and want.state == "on"):
                wanted[want.output] = (want.state, want.reason)
        return wanted

    def _voice(self, now: float) -> list[Action]:
        actions: list[Action] = []
        if not self.is_armed(now):
            return actions
        quiet = self.schedule.is_quiet(now)
        for incident, step in self.ladder.voice_due(now):
            if quiet or not incident.present_at(now):
                incident.voiced.add(step)
                self.stats.skipped_quiet += quiet
                continue
            if not self._pir_confirms(now):
                self.stats.waiting_pir += 1
                continue
            incident.voiced.add(step)
            clips = ",".join(self.config.voice.clips)
            reason = f"{incident.kind} in zone {incident.zone} for {now - incident.start:.0f} s: step {step + 1}"
            actions.append(self._action(VOICE, f"play {clips}", now, reason))
            if self.audio is not None:
                self.audio.play(self.config.voice.clips)
        return actions

    def _sync(self, now: float, off_reason: str | None = None) -> list[Action]:
        # policy time never runs backwards: an input event stamped before the last frame, or a
        # command with a slightly older clock reading, must not replay an earlier state
        now = self._last_now = max(now, self._last_now)
        while self._late_trips:
            self._trip(*self._late_trips.pop(0))
        for name, _deadline in self.guard.expired(now):
            self._trip(name, now)  # at this call's time, so replay lines stay in time order
        self.ladder.expire(now)
        self._selftest_progress(now)
        wanted = self._wanted(now)
        self._selftest_wants(now, wanted)
        self._tripped &= set(wanted)
        actions = self._pending
        self._pending = []
        for name, current in self._current.items():
            state, reason = wanted.get(name, (OFF, ""))
            if name in self._tripped:
                state = OFF
            if state == current:
                continue
            if state == OFF:
                why = off_reason or f"released ({self._on_reason.get(name, '')})"
                self._switch(name, OFF)
                self.guard.stopped(name)
                actions.append(self._action(name, OFF, now, why))
            else:
                self._switch(name, state)
                if current == OFF:
                    self.guard.started(name, now)
                self._on_reason[name] = reason
                actions.append(self._action(name, state, now, reason))
        actions.extend(self._voice(now))
        return actions

    def _selftest_progress(self, now: float) -> None:
        """Start the daily self-test when due; record the outputs whose slot has ended."""
        run = self._scheduled
        if run is None:
            if self._selftest_clock.due(now):
                self._scheduled = ScheduledSelftest(now, self.config.selftest.on_s, outputs_to_test(self))
            return
        for name in run.ended_slots(now):
            if self._current.get(name) != OFF and self._on_reason.get(name) == "self-test":
                run.results[name] = feedback_result(self, name, expect=True)
            else:
                run.results.setdefault(name, {"result": "skipped", "error": "no policy call during its slot"})
        if run.finished():
            self._local_events.append(run.event(self.config.test_mode))
            self._scheduled = None

    def _selftest_wants(self, now: float, wanted: dict[str, tuple[str, str]]) -> None:
        run = self._scheduled
        name = run.slot_output(now) if run is not None else None
        if run is None or name is None or name in run.results:
            return
        if name in wanted:
            run.results[name] = {"result": "busy"}
        elif name in self._current:
            wanted[name] = ("on", "self-test")

    def _switch(self, name: str, state: Any) -> None:
        self._current[name] = state
        if self.outputs is not None and self.outputs.has(name):
            self.outputs.set(name, state)

    def _timer_tripped(self, name: str, deadline: float) -> None:
        """The guard's timer thread: the pin goes off first, whatever holds the policy lock."""
        if self.outputs is not None and self.outputs.has(name):
            self.outputs.force_safe(name)
        if self._lock.acquire(timeout=LOCK_WAIT_S):
            try:
                self._trip(name, deadline)
            finally:
                self._lock.release()
        else:  # the engine thread is stuck in here; account for the switch-off when it is back
            self._late_trips.append((name, deadline))

    def _trip(self, name: str, at: float) -> None:
        """Record a guard switch-off at ``at`` (policy time or timer thread, under the lock)."""
        with self._lock:
            if self._current.get(name, OFF) == OFF:
                return
            self._switch(name, OFF)
            self.guard.stopped(name)
            self._tripped.add(name)
            self.stats.guard_trips += 1
            limit = self.config.max_on_s.get(name, 0.0)
            self._pending.append(self._action(name, OFF, at, f"max on-time {limit:g} s reached"))

    def _action(self, output: str, state: str, t: float, reason: str) -> Action:
        self.stats.actions += 1
        if self.config.test_mode:
            reason = f"test mode: {reason}"
        return Action(output, state, t, reason)

    # --- self-test -----------------------------------------------------------------------------

    def selftest(self, now: float) -> tuple[Event, list[Action]]:
        """On command: cycle the outputs now (blocks about ``selftest.on_s`` per output).

        The daily self-test at ``selftest.at`` runs inside ``tick`` instead, without blocking; its
        event comes out of ``drain_local_events``.
        """
        from firmware.policy.selftest import run_selftest

        return run_selftest(self, now)
