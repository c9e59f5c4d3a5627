"""``pytest hil`` runs on the emulated rig; ``pytest hil --rig pi --rig-config FILE`` on a bench rig."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hil.rig import Rig


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop rig")
    group.addoption("--rig", choices=("emulated", "pi"), default="emulated", help="which rig runs hil/ tests")
    group.addoption("--rig-config", type=Path, default=None, help="the bench rig's description (hw/rig/bench.toml)")


@dataclass(frozen=True)
class Row:
    scenario: str
    expected: str
    observed: str
    latency: str


_ROWS: list[Row] = []


@pytest.fixture
def summary() -> Iterator[list[Row]]:
    rows: list[Row] = []
    yield rows
    _ROWS.extend(rows)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _ROWS:
        return
    tr = terminalreporter
    tr.section("hardware-in-the-loop summary")
    widths = [
        max(len(getattr(r, f)) for r in [*_ROWS, Row("scenario", "expected", "observed", "latency")])
        for f in ("scenario", "expected", "observed", "latency")
    ]
    header = Row("scenario", "expected", "observed", "latency")
    for row in [header, *_ROWS]:
        cells = [
            getattr(row, f).ljust(w)
            for f, w in zip(("scenario", "expected", "observed", "latency"), widths, strict=True)
        ]
        tr.write_line(" | ".join(cells))


@pytest.fixture
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    kind = request.config.getoption("--rig")
    made: Rig
    if kind == "pi":
        from hil.pi import PiRig

        config = request.config.getoption("--rig-config")
        if config is None:
            pytest.exit("--rig pi needs --rig-config FILE (see hw/rig/bench.toml)", returncode=4)
        made = PiRig.from_file(config, tmp_path)
    else:
        from hil.emulated import EmulatedRig

        made = EmulatedRig(tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="session")
def feeds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("feeds")
