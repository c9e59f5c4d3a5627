"""The MQTT topic tree under ``<prefix>/<unit_id>/``; fixed, because other tools rely on it."""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS: tuple[str, ...] = ("arm", "disarm", "trigger", "silence", "selftest", "snapshot", "reload", "update")


@dataclass(frozen=True)
class Topics:
    prefix: str
    unit: str

    @property
    def root(self) -> str:
        return f"{self.prefix}/{self.unit}"

    @property
    def status(self) -> str:
        """Retained ``online``/``offline``; ``offline`` is the Last Will."""
        return f"{self.root}/status"

    @property
    def event(self) -> str:
        return f"{self.root}/event"

    @property
    def state(self) -> str:
        return f"{self.root}/state"

    @property
    def telemetry(self) -> str:
        return f"{self.root}/telemetry"

    @property
    def snapshot(self) -> str:
        return f"{self.root}/snapshot"

    @property
    def command_filter(self) -> str:
        """The one subscription: this unit's commands and nothing else."""
        return f"{self.root}/cmd/+"

    def command(self, name: str) -> str:
        return f"{self.root}/cmd/{name}"

    def result(self, name: str) -> str:
        return f"{self.root}/cmd/{name}/result"

    def command_name(self, topic: str) -> str | None:
        """``arm`` for ``<root>/cmd/arm``; None for any other topic (another unit's included)."""
        head = f"{self.root}/cmd/"
        if not topic.startswith(head):
            return None
        name = topic[len(head) :]
        if not name or "/" in name:
            return None
        return name
