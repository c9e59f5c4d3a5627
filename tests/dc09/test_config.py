"""``[alarm_centre]``: what a technician types, what check-config says about mistakes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from firmware.cli import cli
from firmware.config import ConfigError, parse_config
from firmware.uplink.dc09.transmitter import LinkSettings, build_transmitter
from tests.conftest import REPO


def section(**values: object) -> dict[str, object]:
    return {"unit": {"id": "lot-7"}, "alarm_centre": values}


def problems(**values: object) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse_config(section(**values))
    return info.value.problems


def test_disabled_by_default_and_needs_nothing(tmp_path: Path) -> None:
    section = parse_config({"unit": {"id": "lot-7"}}).alarm_centre
    assert section.enabled is False
    assert build_transmitter(section, outbox=None, state_dir=tmp_path) is None  # type: ignore[arg-type]


def test_a_full_section_becomes_link_settings(tmp_path: Path) -> None:
    key_file = tmp_path / "dc09.key"
    key_file.write_text("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n")
    cfg = parse_config(
        section(
            enabled=True,
            primary="arc1.example.se:9000",
            backup="[2001:db8::7]:9001",
            account="a1b2c3",
            receiver="12",
            line="3",
            token="ADM-CID",
            key_file=str(key_file),
            zones={"entrance": 3},
            retries=4,
        )
    ).alarm_centre
    s = LinkSettings.from_config(cfg)
    assert s.receivers == (("arc1.example.se", 9000), ("2001:db8::7", 9001))
    assert (s.account, s.receiver, s.line, s.token, s.retries) == ("A1B2C3", "12", "3", "ADM-CID", 4)
    assert s.key is not None and len(s.key) == 32
    assert s.zones == {"entrance": 3}
    tx = build_transmitter(cfg, outbox=None, state_dir=tmp_path)  # type: ignore[arg-type]
    assert tx is not None and tx.sequence.path == tmp_path / "dc09-sequence.json"
    assert tx.health()["receiver"] == "arc1.example.se:9000" and tx.health()["path"] == "primary"


@pytest.mark.parametrize(
    ("values", "key", "reason"),
    [
        ({"enabled": True, "account": "1234"}, "alarm_centre", "primary"),
        ({"enabled": True, "primary": "arc:9000"}, "alarm_centre", "account"),
        ({"primary": "arc"}, "alarm_centre.primary", "host:port"),
        ({"backup": "arc:99999"}, "alarm_centre.backup", "port"),
        ({"account": "12"}, "alarm_centre.account", "3 to 16 hex"),
        ({"account": "12G4"}, "alarm_centre.account", "hex"),
        ({"key": "0011"}, "alarm_centre.key", "32, 48 or 64 hex"),
        ({"key": "zz" * 16}, "alarm_centre.key", "hex"),
        ({"token": "CID"}, "alarm_centre.token", "SIA-DCS"),
        ({"zones": {"lot": 0}}, "alarm_centre.zones", "1-999"),
        ({"receiver": "1234567"}, "alarm_centre.receiver", "hex"),
        ({"key": "00" * 16, "key_file": "/k"}, "alarm_centre", "not both"),
        (
            {"enabled": True, "primary": "a:1", "account": "123", "key_file": "/nonexistent/dc09.key"},
            "alarm_centre",
            "cannot read key file",
        ),
        ({"supervision_interval_s": 1}, "alarm_centre.supervision_interval_s", "greater than or equal"),
        ({"colour": "red"}, "alarm_centre.colour", "unknown key"),
    ],
)
def test_mistakes_are_named(values: dict[str, object], key: str, reason: str) -> None:
    found = problems(**values)
    assert any(k == key and reason in r for k, r in found), found


def test_check_config_reports_a_bad_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "dc09.key"
    key_file.write_text("not a key")
    path = tmp_path / "unit.toml"
    path.write_text(
        f'[unit]\nid = "lot-7"\n[alarm_centre]\nenabled = true\nprimary = "arc:9000"\naccount = "1234"\n'
        f'key_file = "{key_file}"\n'
    )
    result = CliRunner().invoke(cli, ["check-config", str(path)])
    assert result.exit_code == 2
    assert "alarm_centre: key file" in result.output and "32, 48 or 64 hex" in result.output


def test_the_example_in_the_guide_for_security_companies_is_valid(tmp_path: Path) -> None:
    key_file = tmp_path / "dc09.key"
    key_file.write_text("00" * 16)
    guide = (REPO / "docs" / "alarm-centre.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", guide, re.DOTALL)
    assert blocks, "docs/alarm-centre.md has no toml example"
    for block in blocks:
        block = block.replace("/etc/parkvakt/dc09.key", str(key_file))
        cfg = parse_config({"unit": {"id": "lot-7"}, **tomllib.loads(block)})
        assert cfg.alarm_centre.enabled and cfg.alarm_centre.zones
