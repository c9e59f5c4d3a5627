"""Shared pieces of the uplink tests: a unit config pointing at the test broker, the service
running in-process, and an operator client that waits for particular messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiomqtt

from firmware.config import UnitConfig, parse_config
from firmware.uplink.mqtt import UplinkService
from firmware.uplink.outbox import Outbox
from tests.support.mosquitto import Mosquitto

UNIT = "u1"


def unit_config(broker: Mosquitto, state_dir: Path, *, listener: str = "plain", **mqtt: Any) -> UnitConfig:
    """A config for unit ``u1``; ``listener`` is ``plain``, ``tls`` or ``mtls``."""
    section: dict[str, Any] = {"host": "127.0.0.1", "backoff_initial_s": 0.05, "backoff_max_s": 0.5}
    if listener == "plain":
        section |= {"port": broker.port, "tls": False}
    elif listener == "tls":
        section |= {"port": broker.tls_port, "ca": str(broker.pki.ca_cert)}
    else:
        section |= {
            "port": broker.mtls_port,
            "ca": str(broker.pki.ca_cert),
            "cert": str(broker.pki.client_cert),
            "key": str(broker.pki.client_key),
        }
    section |= mqtt
    return parse_config({"unit": {"id": UNIT, "state_dir": str(state_dir)}, "mqtt": section})


@contextlib.asynccontextmanager
async def running(service: UplinkService, *, wait_connected: bool = True) -> AsyncIterator[UplinkService]:
    task = asyncio.create_task(service.run())
    try:
        if wait_connected:
            async with asyncio.timeout(10):
                while not service.connected:
                    await asyncio.sleep(0.01)
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def uplink(config: UnitConfig, **kwargs: Any) -> AsyncIterator[UplinkService]:
    outbox = Outbox(config.unit.state_dir / "outbox.db", unit=config.unit.id)
    try:
        async with running(UplinkService(config, outbox, **kwargs)) as service:
            yield service
    finally:
        outbox.close()


def operator(broker: Mosquitto, **kwargs: Any) -> aiomqtt.Client:
    """A client on the mTLS listener with the CA's client certificate (the operator's side)."""
    ctx = ssl.create_default_context(cafile=str(broker.pki.ca_cert))
    ctx.load_cert_chain(str(broker.pki.client_cert), str(broker.pki.client_key))
    return aiomqtt.Client("127.0.0.1", broker.mtls_port, tls_context=ctx, **kwargs)


async def next_message(client: aiomqtt.Client, topic: str, timeout: float = 10.0) -> aiomqtt.Message:
    async with asyncio.timeout(timeout):
        async for message in client.messages:
            if message.topic.matches(topic):
                return message
    raise AssertionError("unreachable")


def payload_json(message: aiomqtt.Message) -> Any:
    assert isinstance(message.payload, bytes | bytearray)
    return json.loads(message.payload)
