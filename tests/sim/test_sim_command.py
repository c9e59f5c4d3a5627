"""``parkvakt sim`` and the evaluation-suite generator, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from firmware.cli import cli
from hw.recording import load_labels, load_recording, save_labels
from hw.sim import SCENARIOS, Scenario
from hw.sim.suite import EVALUATION_SEEDS_START, main, parse_seeds, plan


def test_sim_writes_a_recording_and_labels_that_read_back(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "walk.npz"
    result = CliRunner().invoke(cli, ["sim", "person-walking", "--seconds", "90", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rec = load_recording(out)
    assert rec.frames.shape == (720, 24, 32) and rec.frames.dtype == np.float32
    assert rec.timestamps[1] == 0.125 and rec.meta["scenario"] == "person-walking" and rec.meta["seed"] == 7
    labels = load_labels(out)
    assert labels == Scenario("person-walking", seed=7).labels(90)
    assert labels and {e.type for e in labels} == {"person"}
    np.testing.assert_array_equal(rec.frames, Scenario("person-walking", seed=7).render(90, with_truth=False).frames)


def test_sim_other_shape_and_rate(tmp_path: Path) -> None:
    out = tmp_path / "fire.npz"
    args = ["sim", "car-fire", "--seconds", "2", "--shape", "60x80", "--fps", "4", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    rec = load_recording(out)
    assert rec.frames.shape == (8, 60, 80)
    assert load_labels(out) == []


def test_sim_list_names_every_scenario_with_a_description() -> None:
    result = CliRunner().invoke(cli, ["sim", "--list"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == len(SCENARIOS)
    for name, spec in SCENARIOS.items():
        assert any(line.startswith(name) and spec.description in line for line in lines)


def test_sim_refuses_bad_input_clearly(tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["sim", "moonbase", "--out", str(tmp_path / "x.npz")])
    assert unknown.exit_code == 2 and "unknown scenario 'moonbase'" in unknown.output
    shape = runner.invoke(cli, ["sim", "demo", "--shape", "7", "--out", str(tmp_path / "x.npz")])
    assert shape.exit_code == 2 and "expected HxW" in shape.output
    huge = runner.invoke(
        cli, ["sim", "nuisance", "--seconds", "36000", "--shape", "120x160", "--out", str(tmp_path / "x.npz")]
    )
    assert huge.exit_code == 2 and "GiB" in huge.output
    missing = runner.invoke(cli, ["sim", "demo"])
    assert missing.exit_code == 2 and "--out" in missing.output
    assert not list(tmp_path.iterdir())


def test_sim_reports_an_unwritable_destination(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(cli, ["sim", "demo", "--seconds", "1", "--out", str(blocker / "x.npz")])
    assert result.exit_code == 1 and "cannot write" in result.output


def test_suite_plan_covers_every_scenario_on_held_out_seeds_and_a_day_of_nuisance() -> None:
    jobs = plan(parse_seeds("1000-1005"), 24.0, (24, 32), 8.0)
    named = [j for j in jobs if j.scenario != "nuisance"]
    assert len(named) >= 50
    assert {j.scenario for j in named} == set(SCENARIOS) - {"nuisance"}
    assert sum(j.seconds for j in jobs if j.scenario == "nuisance") >= 24 * 3600
    assert min(j.seed for j in jobs) >= EVALUATION_SEEDS_START
    assert len({j.filename for j in jobs}) == len(jobs)


def test_suite_refuses_training_seeds(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["/tmp/never-written", "--seeds", "5-10"]) == 2
    assert "evaluation seeds must be >= 1000" in capsys.readouterr().err


def test_suite_writes_recordings_labels_and_an_index(tmp_path: Path) -> None:
    code = main([str(tmp_path), "--seeds", "1000", "--nuisance-hours", "0.005", "--fps", "1", "--jobs", "1"])
    assert code == 0
    index = json.loads((tmp_path / "suite.json").read_text())["recordings"]
    assert len(index) == len(SCENARIOS)
    fire = load_labels(tmp_path / "car-fire-1000.npz")
    assert fire is not None and "fire" in {e.type for e in fire}
    assert load_labels(tmp_path / "nuisance-1000.npz") == []
    assert len(load_recording(tmp_path / "nuisance-1000.npz").frames) == 18


def test_suite_relabel_rewrites_labels_and_keeps_the_recordings(tmp_path: Path) -> None:
    args = [str(tmp_path), "--seeds", "1000", "--nuisance-hours", "0", "--fps", "1", "--jobs", "1"]
    assert main(args) == 0
    walk = tmp_path / "person-walking-1000.npz"
    written = walk.stat().st_mtime_ns
    right = load_labels(walk)
    save_labels(walk, [])  # labels from an older rule
    assert main(args) == 0
    assert load_labels(walk) == []  # resumable: what is there is kept
    assert main([*args, "--relabel"]) == 0
    assert load_labels(walk) == right and right
    assert walk.stat().st_mtime_ns == written
