"""``parkvakt replay NAME.npz``: what the unit would have done over a recording, as JSON lines.

Runs the daemon's own engine (pipeline and policy, outputs on gpiozero's mock pins) as fast as
the machine allows, in recording time. stdout carries only JSON lines, one per event start/end
and one per output change; problems go to stderr with a non-zero exit code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from firmware.config import ConfigError, UnitConfig, load_config, parse_config
from firmware.engine import Engine, StepResult
from firmware.events import Action, Event
from hw.frame import ThermalFrame
from hw.recording import Recording, load_recording

EXIT_BAD_INPUT = 2
DEFAULT_UNIT_ID = "replay"


def event_line(event: Event) -> dict[str, Any]:
    return {
        "kind": "event",
        "type": event.type,
        "phase": event.phase,
        "t": round(event.t, 3),
        "id": event.incident or event.id,
        "confidence": round(event.confidence, 3),
        "zone": event.zone,
        "bbox": list(event.bbox) if event.bbox is not None else None,
    }


def action_line(action: Action) -> dict[str, Any]:
    return {"kind": "action", "output": action.output, "state": action.state, "t": round(action.t, 3)}


def frames_of(rec: Recording) -> Iterator[ThermalFrame]:
    kind = rec.meta.get("kind", "thermal")
    kind = kind if kind in ("thermal", "gray") else "thermal"
    for i in range(len(rec.frames)):
        ambient = float(rec.ambient[i]) if rec.ambient is not None else None
        yield ThermalFrame(rec.frames[i], float(rec.timestamps[i]), i, ambient, kind)


def replay_config(path: Path | None) -> UnitConfig:
    if path is None:
        return parse_config({"unit": {"id": DEFAULT_UNIT_ID}})
    return load_config(path)


def make_engine(config: UnitConfig) -> Engine:
    """The daemon's engine on mock pins; the pipeline alone while no policy module exists."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from firmware.engine import build_engine

    try:
        return build_engine(config, pin_factory=MockFactory(pin_class=MockPWMPin))
    except ImportError as exc:
        if exc.name != "firmware.policy":
            raise
        click.echo(f"replay: no output policy in this build ({exc}); printing events only", err=True)
        return build_engine(config, with_policy=False)


def run_replay(rec: Recording, engine: Engine) -> Iterator[StepResult]:
    for frame in frames_of(rec):
        yield engine.step(frame)
    yield engine.finish(rec.duration)


@click.command("replay")
@click.argument("recording", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="unit config (TOML)")
def command(recording: Path, config_path: Path | None) -> None:
    """Run pipeline and policy over RECORDING (.npz) and print events and actions as JSON lines."""
    try:
        config = replay_config(config_path)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        rec = load_recording(recording)
    except Exception as exc:  # a missing, truncated or foreign file: say so, never a traceback
        click.echo(f"{recording}: not a readable Parkvakt recording: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    engine = make_engine(config)
    out = sys.stdout
    for result in run_replay(rec, engine):
        for event in result.events:
            if event.phase in ("start", "end"):
                out.write(json.dumps(event_line(event)) + "\n")
        for action in result.actions:
            out.write(json.dumps(action_line(action)) + "\n")
    out.flush()
