"""Supervised asyncio tasks: a task that raises is logged, reported and restarted with backoff.

A unit runs for years without anyone watching, so one bad MQTT packet or a driver bug must cost a
restart of that task, not the process. The backoff doubles from ``backoff_min_s`` up to
``backoff_max_s`` and starts over once a task has run ``healthy_after_s`` without failing.
A task that *returns* is finished (a finite source ended) and is not restarted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("parkvakt.supervisor")

TaskFactory = Callable[[], Awaitable[None]]
TroubleReporter = Callable[[str, str, bool], None]
"""``(task name, reason, failing)``: failing=False reports that a restarted task recovered."""


@dataclass(slots=True)
class TaskRecord:
    name: str
    factory: TaskFactory
    restarts: int = 0
    last_error: str | None = None
    running: bool = False
    task: asyncio.Task[None] | None = None
    failures_in_a_row: int = 0
    started_at: float = field(default=0.0)


class Supervisor:
    def __init__(
        self,
        report: TroubleReporter,
        *,
        backoff_min_s: float = 1.0,
        backoff_max_s: float = 60.0,
        healthy_after_s: float = 30.0,
    ) -> None:
        self._report = report
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.healthy_after_s = healthy_after_s
        self.tasks: dict[str, TaskRecord] = {}
        self._stopping = False

    def start(self, name: str, factory: TaskFactory) -> asyncio.Task[None]:
        record = TaskRecord(name, factory)
        self.tasks[name] = record
        record.task = asyncio.create_task(self._run(record), name=f"supervised:{name}")
        return record.task

    def backoff_for(self, failures_in_a_row: int) -> float:
        return min(self.backoff_max_s, self.backoff_min_s * 2 ** max(0, failures_in_a_row - 1))

    async def _run(self, record: TaskRecord) -> None:
        while not self._stopping:
            record.running = True
            record.started_at = time.monotonic()
            try:
                await record.factory()
                record.running = False
                log.info("task %s finished", record.name, extra={"TASK": record.name})
                return
            except asyncio.CancelledError:
                record.running = False
                raise
            except Exception as exc:
                record.running = False
                if self._stopping:
                    return
                if time.monotonic() - record.started_at >= self.healthy_after_s:
                    record.failures_in_a_row = 0
                record.failures_in_a_row += 1
                record.restarts += 1
                record.last_error = f"{type(exc).__name__}: {exc}"
                delay = self.backoff_for(record.failures_in_a_row)
                log.error(
                    "task %s died (%s); restart %d in %.1f s",
                    record.name,
                    record.last_error,
                    record.restarts,
                    delay,
                    exc_info=exc,
                    extra={"TASK": record.name},
                )
                self._safe_report(record.name, f"task {record.name} died: {record.last_error}", True)
                await asyncio.sleep(delay)
                if not self._stopping:
                    log.info("task %s restarting", record.name, extra={"TASK": record.name})

    def _safe_report(self, name: str, reason: str, failing: bool) -> None:
        try:
            self._report(name, reason, failing)
        except Exception:
            log.exception("reporting trouble for task %s failed", name)

    async def stop(self, timeout: float = 2.0) -> None:
        """Cancel every task and wait for them (at most ``timeout`` seconds)."""
        self._stopping = True
        tasks = [r.task for r in self.tasks.values() if r.task is not None and not r.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
