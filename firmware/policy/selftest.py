"""Self-test: switch each output on briefly, read its relay feedback where fitted, report an event.

Run at the configured local time (``SelftestClock.due``) and on command. An output that the
policy is using (a ladder or a fire holds it) is skipped and reported as busy, never toggled.
The result is a ``selftest`` event with ``detail["outputs"][name]`` = ``{"result": "ok" |
"no_feedback" | "failed" | "busy" | "error", ...}`` and ``detail["ok"]``; in test mode it also
carries ``detail["test"] = True`` so the uplinks do not raise an alarm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from firmware.events import Action, Event
from firmware.policy.schedule import Schedule

if TYPE_CHECKING:
    from firmware.policy.policy import DeterrencePolicy

SILENT_BY_DEFAULT = frozenset({"siren"})
FEEDBACK_SETTLE_S = 0.1


class SelftestClock:
    """Due once a day when local time passes ``at`` (not at start-up after ``at``)."""

    def __init__(self, at: str | None, schedule: Schedule) -> None:
        self.at = at
        self.schedule = schedule
        self._last_checked: tuple[date, str] | None = None

    def due(self, now: float) -> bool:
        if self.at is None:
            return False
        local = self.schedule.local(now)
        current = (local.date(), f"{local.hour:02d}:{local.minute:02d}")
        previous, self._last_checked = self._last_checked, current
        if previous is None:
            return False
        return current[1] >= self.at and (previous[0] != current[0] or previous[1] < self.at)


def outputs_to_test(policy: DeterrencePolicy) -> list[str]:
    chosen = policy.config.selftest.outputs
    if chosen is not None:
        return list(chosen)
    return [name for name in policy.states() if name not in SILENT_BY_DEFAULT]


def run_selftest(
    policy: DeterrencePolicy, now: float, *, sleep: Callable[[float], None] = time.sleep
) -> tuple[Event, list[Action]]:
    """Cycle the outputs one by one for ``selftest.on_s`` each; blocks for about that times N."""
    on_s = policy.config.selftest.on_s
    results: dict[str, dict[str, Any]] = {}
    actions: list[Action] = []
    t = now
    for name in outputs_to_test(policy):
        with policy._lock:
            if policy.states().get(name, "off") != "off":
                results[name] = {"result": "busy"}
                continue
            try:
                actions.append(policy._action(name, "on", t, "self-test"))
                policy._switch(name, "on")
                sleep(min(FEEDBACK_SETTLE_S, on_s))
                results[name] = _feedback_result(policy, name, expect=True)
                sleep(max(on_s - FEEDBACK_SETTLE_S, 0.0))
            except Exception as exc:  # a broken output is a test result, not a crash
                results[name] = {"result": "error", "error": str(exc)}
            finally:
                policy._switch(name, "off")
                t += on_s
                actions.append(policy._action(name, "off", t, "self-test"))
            if results[name]["result"] == "ok":
                sleep(FEEDBACK_SETTLE_S)
                after = _feedback_result(policy, name, expect=False)
                if after["result"] != "ok":
                    results[name] = {"result": "failed", "error": "feedback still on after switching off"}
    ok = all(r["result"] in ("ok", "no_feedback", "busy") for r in results.values())
    detail: dict[str, Any] = {"outputs": results, "ok": ok}
    if policy.config.test_mode:
        detail["test"] = True
    return Event(type="selftest", phase="instant", t=now, detail=detail), actions


def _feedback_result(policy: DeterrencePolicy, name: str, *, expect: bool) -> dict[str, Any]:
    if policy.outputs is None or policy.inputs is None:
        return {"result": "no_feedback"}
    feedback = policy.outputs.profile.outputs[name].feedback if policy.outputs.has(name) else None
    if feedback is None:
        return {"result": "no_feedback"}
    seen = policy.inputs.triggered(feedback)
    if seen == expect:
        return {"result": "ok", "feedback": feedback}
    word = "no power seen" if expect else "power still seen"
    return {"result": "failed", "feedback": feedback, "error": f"{word} on {feedback}"}


class ScheduledSelftest:
    """The daily self-test run inside the policy's own calls, in policy time, without blocking.

    Output ``i`` is held on during ``[start + i*on_s, start + (i+1)*on_s)``; its feedback is read
    at the first call after its slot, while it is still on. An output another holder (a ladder, a
    fire) wants during its slot is reported ``busy`` and left alone.
    """

    def __init__(self, start: float, on_s: float, outputs: list[str]) -> None:
        self.start = start
        self.on_s = on_s
        self.outputs = outputs
        self.results: dict[str, dict[str, Any]] = {}

    def slot_output(self, now: float) -> str | None:
        index = int((now - self.start) // self.on_s)
        return self.outputs[index] if 0 <= index < len(self.outputs) else None

    def ended_slots(self, now: float) -> list[str]:
        return [
            name
            for i, name in enumerate(self.outputs)
            if name not in self.results and now >= self.start + (i + 1) * self.on_s
        ]

    def finished(self) -> bool:
        return len(self.results) == len(self.outputs)

    def event(self, test_mode: bool) -> Event:
        ok = all(r["result"] in ("ok", "no_feedback", "busy") for r in self.results.values())
        detail: dict[str, Any] = {"outputs": self.results, "ok": ok, "scheduled": True}
        if test_mode:
            detail["test"] = True
        return Event(type="selftest", phase="instant", t=self.start, detail=detail)


def feedback_result(policy: DeterrencePolicy, name: str, *, expect: bool) -> dict[str, Any]:
    return _feedback_result(policy, name, expect=expect)
