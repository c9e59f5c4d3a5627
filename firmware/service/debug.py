"""Test-only fault injection, so tests can make the pipeline hang or a task die on purpose.

Enabled only when ALL of these hold, so it cannot be switched on by accident in the field:

* ``PARKVAKT_TEST_FAULTS`` is set and starts with the literal ``i-know-this-breaks-the-unit:``;
* the process was not started by systemd (no ``INVOCATION_ID``, no ``JOURNAL_STREAM``), so no
  ``Environment=`` line in a unit file or drop-in can enable it.

After the prefix comes a comma-separated list of faults:

* ``hang-pipeline-after=N``: the engine thread blocks for ever inside the N-th frame step
  (the watchdog must stop);
* ``crash-task=NAME``: the supervised task ``NAME`` (``watchdog``, ``status``, ``sensor``, ``inputs``,
  ``retention``, ``mqtt``, ``dc09``) raises once when it starts (the supervisor must restart it
  and report ``trouble``); repeat the item to crash several tasks.

Example: ``PARKVAKT_TEST_FAULTS=i-know-this-breaks-the-unit:hang-pipeline-after=20``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

PREFIX = "i-know-this-breaks-the-unit:"
ENV = "PARKVAKT_TEST_FAULTS"

log = logging.getLogger("parkvakt.debug")


@dataclass(slots=True)
class Faults:
    hang_pipeline_after: int | None = None
    crash_tasks: set[str] = field(default_factory=set)

    @property
    def any(self) -> bool:
        return self.hang_pipeline_after is not None or bool(self.crash_tasks)

    def maybe_hang(self, frames_done: int) -> None:
        if self.hang_pipeline_after is not None and frames_done >= self.hang_pipeline_after:
            log.critical("test fault: pipeline hangs now (frame %d)", frames_done)
            threading.Event().wait()

    def maybe_crash(self, task: str) -> None:
        if task in self.crash_tasks:
            self.crash_tasks.discard(task)
            raise RuntimeError(f"test fault: task {task} crashes")


def faults_from_env(env: Mapping[str, str] = os.environ) -> Faults:
    raw = env.get(ENV, "")
    if not raw.startswith(PREFIX) or env.get("INVOCATION_ID") or env.get("JOURNAL_STREAM"):
        return Faults()
    faults = Faults()
    for item in raw.removeprefix(PREFIX).split(","):
        key, _, value = item.strip().partition("=")
        if key == "hang-pipeline-after":
            faults.hang_pipeline_after = int(value)
        elif key == "crash-task":
            faults.crash_tasks.add(value)
    if faults.any:
        log.critical("TEST FAULT INJECTION ACTIVE (%s): this process is not fit for service", raw)
    return faults
