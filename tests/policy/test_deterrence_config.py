"""``parkvakt check-config`` rejects a bad board profile or a reference to an output the board lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from firmware.cli import cli
from hw.board_profile import BOARDS_DIR

BUNDLED = (BOARDS_DIR / "rpi4-relay-hat.toml").read_text()
OUTPUTS = "amplifier, floodlight, siren, status_led, strobe"


def check(tmp_path: Path, text: str) -> tuple[int, list[str], str]:
    path = tmp_path / "unit.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["check-config", str(path)])
    return result.exit_code, [ln for ln in result.output.splitlines() if ln.strip()], str(path)


def board(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "board.toml"
    path.write_text(text)
    return path


def test_default_deterrence_uses_the_bundled_board(tmp_path: Path) -> None:
    code, lines, _ = check(tmp_path, '[unit]\nid = "a"\n')
    assert code == 0, lines


@pytest.mark.parametrize(
    ("profile_edit", "expected"),
    [
        (
            lambda s: s.replace("[outputs.strobe]\npin = 20", "[outputs.strobe]\npin = 26"),
            "outputs.strobe.pin: pin 26 is used twice (also outputs.floodlight)",
        ),
        (
            lambda s: s.replace('[inputs.pir]\nkind = "motion"\npin = 17', '[inputs.pir]\nkind = "motion"\npin = 21'),
            "inputs.pir.pin: pin 21 is used twice (also outputs.siren)",
        ),
        (lambda s: s.replace("pin = 16", "pin = 40"), "outputs.amplifier.pin: 40 is not a BCM pin number 0..27"),
        (
            lambda s: s.replace('feedback = "siren_feedback"', 'feedback = "siren_fb"'),
            "outputs.siren.feedback: no input named 'siren_fb'",
        ),
        (lambda s: s.replace("active_high = true", "active_high = 1", 1), "outputs.floodlight.active_high: 1 is not"),
        (lambda s: s + "\n[outputs.horn]\npin = 24\ncolour = 'red'\n", "outputs.horn.colour: unknown key"),
    ],
    ids=["output-pin-twice", "input-pin-on-output", "bad-pin", "missing-feedback", "bad-active-high", "unknown-key"],
)
def test_broken_profile_is_rejected_with_path_key_reason(tmp_path: Path, profile_edit, expected: str) -> None:
    edited = profile_edit(BUNDLED)
    assert edited != BUNDLED
    profile = board(tmp_path, edited)
    code, lines, path = check(tmp_path, f'[unit]\nid = "a"\n[deterrence]\nboard = "{profile}"\n')
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: deterrence.board: board profile '{profile}': {expected}"), lines


def test_unknown_profile_name_lists_the_bundled_ones(tmp_path: Path) -> None:
    code, lines, path = check(tmp_path, '[unit]\nid = "a"\n[deterrence]\nboard = "rpi3-hat"\n')
    assert code == 2
    assert lines == [
        f"{path}: deterrence.board: board profile 'rpi3-hat': "
        "unknown board profile 'rpi3-hat' (bundled: rpi4-relay-hat)"
    ]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            '[[deterrence.ladder]]\noutput = "floodlight"\n[[deterrence.ladder]]\noutput = "sirene"\nafter_s = 30\n',
            f"deterrence.ladder: step 1: unknown output 'sirene'; board profile 'rpi4-relay-hat' has {OUTPUTS}",
        ),
        (
            '[deterrence]\nfire_outputs = ["floodlight", "horn"]\n',
            f"deterrence.fire_outputs: entry 1: unknown output 'horn'; board profile 'rpi4-relay-hat' has {OUTPUTS}",
        ),
        (
            "[deterrence]\nmax_on_s = { sirene = 60.0 }\n",
            f"deterrence.max_on_s: key 'sirene': unknown output 'sirene'; board profile 'rpi4-relay-hat' has {OUTPUTS}",
        ),
        (
            "[deterrence]\nmax_on_s = { siren = 3600.0 }\n",
            "deterrence: max_on_s: a siren may sound at most 900 s per activation",
        ),
        ('[deterrence]\nquiet_hours = [{ start = "25:00" }]\n', "deterrence.quiet_hours[0].start: String should match"),
        (
            '[[deterrence.ladder]]\noutput = "siren"\nduration_s = 0\n',
            "deterrence.ladder[0].duration_s: Input should be greater than 0",
        ),
        (
            '[[deterrence.ladder]]\noutput = "floodlight"\nlevel = 0.4\n',
            "deterrence.ladder: step 0: 'floodlight' cannot dim (no pwm = true in board profile)",
        ),
    ],
    ids=["ladder", "fire", "max-on-key", "siren-cap", "clock", "duration", "dim-a-relay"],
)
def test_policy_naming_an_unknown_output_or_bad_value_is_rejected(tmp_path: Path, snippet: str, expected: str) -> None:
    code, lines, path = check(tmp_path, f'[unit]\nid = "a"\n{snippet}')
    assert code == 2
    assert any(ln.startswith(f"{path}: {expected}") for ln in lines), lines
