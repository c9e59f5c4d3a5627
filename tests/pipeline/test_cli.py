"""``parkvakt replay`` and ``parkvakt eval`` on short simulator recordings, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from firmware.cli import cli
from hw.recording import load_labels, save_labels, save_recording

sim = pytest.importorskip("hw.sim.scenario", reason="the simulator (hw/sim) is not in this checkout")

EVENT_KEYS = {"kind", "type", "phase", "t", "id", "confidence", "zone", "bbox"}
ACTION_KEYS = {"kind", "output", "state", "t"}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("suite")
    for name, seed, seconds in [("person-walking", 1001, 70.0), ("empty-night", 1002, 120.0)]:
        scenario = sim.Scenario(name, seed=seed)
        path = out / f"{name}-{seed}.npz"
        save_recording(path, scenario.recording(seconds))
        save_labels(path, scenario.labels(seconds))
    return out


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_replay_prints_only_json_lines_with_paired_incidents(suite: Path) -> None:
    code, out, _ = invoke("replay", str(suite / "person-walking-1001.npz"))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    events = [ln for ln in lines if ln["kind"] == "event"]
    actions = [ln for ln in lines if ln["kind"] == "action"]
    assert all(set(ln) == EVENT_KEYS for ln in events)
    assert all(set(ln) == ACTION_KEYS for ln in actions)
    people = [e for e in events if e["type"] == "person"]
    assert people, "the walker was not reported"
    label = next(lb for lb in load_labels(suite / "person-walking-1001.npz") or [] if not lb.ignore)
    first = min(e["t"] for e in people if e["phase"] == "start")
    assert label.start <= first <= label.start + 5.0  # person_confirm_s (3 s) plus getting clear of where it appeared
    by_id: dict[str, list[str]] = {}
    for e in events:
        by_id.setdefault(e["id"], []).append(e["phase"])
        assert 0.0 <= e["confidence"] <= 1.0
    assert all(phases == ["start", "end"] for phases in by_id.values())
    times = [ln["t"] for ln in lines]
    assert times == sorted(times)


def test_replay_of_a_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a recording")
    code, out, err = invoke("replay", str(bad))
    assert code == 2 and out == ""
    assert "not a readable Parkvakt recording" in err


def test_eval_reports_recall_and_false_alarms_as_table_json_and_plot(suite: Path, tmp_path: Path) -> None:
    png = tmp_path / "eval.png"
    code, out, _ = invoke("eval", str(suite), "--json", "--plot", str(png))
    assert code == 0
    body = json.loads(out)
    person = next(c for c in body["summary"]["classes"] if c["type"] == "person")
    labelled = sum(1 for p in suite.glob("*.npz") for lb in load_labels(p) or [] if not lb.ignore)
    assert person["labels"] == labelled
    assert person["recall"] == 1.0
    assert person["false_alarms"] == 0
    assert 0.0 <= person["ttd_median_s"] <= person["ttd_p95_s"] <= 8.0
    assert body["summary"]["nuisance_recordings"] == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, text, _ = invoke("eval", str(suite))
    assert code == 0 and "person" in text and "100.0%" in text


def test_eval_without_labelled_recordings_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke("eval", str(tmp_path))
    assert code == 2
    assert "no labelled recordings" in err
