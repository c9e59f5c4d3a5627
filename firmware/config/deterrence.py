"""``[deterrence]``: board profile, arming schedule, escalation ladder, quiet hours, cooldowns,
maximum on-times, voice clips, self-test and test mode.

The board profile is loaded while the config is validated, so a broken profile or a ladder step
naming an output the board does not have is reported by ``parkvakt check-config``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from firmware.config.base import Section
from hw.board_profile import BoardProfileError, load_profile

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_DAYS: list[Day] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CLOCK = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
VOICE = "voice"
SOUND_OUTPUTS: frozenset[str] = frozenset({"siren", VOICE})


class TimeWindow(Section):
    """Local wall-clock times; ``end`` at or before ``start`` runs past midnight into the next day.

    ``days`` are the days the window *starts* on.
    """

    days: list[Day] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1)
    start: str = Field(default="00:00", pattern=CLOCK)
    end: str = Field(default="24:00", pattern=CLOCK)


class LadderStep(Section):
    """One rung: ``output`` (a profile output or ``voice``) switches on ``after_s`` seconds after the
    ladder started (the zone's loiter time has passed) and stays on for ``duration_s`` seconds, or
    until the person has left plus ``hold_s`` when ``duration_s`` is not given."""

    output: str = Field(min_length=1)
    after_s: float = Field(default=0.0, ge=0.0, le=3600.0)
    duration_s: float | None = Field(default=None, gt=0.0, le=3600.0)
    state: Literal["on", "blink"] = "on"
    level: float | None = Field(default=None, gt=0.0, lt=1.0)  # dimmed, on a profile output with pwm = true

    @property
    def output_state(self) -> str:
        return f"dim:{self.level:g}" if self.level is not None else self.state


class VoiceSection(Section):
    """Clips are bundled names (``warning_sv``, ``warning_en`` in ``hw/voices``) or WAV paths."""

    clips: list[str] = Field(default_factory=lambda: ["warning_sv", "warning_en"], min_length=1)
    volume: float = Field(default=0.8, ge=0.0, le=1.0)
    device: str | None = None
    amplifier: str | None = "amplifier"


class SelftestSection(Section):
    # local time of the daily self-test, e.g. "11:00" (daytime: it flashes the lights); None = on command only
    at: str | None = Field(default=None, pattern=CLOCK)
    on_s: float = Field(default=0.5, gt=0.0, le=10.0)
    outputs: list[str] | None = None  # None: every profile output except the siren


def _default_ladder() -> list[LadderStep]:
    return [
        LadderStep(output="floodlight", after_s=0.0),
        LadderStep(output=VOICE, after_s=10.0),
        LadderStep(output="strobe", after_s=30.0),
    ]


class DeterrenceSection(Section):
    enabled: bool = True
    board: str = "rpi4-relay-hat"
    armed: list[TimeWindow] = Field(default_factory=lambda: [TimeWindow()])
    quiet_hours: list[TimeWindow] = Field(default_factory=lambda: [TimeWindow(start="22:00", end="07:00")])
    ladder: list[LadderStep] = Field(default_factory=_default_ladder, max_length=16)
    hold_s: float = Field(default=30.0, ge=0.0, le=3600.0)
    cooldown_s: float = Field(default=120.0, ge=0.0, le=86400.0)
    max_on_s: dict[str, float] = Field(
        default_factory=lambda: {"siren": 180.0, "strobe": 900.0, "floodlight": 1800.0, "amplifier": 120.0}
    )
    fire_outputs: list[str] = Field(default_factory=lambda: ["floodlight", "strobe", "siren"])
    vehicles: Literal["log", "ladder"] = "log"
    pir: Literal["off", "confirm_sound"] = "off"
    pir_window_s: float = Field(default=30.0, gt=0.0, le=600.0)
    voice: VoiceSection = VoiceSection()
    selftest: SelftestSection = SelftestSection()
    test_mode: bool = False

    @field_validator("board")
    @classmethod
    def _profile_loads(cls, board: str) -> str:
        try:
            load_profile(board)
        except BoardProfileError as exc:
            raise ValueError(f"board profile {board!r}: {exc}") from None
        return board

    @field_validator("ladder", "fire_outputs", "max_on_s", "voice", "selftest")
    @classmethod
    def _outputs_exist(cls, value: object, info: ValidationInfo) -> object:
        board = info.data.get("board")
        if board is None:  # the profile itself was reported broken
            return value
        profile = load_profile(board)
        have = set(profile.outputs)
        named: list[tuple[str, str]] = []
        if isinstance(value, list):
            for i, item in enumerate(value):
                name = item.output if isinstance(item, LadderStep) else str(item)
                named.append((f"step {i}" if isinstance(item, LadderStep) else f"entry {i}", name))
        elif isinstance(value, dict):
            named = [(f"key {k!r}", k) for k in value]
        elif isinstance(value, VoiceSection) and value.amplifier is not None:
            named = [("amplifier", value.amplifier)]
        elif isinstance(value, SelftestSection) and value.outputs is not None:
            named = [(f"outputs entry {i}", n) for i, n in enumerate(value.outputs)]
        for where, name in named:
            if name not in have and not (name == VOICE and info.field_name == "ladder"):
                listing = ", ".join(sorted(have))
                raise ValueError(f"{where}: unknown output {name!r}; board profile {board!r} has {listing}")
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, LadderStep) and item.level is not None:
                    spec = profile.outputs.get(item.output)
                    if spec is None or not spec.pwm:
                        raise ValueError(f"step {i}: {item.output!r} cannot dim (no pwm = true in board profile)")
        return value

    @model_validator(mode="after")
    def _siren_is_capped(self) -> DeterrenceSection:
        if "siren" in self.max_on_s and self.max_on_s["siren"] > 900:
            raise ValueError("max_on_s: a siren may sound at most 900 s per activation")
        return self

    def sound_step(self, step: LadderStep) -> bool:
        return step.output in SOUND_OUTPUTS
