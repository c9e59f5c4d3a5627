"""``parkvakt run`` as a real subprocess under a test-owned NOTIFY_SOCKET, fed by the module emulator on a pty.

What systemd would see: READY=1 after the first frame, WATCHDOG=1 at a steady rate, a STATUS= line
a technician can read; pets stop when the pipeline hangs, continue when only the sensor is dead.
"""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from tests.service.daemon_process import DaemonProcess
from tests.support.emulator import module_emulator

WATCHDOG_USEC = 1_500_000  # the daemon pets every 0.5 s


def _outbox_events(state: Path) -> list[dict]:
    con = sqlite3.connect(state / "outbox.sqlite")
    try:
        return [json.loads(row[0]) for row in con.execute("SELECT payload FROM entries ORDER BY rowid")]
    finally:
        con.close()


def test_ready_watchdog_status_then_sigterm(tmp_path: Path, write_config) -> None:
    config = write_config()
    with module_emulator(tmp_path, rate=8.0) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}", watchdog_usec=WATCHDOG_USEC).start()
        try:
            ready = daemon.wait_notify("READY=1", timeout=30)
            assert daemon.messages("STATUS=")[0].at <= ready.at + 0.01, "a status line comes with READY"
            daemon.wait_for(lambda: len(daemon.messages("WATCHDOG=1", since=ready.at)) >= 6, 15, "6 pets")
            pets = [n.at for n in daemon.messages("WATCHDOG=1", since=ready.at)]
            gaps = [b - a for a, b in itertools.pairwise(pets)]
            assert max(gaps) < WATCHDOG_USEC / 1e6, f"a pet gap as long as the watchdog period: {gaps}"
            status = daemon.wait_for(
                lambda: [n for n in daemon.messages("STATUS=") if " fps" in n.message and "0.0 fps" not in n.message],
                10,
                "a STATUS with the frame rate",
            )[-1].message  # type: ignore[index]
            assert "sensor ok" in status
            assert "outbox" in status
            assert "armed" in status or "disarmed" in status
            started = time.monotonic()
            daemon.signal(signal.SIGTERM)
            rc = daemon.proc.wait(10)
            elapsed = time.monotonic() - started
        finally:
            daemon.kill()
    assert rc == 0, daemon.log_text()
    assert elapsed < 5.0, f"SIGTERM took {elapsed:.1f} s"
    assert daemon.messages("STOPPING=1")
    assert any("outputs in their safe state" in line for line in daemon.log), daemon.log_text()


def test_watchdog_stops_when_the_pipeline_hangs(tmp_path: Path, write_config) -> None:
    config = write_config()
    faults = {"PARKVAKT_TEST_FAULTS": "i-know-this-breaks-the-unit:hang-pipeline-after=16"}
    with module_emulator(tmp_path, rate=8.0) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}", extra_env=faults).start()
        try:
            ready = daemon.wait_notify("READY=1", timeout=30)
            daemon.wait_log("test fault: pipeline hangs now", timeout=20)
            daemon.wait_log("pipeline hung", timeout=10)
            hung_at = time.monotonic()
            time.sleep(2.0)  # four watchdog intervals
            assert daemon.proc.poll() is None, "the process itself stays up: systemd is the one to kill it"
            assert daemon.messages("WATCHDOG=1", since=ready.at), "it was petted while healthy"
            assert not daemon.messages("WATCHDOG=1", since=hung_at), "petted although the pipeline hung"
            # a stop request still ends the process cleanly, outputs safe, hung engine or not
            started = time.monotonic()
            daemon.signal(signal.SIGTERM)
            rc = daemon.proc.wait(10)
            elapsed = time.monotonic() - started
        finally:
            daemon.kill()
    assert rc == 0, daemon.log_text()
    assert elapsed < 5.0, f"SIGTERM with a hung pipeline took {elapsed:.1f} s"
    assert any("outputs in their safe state" in line for line in daemon.log), daemon.log_text()


def test_fault_injection_is_ignored_under_systemd(tmp_path: Path, write_config) -> None:
    config = write_config()
    faults = {
        "PARKVAKT_TEST_FAULTS": "i-know-this-breaks-the-unit:hang-pipeline-after=2",
        "INVOCATION_ID": "0123456789abcdef0123456789abcdef",
        "PARKVAKT_LOG_STDERR": "1",
    }
    with module_emulator(tmp_path, rate=8.0) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}", extra_env=faults).start()
        try:
            ready = daemon.wait_notify("READY=1", timeout=30)
            daemon.wait_for(lambda: len(daemon.messages("WATCHDOG=1", since=ready.at)) >= 4, 15, "pets continue")
        finally:
            daemon.kill()
    assert not any("TEST FAULT" in line or "hangs now" in line for line in daemon.log)


def test_dead_sensor_reports_trouble_and_keeps_the_watchdog(tmp_path: Path, write_config) -> None:
    config = write_config()
    script = [{"frames": 16}, {"silence": 60}]
    with module_emulator(tmp_path, rate=8.0, script=script) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}").start()
        try:
            daemon.wait_notify("READY=1", timeout=30)
            daemon.wait_log("trouble start", timeout=20)
            dead = daemon.wait_for(
                lambda: [n for n in daemon.messages("STATUS=") if "sensor DEAD" in n.message], 10, "STATUS sensor DEAD"
            )[0]  # type: ignore[index]
            daemon.wait_for(lambda: len(daemon.messages("WATCHDOG=1", since=dead.at)) >= 4, 10, "pets while dead")
        finally:
            rc = daemon.stop()
    assert rc == 0, daemon.log_text()
    troubles = [e for e in _outbox_events(tmp_path / "state") if e["type"] == "trouble"]
    assert any(e["phase"] == "start" and (e.get("detail") or {}).get("component") == "sensor" for e in troubles), (
        troubles
    )


def test_a_crashed_task_is_restarted_and_reported(tmp_path: Path, write_config) -> None:
    config = write_config()
    faults = {"PARKVAKT_TEST_FAULTS": "i-know-this-breaks-the-unit:crash-task=status"}
    with module_emulator(tmp_path, rate=8.0) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}", extra_env=faults).start()
        try:
            daemon.wait_log("task status died", timeout=30)
            restarted = daemon.wait_log("task status restarting", timeout=10)
            assert restarted
            daemon.wait_for(
                lambda: [n for n in daemon.messages("STATUS=") if " fps" in n.message], 15, "status task running again"
            )
        finally:
            rc = daemon.stop()
    assert rc == 0, daemon.log_text()
    troubles = [e for e in _outbox_events(tmp_path / "state") if e["type"] == "trouble"]
    assert any((e.get("detail") or {}).get("component") == "task:status" for e in troubles), troubles


def test_sighup_rejects_a_broken_config_and_applies_a_good_one(tmp_path: Path, write_config) -> None:
    config = write_config()
    good = config.read_text()
    with module_emulator(tmp_path, rate=8.0) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}").start()
        try:
            daemon.wait_notify("READY=1", timeout=30)
            config.write_text(good + '\n[detection]\nfire_confirm_s = "soon"\nbogus = 1\n')
            sent = time.monotonic()
            daemon.signal(signal.SIGHUP)
            daemon.wait_log(f"{config}: detection.fire_confirm_s:", timeout=10)
            daemon.wait_log(f"{config}: detection.bogus: unknown key", timeout=5)
            daemon.wait_notify("RELOADING=1", since=sent, timeout=5)
            daemon.wait_for(lambda: len(daemon.messages("WATCHDOG=1", since=sent)) >= 3, 10, "still petted")
            assert daemon.proc.poll() is None
            config.write_text(good + "\n[detection]\nfire_confirm_s = 6.0\n")
            daemon.signal(signal.SIGHUP)
            daemon.wait_log("config reloaded; changed sections: detection", timeout=10)
            after = time.monotonic()
            daemon.wait_for(lambda: len(daemon.messages("WATCHDOG=1", since=after)) >= 2, 10, "pets after reload")
        finally:
            rc = daemon.stop()
    assert rc == 0, daemon.log_text()


def test_bad_config_exits_2_with_the_usual_lines(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = tmp_path / "unit.toml"
    config.write_text('[unit]\nid = "x"\n[sensor]\nrate_hz = 3\n[mqtt]\nport = 0\n')
    result = subprocess.run(
        [sys.executable, "-m", "firmware.cli", "run", "--config", str(config), "--gpio", "mock"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PARKVAKT_STATE_DIR": str(tmp_path / "state")},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{config}: sensor.rate_hz:") for line in lines), result.stderr
    assert any(line.startswith(f"{config}: mqtt.port:") for line in lines), result.stderr
    assert not (tmp_path / "state").exists(), "nothing was started, not even the state directory"


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.mark.skipif(Path("/dev/gpiochip0").exists(), reason="this machine has GPIO; the no-GPIO message is for benches")
def test_without_gpio_hardware_run_refuses_with_a_clear_message(tmp_path: Path, write_config) -> None:
    import subprocess
    import sys

    config = write_config()
    result = subprocess.run(
        [sys.executable, "-m", "firmware.cli", "run", "--config", str(config), "--source", "sim:demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PARKVAKT_STATE_DIR": str(tmp_path / "state")},
    )
    assert result.returncode == 3, result.stderr
    assert "no GPIO on this machine" in result.stderr and "--gpio mock" in result.stderr


def test_the_model_passes_its_health_check_on_an_empty_lot(tmp_path: Path, write_config) -> None:
    """Nothing moves in front of the unit, so the model never classifies a track; its self-test at
    start still runs it once, so the update agent's ``inference`` check holds (a quiet night lot
    must not roll a good release back)."""
    from hw.recording import Recording, save_recording

    still = tmp_path / "still.npz"
    save_recording(still, Recording(frames=np.full((16, 24, 32), 12.0, np.float32), timestamps=np.arange(16) / 8.0))
    config = write_config()
    with module_emulator(tmp_path, rate=8.0, source=("--recording", str(still), "--loop")) as (port, _emu):
        daemon = DaemonProcess(config, tmp_path, source=f"uart:{port}").start()
        try:
            daemon.wait_notify("READY=1", timeout=30)
            health = tmp_path / "state" / "health.json"

            def inference() -> dict | None:
                return json.loads(health.read_text())["checks"].get("inference") if health.exists() else None

            check = daemon.wait_for(inference, 10, "the inference health check")
        finally:
            daemon.kill()
    assert check["ok"] and "self-test" in check["detail"], check
