"""Deterrence: what the unit switches on, when, and for how long.

``build_policy(config, pin_factory=...)`` gives the ``Policy`` that ``firmware.engine`` drives.
Without a pin factory (a replay, a dry run) the policy still decides and reports every
``Action``; with one it also drives the board profile's pins, reads its inputs and plays the
voice warnings (``play_audio=True``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware.events import Event
from firmware.policy.policy import DeterrencePolicy, PolicyStats
from firmware.policy.schedule import WallClock, fixed_start_wall_clock, monotonic_wall_clock
from firmware.policy.selftest import SelftestClock, run_selftest
from hw.gpio import InputChange, Inputs, Outputs, load_profile

if TYPE_CHECKING:
    from gpiozero import Factory

    from firmware.config import UnitConfig

__all__ = [
    "DeterrencePolicy",
    "PolicyStats",
    "SelftestClock",
    "build_policy",
    "fixed_start_wall_clock",
    "input_event",
    "mark_test",
    "monotonic_wall_clock",
    "run_selftest",
]

INPUT_EVENT_TYPES = {"tamper": "tamper", "motion": "motion"}


def input_event(change: InputChange) -> Event | None:
    """A tamper switch or PIR change as an event; relay feedback changes are not events."""
    event_type = INPUT_EVENT_TYPES.get(change.kind)
    if event_type is None:
        return None
    detail = {"source": "pir" if change.kind == "motion" else "switch", "input": change.name}
    return Event(
        type=event_type,  # type: ignore[arg-type]
        phase="start" if change.triggered else "end",
        t=change.t,
        incident=f"{change.name}-input",
        detail=detail,
    )


def mark_test(event: Event) -> Event:
    """The same event flagged ``detail["test"] = True``: uplinks report it but raise no alarm."""
    from dataclasses import replace

    return replace(event, detail={**event.detail, "test": True})


def build_policy(
    config: UnitConfig,
    *,
    pin_factory: Factory | None = None,
    wall_clock: WallClock | None = None,
    play_audio: bool = False,
) -> DeterrencePolicy:
    """The policy for this unit.

    ``wall_clock`` maps policy time to an aware datetime for the schedule and quiet hours: the
    default assumes policy time is ``time.monotonic()`` (the daemon); a replay passes
    ``fixed_start_wall_clock(recording_start)`` so it reproduces the night it recorded.
    """
    section = config.deterrence
    profile = load_profile(section.board)
    outputs = inputs = audio = None
    policy_holder: list[DeterrencePolicy] = []

    def on_change(change: InputChange) -> None:
        event = input_event(change)
        if event is not None and policy_holder:
            if section.test_mode:
                event = mark_test(event)
            policy_holder[0].queue_local_event(event)

    if pin_factory is not None:
        outputs = Outputs(profile, pin_factory=pin_factory)
        try:
            inputs = Inputs(profile, pin_factory=pin_factory, on_change=on_change)
        except BaseException:
            outputs.close()
            raise
        if play_audio:
            from hw.audio import AudioPlayer

            amp = section.voice.amplifier
            audio = AudioPlayer(
                amplifier_on=(lambda: outputs.set(amp, "on")) if amp else (lambda: None),
                amplifier_off=(lambda: outputs.set(amp, "off")) if amp else (lambda: None),
                device=section.voice.device,
                volume=section.voice.volume,
                max_s=section.max_on_s.get(amp or "", 120.0),
            )
    policy = DeterrencePolicy(
        section,
        zones=config.detection.zones,
        output_names=[n for n in profile.outputs if n != section.voice.amplifier],
        timezone=config.unit.timezone,
        wall_clock=wall_clock or monotonic_wall_clock,
        outputs=outputs,
        inputs=inputs,
        audio=audio,
    )
    policy_holder.append(policy)
    return policy
