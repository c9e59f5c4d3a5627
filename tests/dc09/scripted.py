"""A small alarm-centre receiver for the tests, answering each message as its script says.

Incoming messages are parsed with pysiaalarm (not with the code under test). Actions:
``ack``; ``duh``; ``silent`` (read it, answer nothing); ``close`` (drop the connection);
``clock`` (NAK with this receiver's time when the message's timestamp is more than 20 s off,
else ACK); ``nak`` (always NAK); ``plain-ack`` (an unencrypted ACK, forged for an encrypted
account); ``stale-ack`` (first an ACK for another sequence number, then the right one);
``garbage``; ``ack-close`` (ACK, then close the connection, as many receivers do). After the
script runs out, ``default`` applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from dataclasses import dataclass

from pysiaalarm import SIAAccount, SIAEvent

WINDOW_S = 20.0


@dataclass(frozen=True)
class Received:
    seq: str
    message_type: str
    code: str | None
    zone: str | None
    timestamp: dt.datetime | None
    at: float
    answered: str


def _frame(body: str) -> bytes:
    return f"\n{SIAEvent._crc_calc(body)}{len(body):04X}{body}\r".encode("ascii")


def nak(now: dt.datetime) -> bytes:
    return _frame('"NAK"0000R0L0A0[]' + now.strftime("_%H:%M:%S,%m-%d-%Y"))


class ScriptedReceiver:
    def __init__(
        self, account: str, script: list[str] | None = None, default: str = "ack", port: int = 0, key: str | None = None
    ) -> None:
        self.account = SIAAccount(account, key, allowed_timeband=None)
        self.script = list(script or [])
        self.default = default
        self.port = port
        self.received: list[Received] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    async def start(self) -> ScriptedReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None

    def _next_action(self) -> str:
        return self.script.pop(0) if self.script else self.default

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            while True:
                try:
                    raw = await reader.readuntil(b"\r")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                event = SIAEvent.from_line(raw.decode("ascii").strip(), {self.account.account_id: self.account})
                action = self._next_action()
                now = dt.datetime.now(dt.UTC)
                ts = event.timestamp if isinstance(event.timestamp, dt.datetime) else None
                if action == "clock":
                    action = "nak" if ts is None or abs((ts - now).total_seconds()) > WINDOW_S else "ack"
                self.received.append(
                    Received(
                        event.sequence or "",
                        str(event.message_type.value),
                        event.code,
                        event.message or event.ri,
                        ts,
                        time.monotonic(),
                        action,
                    )
                )
                if action in ("ack", "ack-close"):
                    writer.write(event.create_response())
                elif action == "duh":
                    writer.write(_frame(f'"DUH"{event.sequence}R0L0#{event.account}[]'))
                elif action == "nak":
                    writer.write(nak(now))
                elif action == "plain-ack":
                    writer.write(_frame(f'"ACK"{event.sequence}R0L0#{event.account}[]'))
                elif action == "stale-ack":
                    other = f"{int(event.sequence or 0) % 9999 + 1:04d}"
                    writer.write(_frame(f'"ACK"{other}R0L0#{event.account}[]') + event.create_response())
                elif action == "garbage":
                    writer.write(b"\n\r")
                if action in ("close", "ack-close"):
                    await writer.drain()
                    return
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
