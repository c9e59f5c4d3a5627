"""Supervised tasks: a task that dies is reported as trouble and restarted with growing backoff."""

from __future__ import annotations

import asyncio

from firmware.service.supervisor import Supervisor


async def test_a_task_that_dies_is_restarted_and_reported() -> None:
    reports: list[tuple[str, str, bool]] = []
    runs = 0
    settled = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise RuntimeError(f"boom {runs}")
        settled.set()
        await asyncio.sleep(3600)

    sup = Supervisor(lambda *r: reports.append(r), backoff_min_s=0.01, backoff_max_s=0.05)
    sup.start("uplink", flaky)
    await asyncio.wait_for(settled.wait(), 5)
    assert runs == 3
    assert sup.tasks["uplink"].restarts == 2
    assert sup.tasks["uplink"].running
    assert [r[0] for r in reports] == ["uplink", "uplink"]
    assert "boom 2" in reports[1][1]
    await sup.stop()
    assert sup.tasks["uplink"].task is not None and sup.tasks["uplink"].task.done()


async def test_other_tasks_keep_running_while_one_fails() -> None:
    ticks = 0

    async def steady() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def broken() -> None:
        raise OSError("sensor gone")

    reports: list[tuple[str, str, bool]] = []
    sup = Supervisor(lambda *r: reports.append(r), backoff_min_s=0.01, backoff_max_s=0.02)
    sup.start("telemetry", steady)
    sup.start("sensor", broken)
    await asyncio.sleep(0.2)
    await sup.stop()
    assert ticks > 10
    assert sup.tasks["sensor"].restarts >= 3
    assert all(r[0] == "sensor" for r in reports)


def test_backoff_doubles_up_to_the_cap() -> None:
    sup = Supervisor(lambda *r: None, backoff_min_s=1.0, backoff_max_s=10.0)
    assert [sup.backoff_for(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


async def test_a_task_that_returns_is_not_restarted() -> None:
    calls = 0

    async def finite() -> None:
        nonlocal calls
        calls += 1

    sup = Supervisor(lambda *r: None, backoff_min_s=0.01)
    task = sup.start("replay", finite)
    await asyncio.wait_for(task, 2)
    await asyncio.sleep(0.05)
    assert calls == 1
    assert sup.tasks["replay"].restarts == 0
