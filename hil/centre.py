"""The alarm receiving centre on the rig: pysiaalarm's receiver in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from pysiaalarm import SIAAccount, SIAEvent
from pysiaalarm.aio import SIAClient


@dataclass(frozen=True)
class Alarm:
    received_at: float  # rig monotonic clock
    code: str | None
    account: str | None
    zone: str | None
    message_type: str | None


class AlarmCentre:
    def __init__(self, account: str, key_hex: str | None, port: int = 0) -> None:
        self.account = account
        self.key_hex = key_hex
        self.port = port
        self.alarms: list[Alarm] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._client: SIAClient | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="alarm-centre", daemon=True)
        self._thread.start()

    def _on_event(self, event: SIAEvent) -> None:
        alarm = Alarm(time.monotonic(), event.code, event.account, event.ri, event.message_type)
        with self._lock:
            self.alarms.append(alarm)

    async def _start(self) -> None:
        async def handler(event: SIAEvent) -> None:
            self._on_event(event)

        self._client = SIAClient("127.0.0.1", self.port, [SIAAccount(self.account, self.key_hex)], handler)
        await self._client.async_start()
        self.port = self._client.server.sockets[0].getsockname()[1]

    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.async_stop(), self._loop).result(10)
            self._client = None

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def received(self, code: str | None = None) -> list[Alarm]:
        with self._lock:
            return [a for a in self.alarms if code is None or a.code == code]

    def wait(self, code: str, timeout: float) -> Alarm | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.received(code)
            if found:
                return found[0]
            time.sleep(0.05)
        return None
