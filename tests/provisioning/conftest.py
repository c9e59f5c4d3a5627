from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from provisioning.cli import cli


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    path = tmp_path / "acme"
    result = run(
        "site", "init", path, "--name", "acme", "--mqtt-host", "mqtt.acme.example",
        "--repository-url", "https://updates.acme.example/parkvakt",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return path
