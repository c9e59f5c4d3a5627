"""The ``[update]`` section: broken values are named clearly, defaults are the production layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.config.schema import ConfigError, parse_config


def test_defaults_are_the_units_layout() -> None:
    update = parse_config({"unit": {"id": "u1"}}).update
    assert update.install_root == Path("/opt/parkvakt")
    assert update.agent_dir == Path("/var/lib/parkvakt-update")
    assert update.restart_command == ["systemctl", "restart", "parkvakt"]
    assert update.repository_url == ""  # no update source until provisioning sets one


def test_bad_update_settings_are_each_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "unit": {"id": "u1"},
                "update": {"repository_url": "ftp://x", "restart_command": [], "max_attempts": 0, "colour": 1},
            }
        )
    report = caught.value.report()
    assert "update.repository_url: must start with https://, http:// or file://" in report
    assert "update.restart_command: must name a program" in report
    assert "update.max_attempts: Input should be greater than or equal to 1" in report
    assert "update.colour: unknown key" in report
