"""kill -9 of the agent in every state, then a restart: the unit ends on a working release and
the report tells the truth. The agent runs as a real subprocess and pauses at a named point
(test-only hook ``PARKVAKT_UPDATE_TEST_PAUSE_AT``) so the kill lands exactly there."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from firmware.update.agent import PAUSE_ENV
from firmware.update.health import judge
from firmware.update.launch import request_via_file
from firmware.update.report import pending_reports
from tests.update.conftest import Site, Unit


def agent_cmd(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "firmware.update", "--config", str(config), *args]


def kill_agent_at(unit: Unit, tmp_path: Path, version: str, point: str) -> Path:
    config = tmp_path / "unit.toml"
    config.write_text(unit.config_toml())
    marker = tmp_path / "paused"
    env = {**os.environ, PAUSE_ENV: point, PAUSE_ENV + "_MARKER": str(marker)}
    env.pop("PARKVAKT_STATE_DIR", None)
    proc = subprocess.Popen(
        agent_cmd(config, "apply", version), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"agent ended before {point}: {proc.stdout.read()} {proc.stderr.read()}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"agent never reached {point}"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = json.loads((unit.agent_dir / "state.json").read_text())
    assert state["job"]["state"] == point.split(".")[0]
    return config


def resume(config: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PARKVAKT_STATE_DIR", None)
    return subprocess.run(agent_cmd(config, "resume"), env=env, capture_output=True, text=True, timeout=120)


GOOD_POINTS = [
    "Download",
    "Download.partial",
    "ArtifactInstall",
    "ArtifactReboot",
    "ArtifactReboot.switched",
    "ArtifactCommit",
    "Cleanup",
]


@pytest.mark.parametrize("point", GOOD_POINTS)
def test_kill_during_good_update_then_resume_ends_on_new_release(
    point: str, tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.1.0"])
    config = kill_agent_at(unit, tmp_path, "1.1.0", point)
    assert unit.current() in ("1.0.0", "1.1.0")  # never neither
    done = resume(config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "updated from 1.0.0 to 1.1.0"
    assert unit.current() == "1.1.0"
    assert judge(unit.state_dir, "1.1.0", 0).healthy  # the service runs the new release and is healthy
    [report] = pending_reports(unit.state_dir / "update")
    assert (report.outcome, report.running) == ("success", "1.1.0")
    if point == "Download.partial":
        ranges = [r for path, r in site.requests if "parkvakt-1.1.0" in path and r]
        assert ranges and int(ranges[0].removeprefix("bytes=").rstrip("-")) >= 64 * 1024  # resumed, not restarted


@pytest.mark.parametrize("point", ["ArtifactReboot.switched", "ArtifactCommit", "ArtifactRollback", "ArtifactFailure"])
def test_kill_during_failing_update_then_resume_ends_on_old_release(
    point: str, tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.2.0"])
    config = kill_agent_at(unit, tmp_path, "1.2.0", point)
    assert unit.current() in ("1.0.0", "1.2.0")
    done = resume(config)
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "rolled back from 1.2.0 to 1.0.0 because health check inference failed: model input tensor shape mismatch"
    )
    assert unit.current() == "1.0.0"
    assert unit.running_version() == "1.0.0"
    [report] = pending_reports(unit.state_dir / "update")
    assert (report.outcome, report.running) == ("rolled_back", "1.0.0")
    state = json.loads((unit.agent_dir / "state.json").read_text())
    assert state["failures"] == {"1.2.0": 1}  # counted once, however often the state was redone


def test_full_disk_during_download_fails_cleanly_and_changes_nothing(
    tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.1.0"])
    config = tmp_path / "unit.toml"
    config.write_text(unit.config_toml())
    pid_before = (unit.state_dir / "service.pid").read_text()
    env = dict(os.environ)
    env.pop("PARKVAKT_STATE_DIR", None)

    def small_disk() -> None:  # no file may grow past 150 kB: the 300 kB release cannot be stored
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    done = subprocess.run(
        agent_cmd(config, "apply", "1.1.0"), env=env, capture_output=True, text=True, preexec_fn=small_disk, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == "update to 1.1.0 failed: cannot store the download: File too large"
    assert unit.current() == "1.0.0"
    assert unit.releases() == ["1.0.0"]
    assert (unit.state_dir / "service.pid").read_text() == pid_before
    assert not (unit.agent_dir / "downloads").exists()
    [report] = pending_reports(unit.state_dir / "update")
    assert report.outcome == "failed"


def serve(config: Path, pause_at: str | None = None, marker: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("PARKVAKT_STATE_DIR", None)
    if pause_at:
        env[PAUSE_ENV], env[PAUSE_ENV + "_MARKER"] = pause_at, str(marker)
    return subprocess.Popen(
        agent_cmd(config, "serve"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_request_left_by_the_daemon_is_served_once_even_if_the_agent_is_killed(
    tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.1.0"])
    config = tmp_path / "unit.toml"
    config.write_text(unit.config_toml())
    request_via_file(unit.state_dir / "update")("1.1.0")  # what the daemon's `update` command does
    marker = tmp_path / "paused"
    first = serve(config, "ArtifactInstall", marker)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()  # type: ignore[union-attr]
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = serve(config)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert out.strip() == "updated from 1.0.0 to 1.1.0"
    assert not (unit.state_dir / "update" / "request.json").exists()
    assert unit.current() == "1.1.0"
    assert len(pending_reports(unit.state_dir / "update")) == 1  # one request, one update, one report


def test_a_request_naming_a_path_instead_of_a_version_is_refused(tmp_path: Path, unit: Unit) -> None:
    config = tmp_path / "unit.toml"
    config.write_text(unit.config_toml())
    request = unit.state_dir / "update" / "request.json"
    request.parent.mkdir(parents=True, exist_ok=True)
    request.write_text(json.dumps({"id": "x", "version": "../../../etc"}))
    _, err = serve(config).communicate(timeout=60)
    assert "is not a release version" in err
    assert not request.exists()
    assert unit.current() == "1.0.0" and unit.releases() == ["1.0.0"]


def test_a_release_whose_every_start_is_cut_short_is_rolled_back_by_the_loop_guard(
    tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    """Power lost during each start of the new release: after max_attempts restarts, roll back."""
    site.publish(releases["1.1.0"])
    config = kill_agent_at(unit, tmp_path, "1.1.0", "ArtifactReboot.switched")
    (tmp_path / "paused").unlink()
    env = {**os.environ, PAUSE_ENV: "ArtifactReboot.switched", PAUSE_ENV + "_MARKER": str(tmp_path / "paused")}
    env.pop("PARKVAKT_STATE_DIR", None)
    again = subprocess.Popen(agent_cmd(config, "resume"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (tmp_path / "paused").exists():
        assert again.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    again.send_signal(signal.SIGKILL)
    again.wait()
    done = resume(config)
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "rolled back from 1.1.0 to 1.0.0 because release 1.1.0 did not come up healthy after 2 restarts"
    )
    assert unit.current() == "1.0.0"
    assert unit.running_version() == "1.0.0"


def test_apply_after_a_crash_finishes_the_interrupted_update_first(
    tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.2.0"])
    site.publish(releases["1.1.0"])
    config = kill_agent_at(unit, tmp_path, "1.2.0", "ArtifactCommit")
    env = dict(os.environ)
    env.pop("PARKVAKT_STATE_DIR", None)
    done = subprocess.run(agent_cmd(config, "apply", "1.1.0"), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "update to 1.2.0 is in progress (ArtifactCommit); finishing it first" in done.stderr
    assert done.stdout.splitlines() == [
        "rolled back from 1.2.0 to 1.0.0 because health check inference failed: model input tensor shape mismatch",
        "updated from 1.0.0 to 1.1.0",
    ]
    assert unit.current() == "1.1.0"
    bad = subprocess.run(agent_cmd(config, "apply", "../../etc"), env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "is not a release version" in bad.stderr
