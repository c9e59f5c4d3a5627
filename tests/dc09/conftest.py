"""Fixtures for the DC-09 tests: a real outbox, pysiaalarm's receiver as the alarm centre."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from pysiaalarm import SIAAccount, SIAEvent
from pysiaalarm.aio import SIAClient

from firmware.uplink.outbox import Outbox
from tests.dc09.support import ACCOUNT, Centre


@pytest.fixture
async def start_centre() -> AsyncIterator[Callable[..., Awaitable[Centre]]]:
    started: list[Centre] = []

    async def start(text_key: str | None, *, account: str = ACCOUNT, port: int = 0) -> Centre:
        box: list[Centre] = []

        async def on_event(event: SIAEvent) -> None:
            box[0].events.append(event)

        client = SIAClient("127.0.0.1", port, [SIAAccount(account, text_key)], on_event)
        await client.async_start()
        centre = Centre(client, client.server.sockets[0].getsockname()[1])
        box.append(centre)
        started.append(centre)
        return centre

    yield start
    for centre in started:
        await centre.client.async_stop()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db", unit="unit-7")
    yield box
    box.close()
