"""The whole ladder on a recording: ``parkvakt replay`` prints every output change as an action line.

Real pipeline, real policy, a simulated recording (a person loitering by a car at night).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from firmware.cli import cli
from hw.recording import save_recording
from hw.sim.scenario import Scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loiter_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "loiter.npz"
    save_recording(path, Scenario("person-loitering", seed=3).recording(fps=8.0))
    return path


def test_replay_prints_the_ladder_as_action_lines(loiter_recording: Path) -> None:
    result = CliRunner().invoke(
        cli, ["replay", str(loiter_recording), "--config", str(REPO / "docs/deterrence-replay.toml")]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(ln) for ln in result.stdout.splitlines() if ln.startswith("{")]
    people = [ln for ln in lines if ln["kind"] == "event" and ln["type"] == "person"]
    start = next(ln["t"] for ln in people if ln["phase"] == "start")
    end = next(ln["t"] for ln in people if ln["phase"] == "end")
    actions = [(ln["output"], ln["state"], round(ln["t"] - start, 3)) for ln in lines if ln["kind"] == "action"]
    hold = 30.0  # docs/deterrence-replay.toml
    assert actions == [
        ("floodlight", "on", 0.0),
        ("voice", "play warning_sv,warning_en", 15.0),
        ("strobe", "on", 30.0),
        ("siren", "on", 60.0),
        ("siren", "off", 90.0),
        ("floodlight", "off", round(end + hold - start, 3)),
        ("strobe", "off", round(end + hold - start, 3)),
    ]
