"""Remote updates, end to end on the emulated rig: a release that passes its health check, and one
that fails it and is rolled back.

The unit runs from a temporary install root, flashed with a real release of this project; the
site builds and publishes the others with ``parkvakt-provision`` (``hil/update_site.py``). The test
acts as the operator does (a signed ``update`` command on the broker) and judges by the broker only;
the rig plays systemd's part (``hil/service_manager.py``).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware.uplink.commands import sign_command
from hil.broker import Message
from hil.conftest import Row
from hil.emulated import EmulatedRig
from hil.feeds import constant_feed
from hil.rig import Rig, wait_for
from hil.service_manager import ServiceManager
from hil.update_site import UpdateSite, update_site

HEALTH_DEADLINE_S = 60.0
# download, an offline virtualenv build (~30 s, longer on a busy CI machine), restart, health check
UPDATE_TIMEOUT_S = 300.0


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpdateSite]:
    if request.config.getoption("--rig") != "emulated":
        pytest.skip("updates run on the emulated rig, with a temporary install root")
    workdir = tmp_path_factory.mktemp("update-site")
    try:
        with update_site(workdir) as made:
            yield made
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # ~0.5 GB of artifacts and virtualenvs


@pytest.fixture
def systemd(site: UpdateSite, rig: Rig) -> Iterator[ServiceManager]:
    assert isinstance(rig, EmulatedRig)
    install_root = rig.workdir / "opt" / "parkvakt"
    site.flash(install_root)
    trusted = rig.workdir / "agent" / "tuf" / "root.json"
    trusted.parent.mkdir(parents=True)
    trusted.write_bytes(site.trusted_root.read_bytes())
    manager = ServiceManager(rig, install_root)
    try:
        yield manager
    finally:
        manager.close()
        rig.stop_unit()
        shutil.rmtree(install_root, ignore_errors=True)


def command(rig: Rig, name: str, args: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    """Send a signed command as an operator does; the unit's answer on ``cmd/<name>/result``."""
    assert isinstance(rig, EmulatedRig)
    command_id = str(uuid.uuid4())
    key = rig.command_key.read_bytes().strip()
    rig.broker.publish(f"cmd/{name}", sign_command(key, unit=rig.unit_id, name=name, args=args, command_id=command_id))

    def answer() -> dict[str, Any] | None:
        answers = [m.payload for m in rig.broker.on(f"cmd/{name}/result") if isinstance(m.payload, dict)]
        found = [a for a in answers if a.get("id") == command_id]
        return found[0] if found else None

    assert wait_for(answer, timeout), f"no answer to {name}:\n{rig.unit_log()[-3000:]}"
    result = answer()
    assert result is not None and result.get("ok"), f"{name} refused: {result}"
    return result


def running_firmware(rig: Rig) -> str:
    """The release the unit says it runs (the birth record in its ``status`` answer)."""
    return str(command(rig, "status")["result"]["firmware"])


def start(rig: Rig, site: UpdateSite, systemd: ServiceManager, feeds_dir: Path) -> None:
    config = {"update": systemd.update_config(site.url, HEALTH_DEADLINE_S)}
    rig.start_unit(constant_feed(feeds_dir, seconds=600), config=config)  # a quiet lot: nothing moves
    assert wait_for(lambda: rig.broker.status() == "online", 60), f"unit never came online:\n{rig.unit_log()[-3000:]}"
    assert running_firmware(rig) == site.old


def update(rig: Rig, systemd: ServiceManager, version: str) -> tuple[Message, list[dict[str, Any]], float]:
    """Ask for ``version``; the final report, the progress seen before it, and the rig time it took."""
    asked = rig.now()
    assert command(rig, "update", {"version": version})["result"] == {"started": version}
    done = wait_for(lambda: rig.broker.on("update/report"), UPDATE_TIMEOUT_S)
    assert done, f"no update report within {UPDATE_TIMEOUT_S:.0f} s; agent log:\n{systemd.log()[-3000:]}"
    report = rig.broker.on("update/report")[0]
    progress = [m.payload for m in rig.broker.on("update/status") if m.received_at <= report.received_at]
    return report, progress, report.received_at - asked


def still_works(rig: Rig) -> float:
    """The unit still guards: opening its enclosure raises a tamper event. Returns the latency."""
    assert wait_for(lambda: rig.broker.status() == "online", 30)
    opened = rig.now()
    rig.drive("tamper", active=True)
    event = rig.broker.wait_event("tamper", phase="start", timeout=10)
    assert event is not None, f"no tamper event after the update:\n{rig.unit_log()[-3000:]}"
    return event.received_at - opened


def test_update_passes_health_check(
    site: UpdateSite, rig: Rig, systemd: ServiceManager, feeds_dir: Path, summary: list[Row]
) -> None:
    start(rig, site, systemd, feeds_dir)
    report, progress, took = update(rig, systemd, site.good)

    # the unit samples the agent's state every 0.5 s: a download from the LAN can be over sooner,
    # so only the install (seconds: a virtualenv is built) is sure to be seen
    states = [p["state"] for p in progress]
    assert "ArtifactInstall" in states and states.index("ArtifactInstall") < len(states) - 1, f"progress: {states}"
    got = report.payload
    assert got["outcome"] == "success", f"{got}\nagent log:\n{systemd.log()[-3000:]}"
    assert (got["version"], got["running"]) == (site.good, site.good), got
    assert running_firmware(rig) == site.good
    tamper = still_works(rig)
    summary.append(
        Row(
            "remote update, healthy release",
            f"report success, runs {site.good}, tamper event",
            f"{got['message']}; runs {site.good}; tamper ok",
            f"report {took:.1f} s after command / tamper {tamper:.2f} s",
        )
    )


def test_update_failing_health_check_rolls_back(
    site: UpdateSite, rig: Rig, systemd: ServiceManager, feeds_dir: Path, summary: list[Row]
) -> None:
    start(rig, site, systemd, feeds_dir)
    report, progress, took = update(rig, systemd, site.bad)

    states = [p["state"] for p in progress]
    assert "ArtifactInstall" in states, f"progress seen: {states}"
    got = report.payload
    assert got["outcome"] == "rolled_back", f"{got}\nagent log:\n{systemd.log()[-3000:]}"
    assert (got["version"], got["running"]) == (site.bad, site.old), got
    assert "inference" in got["reason"] and "corrupt" in got["reason"], got["reason"]
    assert "corrupt" in got["log_excerpt"], f"the report quotes no log of the failed run: {got['log_excerpt']!r}"
    assert running_firmware(rig) == site.old
    tamper = still_works(rig)
    summary.append(
        Row(
            "remote update, release fails health",
            f"report rolled_back (reason, log), runs {site.old}, tamper event",
            f"rolled back to {got['running']}: {got['reason'][:40]}…; tamper ok",
            f"report {took:.1f} s after command / tamper {tamper:.2f} s",
        )
    )
