"""The shipped unit file passes the real ``systemd-analyze verify`` and ``security --offline=true``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
