"""Release folders: a venv the agent built itself (no pip in it) can still install the next release."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tests.update.conftest import flash


def test_an_agent_without_pip_installs_with_the_pip_bundled_in_the_release(tmp_path: Path, releases: dict) -> None:
    install_root = tmp_path / "opt"
    flash(install_root)
    no_pip_python = install_root / "current" / "venv" / "bin" / "python"  # built with --without-pip
    assert subprocess.run([no_pip_python, "-c", "import pip"], capture_output=True).returncode != 0
    script = (
        "import sys; from pathlib import Path; from firmware.update.install import install_release\n"
        "install_release(Path(sys.argv[1]), Path(sys.argv[2]), '1.1.0')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [no_pip_python, "-c", script, install_root, releases["1.1.0"].artifact],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    new_python = install_root / "releases" / "1.1.0" / "venv" / "bin" / "python"
    version = subprocess.run(
        [new_python, "-c", "import importlib.metadata as m; print(m.version('pvsvc'))"], capture_output=True, text=True
    )
    assert version.stdout.strip() == "1.1.0"
