"""The one code path from frame to outputs, shared by the daemon, ``replay`` and the demo.

frame → ``Pipeline.process`` → incident events → ``Policy.on_event`` → output actions, and
``Policy.tick`` once per frame for timed steps. Time is the frame's timestamp (recording
seconds in a replay), so a replay reproduces what the unit would have done, to the frame.
With ``write_ahead`` set (the daemon: the outbox), every event is stored before the policy acts
on it, so a power cut just after a siren came on never loses the alarm behind it.
The hard maximum on-time guard is *not* driven from here: it runs on its own timer in the
daemon so a stalled pipeline cannot hold a siren on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from firmware.events import Action, Event
from hw.frame import ThermalFrame

if TYPE_CHECKING:
    from gpiozero import Factory

    from firmware.config import UnitConfig


class Pipeline(Protocol):
    def process(self, frame: ThermalFrame) -> list[Event]: ...

    def finish(self, t: float) -> list[Event]:
        """End every open incident (end of a recording, shutdown)."""
        ...


class Policy(Protocol):
    def on_event(self, event: Event) -> list[Action]: ...

    def tick(self, now: float) -> list[Action]: ...


@dataclass(slots=True)
class StepResult:
    events: list[Event] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    recorded: bool = False  # the events went through ``write_ahead`` already


class Engine:
    def __init__(
        self, pipeline: Pipeline, policy: Policy | None = None, *, write_ahead: Callable[[Event], None] | None = None
    ) -> None:
        self.pipeline = pipeline
        self.policy = policy
        self.write_ahead = write_ahead

    def step(self, frame: ThermalFrame) -> StepResult:
        return self._route(self.pipeline.process(frame), frame.timestamp)

    def inject(self, event: Event) -> StepResult:
        """An event from outside the pipeline (tamper switch, PIR, a remote trigger)."""
        return self._route([event], event.t)

    def finish(self, t: float) -> StepResult:
        return self._route(self.pipeline.finish(t), t)

    def _route(self, events: list[Event], now: float) -> StepResult:
        result = StepResult(events=events)
        if self.write_ahead is not None:
            for event in events:
                self.write_ahead(event)
            result.recorded = True
        if self.policy is not None:
            for event in events:
                result.actions.extend(self.policy.on_event(event))
            result.actions.extend(self.policy.tick(now))
        return result


def build_engine(
    config: UnitConfig,
    *,
    pin_factory: Factory | None = None,
    with_policy: bool = True,
    play_audio: bool = False,
) -> Engine:
    """The pipeline and policy a unit with this config runs.

    ``pin_factory`` drives the outputs; ``play_audio`` sends voice warnings to the speaker (the
    daemon), where a replay or the demo only reports them as actions.
    """
    from firmware.pipeline import build_pipeline

    pipeline = build_pipeline(config)
    if not with_policy:
        return Engine(pipeline)
    from firmware.policy import build_policy

    return Engine(pipeline, build_policy(config, pin_factory=pin_factory, play_audio=play_audio))
