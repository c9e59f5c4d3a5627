from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_config(tmp_path: Path):
    def write(extra: str = "", name: str = "unit.toml", mqtt: str = "enabled = false") -> Path:
        path = tmp_path / name
        body = """
            [unit]
            id = "svc-test"

            [mqtt]
            {mqtt}

            [sensor]
            rate_hz = 8

            [service]
            status_interval_s = 0.5
            sensor_dead_s = 1.5
            pipeline_stall_s = 1.5
        """
        path.write_text(textwrap.dedent(body).replace("{mqtt}", mqtt) + textwrap.dedent(extra))
        return path

    return write
