"""The shipped unit file passes the real ``systemd-analyze verify`` and ``security --offline=true``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.sandbox import mdwe_supported, seccomp_supported, under_mdwe, under_seccomp

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "provisioning" / "systemd" / "parkvakt.service"
INSTALLED_EXEC = "/opt/parkvakt/current/venv/bin/parkvakt"
MAX_EXPOSURE = 2.5

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (apt: systemd)")


def _settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def _verifiable_copy(tmp_path: Path, text: str | None = None) -> Path:
    """The unit with ExecStart pointing at this checkout's ``parkvakt`` (verify checks that it exists).

    Nothing else is changed, so every other line is verified exactly as shipped.
    """
    text = UNIT.read_text() if text is None else text
    here = Path(sys.executable).with_name("parkvakt")
    assert here.exists(), f"{here} missing: is the package installed into the venv?"
    copy = tmp_path / "parkvakt.service"
    copy.write_text(text.replace(INSTALLED_EXEC, str(here)))
    return copy


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )


def test_unit_file_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = _verify(_verifiable_copy(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", f"systemd-analyze verify complained:\n{result.stderr}"


def test_verify_reports_a_broken_setting(tmp_path: Path) -> None:
    """Guards the check above: a typo in the unit does show up in verify's output."""
    broken = UNIT.read_text().replace("TimeoutStopSec=10", "TimeoutStopSec=ten")
    result = _verify(_verifiable_copy(tmp_path, broken))
    assert "TimeoutStopSec" in result.stderr or "time value" in result.stderr


def test_security_exposure_is_at_most_2_5(tmp_path: Path) -> None:
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", "--no-pager", str(_verifiable_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for parkvakt\.service:\s*([0-9.]+)", result.stdout)
    assert match, f"no exposure figure in:\n{result.stdout[-2000:]}\n{result.stderr}"
    exposure = float(match.group(1))
    assert exposure <= MAX_EXPOSURE, f"exposure {exposure} > {MAX_EXPOSURE}:\n{result.stdout}"


def test_unit_runs_as_notify_service_with_watchdog_and_dedicated_user() -> None:
    s = _settings(UNIT.read_text())
    assert s["Type"] == ["notify"]
    assert s["ExecStart"][0].startswith(INSTALLED_EXEC + " run --config /etc/parkvakt/unit.toml")
    assert int(s["WatchdogSec"][0]) > 0
    assert s["Restart"] == ["on-failure"]
    assert s["User"] == ["parkvakt"]
    assert set(s["SupplementaryGroups"][0].split()) == {"gpio", "video", "dialout", "i2c", "audio"}
    assert s["StateDirectory"] == ["parkvakt"]
    assert "PARKVAKT_STATE_DIR=/var/lib/parkvakt" in s["Environment"]


def test_unit_hardening_settings() -> None:
    s = _settings(UNIT.read_text())
    assert s["ProtectSystem"] == ["strict"]
    assert s["NoNewPrivileges"] == ["yes"]
    assert s["PrivateTmp"] == ["yes"]
    assert s["DevicePolicy"] == ["closed"]
    assert all(v.startswith("char-") for v in s["DeviceAllow"])
    assert s["CapabilityBoundingSet"] == [""]
    assert s["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert s["SystemCallFilter"][0] == "@system-service"


DEMO = [sys.executable, "-m", "firmware.cli", "demo", "--fast"]
CRYPTO_TLS_SQLITE = (
    "import os, ssl, sqlite3, aiomqtt\n"
    "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
    "e = Cipher(algorithms.AES(os.urandom(16)), modes.CBC(bytes(16))).encryptor(); e.update(bytes(16))\n"
    "ssl.create_default_context(); sqlite3.connect(':memory:').execute('select 1')\n"
    "import ctypes; cb = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1); assert cb(1) == 2\n"
    "print('ok')"
)


def test_the_real_stack_runs_under_memory_deny_write_execute() -> None:
    """MemoryDenyWriteExecute=yes is only safe if nothing we load needs W+X pages: run it and see."""
    if not mdwe_supported():
        pytest.skip("kernel without PR_SET_MDWE (Linux < 6.3): cannot apply W^X outside systemd here")
    result = subprocess.run(under_mdwe(DEMO), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FIRE ALARM" in result.stdout
    result = subprocess.run(
        under_mdwe([sys.executable, "-c", CRYPTO_TLS_SQLITE]), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
    # and the rule is really in force: a cffi callback, which needs W+X memory, is refused
    cffi_callback = "import cffi; cffi.FFI().callback('int(int)')(lambda x: x)"
    refused = subprocess.run(under_mdwe([sys.executable, "-c", cffi_callback]), capture_output=True, text=True)
    assert refused.returncode != 0 and "write+execute" in refused.stderr


def test_the_real_stack_runs_under_the_system_call_filter() -> None:
    """The unit's SystemCallFilter= (expanded by systemd-analyze) applied with libseccomp, EPERM default."""
    if not seccomp_supported():
        pytest.skip("libseccomp (pyseccomp) is not usable here")
    result = subprocess.run(under_seccomp(DEMO), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FIRE ALARM" in result.stdout
    result = subprocess.run(
        under_seccomp([sys.executable, "-c", CRYPTO_TLS_SQLITE]), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
    # the filter is really in force: setpriority (@resources) is refused with EPERM
    renice = "import os\ntry:\n    os.setpriority(os.PRIO_PROCESS, 0, 5)\nexcept PermissionError:\n    print('EPERM')"
    refused = subprocess.run(under_seccomp([sys.executable, "-c", renice]), capture_output=True, text=True)
    assert refused.stdout.strip() == "EPERM", refused.stderr


def test_unit_denies_write_execute_memory() -> None:
    assert _settings(UNIT.read_text())["MemoryDenyWriteExecute"] == ["yes"]


def test_the_daemon_runs_under_the_unit_sandbox(tmp_path: Path, write_config) -> None:
    """``parkvakt run`` itself (asyncio, threads, signals, sd_notify, the UART driver on a pty,
    SQLite WAL, TFLite) under the system-call filter and W^X together: READY, pets, clean SIGTERM."""
    if not (seccomp_supported() and mdwe_supported()):
        pytest.skip("needs libseccomp and PR_SET_MDWE (Linux >= 6.3)")
    from tests.service.daemon_process import DaemonProcess
    from tests.support.emulator import module_emulator

    config = write_config()
    with module_emulator(tmp_path, rate=8.0) as (port, _emu):
        daemon = DaemonProcess(
            config, tmp_path, source=f"uart:{port}", launcher=lambda argv: under_seccomp(under_mdwe(argv))
        ).start()
        try:
            ready = daemon.wait_notify("READY=1", timeout=30)
            daemon.wait_for(lambda: len(daemon.messages("WATCHDOG=1", since=ready.at)) >= 3, 10, "pets")
        finally:
            rc = daemon.stop()
    assert rc == 0, daemon.log_text()
    assert not any("Operation not permitted" in line for line in daemon.log), daemon.log_text()
