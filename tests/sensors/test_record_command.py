"""``parkvakt record`` captures the module's frames into the shared recording format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from hw.recording import load_recording
from tests.support.emulator import module_emulator


def test_record_from_emulated_module(tmp_path: Path) -> None:
    out = tmp_path / "lot.npz"
    with module_emulator(tmp_path, rate=8) as (port, _):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "firmware.cli",
                "record",
                "--port",
                str(port),
                "--seconds",
                "1.5",
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 0, result.stderr
    rec = load_recording(out)
    assert rec.frames.shape[1:] == (24, 32) and rec.frames.dtype == np.float32
    assert 6 <= len(rec.frames) <= 14
    assert rec.timestamps[0] == 0.0 and np.all(np.diff(rec.timestamps) > 0)
    assert np.allclose(rec.frames[:, :3, :3], 60.0)  # the module's mirrored readout is undone
    assert rec.ambient is not None and np.allclose(rec.ambient, 31.25)
    assert rec.meta["sensor"].startswith("mlx90640-uart:")
    assert "0 rejected" in result.stderr


def test_record_without_a_sensor_fails_clearly(tmp_path: Path) -> None:
    args = ["record", "--port", str(tmp_path / "ttyNONE"), "--seconds", "0.5", "--out", str(tmp_path / "x.npz")]
    result = subprocess.run(
        [sys.executable, "-m", "firmware.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "no frame arrived in 0.5 s" in result.stderr
    assert "cannot open" in result.stderr
    assert not (tmp_path / "x.npz").exists()
