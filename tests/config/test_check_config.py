"""``parkvakt check-config``: exit 0 on a usable config, exit 2 and one line per problem otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from firmware.cli import cli
from firmware.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]


def check(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "unit.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["check-config", str(path)])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    return result.exit_code, lines


def test_minimal_config_is_valid_and_filled_with_defaults(tmp_path: Path) -> None:
    code, lines = check(tmp_path, '[unit]\nid = "lot-7"\n')
    assert code == 0, lines
    cfg = load_config(tmp_path / "unit.toml")
    assert cfg.unit.timezone == "Europe/Stockholm"
    assert cfg.mqtt.prefix == "parkvakt"
    assert cfg.detection.fire_confirm_s == 4.0


@pytest.mark.parametrize("example", sorted((REPO / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_examples_are_valid(example: Path) -> None:
    load_config(example)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[unit]\nid = "a"\ncolour = "red"\n', ["unit.colour: unknown key"]),
        ('[unit]\nid = "a"\n[sensor]\nbaud = "fast"\n', ["sensor.baud: Input should be 9600, 115200 or 460800"]),
        (
            '[unit]\nid = "a"\n[sensor]\nemissivity = 1.5\n',
            ["sensor.emissivity: Input should be less than or equal to 1"],
        ),
        ("[sensor]\nport = '/dev/ttyUSB0'\n", ["unit: required key is missing"]),
        ('[unit]\nid = "a"\ntimezone = "Mars/Olympus"\n', ["unit.timezone: unknown time zone 'Mars/Olympus'"]),
        ('[unit]\nid = "a"\n[mqtt]\nport = 70000\n', ["mqtt.port: Input should be less than or equal to 65535"]),
        ('[unit]\nid = "a"\n[mqtt]\ncert = "/etc/c.pem"\n', ["mqtt: cert and key must be given together"]),
        (
            '[unit]\nid = "a"\n[[detection.zones]]\nname = "gate"\npolygon = [[0, 0], [1.2, 0], [1, 1]]\n',
            ["detection.zones[0].polygon: point 1 (1.2, 0.0) is outside the frame; coordinates are normalized to 0..1"],
        ),
        (
            '[unit]\nid = "a"\n[[detection.zones]]\nname = "z"\npolygon = [[0,0],[1,0],[1,1]]\n'
            '[[detection.zones]]\nname = "z"\npolygon = [[0,0],[1,0],[0,1]]\n',
            ["detection.zones: zone name 'z' is used twice"],
        ),
        ('[unit\nid = "a"\n', ["<toml>: "]),
    ],
)
def test_broken_config_gives_path_key_reason(tmp_path: Path, text: str, expected: list[str]) -> None:
    code, lines = check(tmp_path, text)
    assert code == 2
    path = str(tmp_path / "unit.toml")
    for want in expected:
        assert any(ln.startswith(f"{path}: {want}") for ln in lines), (want, lines)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    code, lines = check(tmp_path, '[unit]\nid = ""\nbogus = 1\n[sensor]\nrate_hz = 3\n[mqtt]\nport = 0\n')
    assert code == 2
    keys = [ln.split(": ")[1] for ln in lines]
    assert keys == ["unit.id", "unit.bogus", "sensor.rate_hz", "mqtt.port"]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml")
    assert "<file>" in info.value.report()
