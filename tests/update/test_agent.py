"""A good update commits and reports success; an unhealthy one rolls back and says why."""

from __future__ import annotations

from firmware.update.health import judge
from tests.update.conftest import Site, Unit


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
