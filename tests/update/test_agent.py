"""A good update commits and reports success; an unhealthy one rolls back and says why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from firmware.update.agent import UpdateBusy
from firmware.update.health import judge
from firmware.update.report import acknowledge, pending_reports, read_status
from tests.update.conftest import Site, Unit, make_unit, stop_service


def test_good_update_installs_commits_and_reports_success(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    agent = unit.agent()
    agent.request("1.1.0")
    result = agent.run()
    assert result is not None
    assert result.outcome == "success", result.message
    assert result.message == "updated from 1.0.0 to 1.1.0"
    assert unit.current() == "1.1.0"
    assert unit.running_version() == "1.1.0"
    assert judge(unit.state_dir, "1.1.0", 0).healthy
    assert agent.status().job is None


def test_unhealthy_release_rolls_back_and_reports_why(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.2.0"])
    agent = unit.agent()
    agent.request("1.2.0")
    result = agent.run()
    assert result is not None
    assert result.outcome == "rolled_back"
    assert result.message == (
        "rolled back from 1.2.0 to 1.0.0 because health check inference failed: model input tensor shape mismatch"
    )
    assert "ERROR inference: model input tensor shape mismatch" in result.log_excerpt
    assert unit.current() == "1.0.0"
    assert "1.2.0" not in unit.releases()
    # the old release was restarted, is the one running now, and is healthy
    assert judge(unit.state_dir, "1.0.0", 0).healthy


def test_release_that_never_reports_health_rolls_back_at_the_deadline(
    tmp_path: Path, site: Site, releases: dict
) -> None:
    unit = make_unit(tmp_path, site, releases, health_deadline_s=2.0)
    try:
        site.publish(releases["1.3.0"])
        agent = unit.agent()
        agent.request("1.3.0")
        result = agent.run()
        assert result is not None and result.outcome == "rolled_back"
        assert (
            result.message == "rolled back from 1.3.0 to 1.0.0 because no health report from release 1.3.0 within 2 s"
        )
        assert "pvsvc 1.3.0 starting (silent)" in result.log_excerpt
        assert unit.current() == "1.0.0"
    finally:
        stop_service(unit)


def test_a_release_that_keeps_failing_is_not_tried_again(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.2.0"])
    agent = unit.agent()
    for _ in range(unit.section.max_attempts):
        agent.request("1.2.0")
        assert agent.run().outcome == "rolled_back"  # type: ignore[union-attr]
    log_before = unit.service_log()
    agent.request("1.2.0")
    result = agent.run()
    assert result is not None and result.outcome == "refused"
    assert "already failed 2 times" in result.message
    assert unit.current() == "1.0.0"
    assert unit.service_log() == log_before  # the service was not restarted again


def test_reports_stay_until_the_uplink_acknowledges_them(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    agent = unit.agent()
    agent.request("1.1.0")
    result = agent.run()
    assert result is not None
    update_dir = unit.state_dir / "update"
    assert [r.id for r in pending_reports(update_dir)] == [result.id]
    acknowledge(update_dir, result.id)
    assert pending_reports(update_dir) == []
    assert read_status(update_dir)["state"] == "Idle"  # type: ignore[index]


def test_a_second_request_while_one_runs_is_refused(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    agent = unit.agent()
    agent.request("1.1.0")
    with pytest.raises(UpdateBusy, match=r"update to 1.1.0 is in progress \(Download\)"):
        agent.request("1.1.0")


def test_rollback_report_says_when_the_old_release_is_not_healthy_either(
    tmp_path: Path, site: Site, releases: dict
) -> None:
    unit = make_unit(tmp_path, site, releases, health_deadline_s=3.0)
    try:
        site.publish(releases["1.2.0"])
        # the old release has broken too (it no longer reports health), so rolling back does not help
        mode_file = next((unit.install_root / "releases" / "1.0.0" / "venv").rglob("pvsvc/mode.txt"))
        mode_file.write_text("silent")
        agent = unit.agent()
        agent.request("1.2.0")
        result = agent.run()
        assert result is not None and result.outcome == "rolled_back"
        assert result.message == (
            "rolled back from 1.2.0 to 1.0.0 because health check inference failed: model input tensor shape "
            "mismatch; after the rollback 1.0.0 is not healthy either: no health report from release 1.0.0 within 3 s"
        )
    finally:
        stop_service(unit)


def test_a_dropped_link_fails_the_attempt_and_the_next_one_resumes_the_download(
    site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.1.0"])
    site.drop_after.append(200_000)
    agent = unit.agent()
    agent.request("1.1.0")
    first = agent.run()
    assert first is not None and first.outcome == "failed"
    received = re.match(
        r"update to 1.1.0 failed: download interrupted at (\d+) bytes: Connection broken", first.message
    )
    assert received, first.message
    assert 0 < int(received[1]) <= 200_000  # what arrived is kept (up to the last whole chunk)
    assert unit.current() == "1.0.0"
    agent.request("1.1.0")
    second = agent.run()
    assert second is not None and second.message == "updated from 1.0.0 to 1.1.0"
    ranges = [r for path, r in site.requests if "parkvakt-1.1.0" in path]
    assert ranges == [None, f"bytes={received[1]}-"]  # the second attempt fetched only the rest


def test_an_offline_unit_updates_from_a_repository_exported_to_a_usb_stick(
    tmp_path: Path, site: Site, releases: dict
) -> None:
    site.publish(releases["1.1.0"])
    stick = tmp_path / "usb" / "parkvakt-repo"
    site.repo.export(stick)
    assert not list(stick.rglob("*.pem"))  # never a key on the stick
    unit = make_unit(tmp_path, site, releases, repository_url=stick.as_uri())
    try:
        agent = unit.agent()
        agent.request("1.1.0")
        result = agent.run()
        assert result is not None and result.message == "updated from 1.0.0 to 1.1.0"
        assert unit.current() == "1.1.0"
    finally:
        stop_service(unit)
