"""Shared pieces of the DC-09 tests: the account, keys, pysiaalarm as the centre, running the transmitter."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from pysiaalarm import SIAEvent

from firmware.uplink.dc09.transmitter import Dc09Transmitter
from firmware.uplink.outbox import Outbox

ACCOUNT = "1234AB"
# pysiaalarm takes the key as text and uses its ASCII bytes as the AES key
TEXT_KEYS = {
    "none": None,
    "aes128": "K3y4Parkvakt0128",
    "aes192": "K3y4Parkvakt0192Receiver",
    "aes256": "K3y4Parkvakt0256ReceiverCentre!!",
}


@dataclass
class Centre:
    """pysiaalarm's asyncio receiver on a free local port, collecting what it accepted."""

    client: Any
    port: int
    events: list[SIAEvent] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def errors(self) -> dict[str, int]:
        c = self.client.counts
        return {
            "account": c.error_account,
            "code": c.error_code,
            "crc": c.error_crc,
            "format": c.error_format,
            "timestamp": c.error_timestamp,
            "user_function": c.error_user_function,
        }

    async def wait_for_events(self, n: int, limit_s: float = 20.0) -> None:
        async with asyncio.timeout(limit_s):
            while len(self.events) < n:
                await asyncio.sleep(0.01)


async def drain(tx: Dc09Transmitter, outbox: Outbox, limit_s: float = 30.0) -> None:
    """Run the transmitter until the outbox owes the centre nothing (``limit_s`` only guards a hang)."""
    task = asyncio.create_task(tx.run())
    try:
        async with asyncio.timeout(limit_s):
            while outbox.depth("dc09"):
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
