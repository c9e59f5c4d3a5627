"""The update agent's systemd units that `unit write` installs pass the real `systemd-analyze verify`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from provisioning.cloudinit import UPDATE_PATH, UPDATE_SERVICE

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (apt: systemd)")


def verify(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *(str(folder / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_update_service_and_path_units_verify(tmp_path: Path) -> None:
    (tmp_path / "parkvakt-update.service").write_text(UPDATE_SERVICE)
    (tmp_path / "parkvakt-update.path").write_text(UPDATE_PATH)
    result = verify(tmp_path, "parkvakt-update.path", "parkvakt-update.service")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_verify_catches_a_broken_update_unit(tmp_path: Path) -> None:
    (tmp_path / "parkvakt-update.service").write_text(UPDATE_SERVICE.replace("Type=oneshot", "Type=oneshoot"))
    result = verify(tmp_path, "parkvakt-update.service")
    assert "oneshoot" in result.stderr
