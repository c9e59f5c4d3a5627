"""One TCP connection to one receiver: send a framed message, wait for the answer that pairs with it.

The connection stays open between messages (supervision polls keep it alive) and is dropped on
any error, so the next exchange starts on a fresh one. Many receivers close the connection after
each ACK; the unit only notices when it sends the next message, so a kept connection that turns
out to be closed is reopened once at no cost to the failure count.

Waits are bounded with ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11 ``wait_for``
can drop a cancellation that arrives as the inner wait completes, and a transmitter that missed
its cancellation would poll on after the daemon asked it to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from firmware.uplink.dc09 import frame

log = logging.getLogger(__name__)

MAX_ANSWER = 4096


class LinkError(Exception):
    """The exchange failed; ``kind`` is ``connect``, ``timeout``, ``closed`` or ``garbage``."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        super().__init__(text)


class _KeptConnectionClosed(LinkError):
    """The connection kept from the last exchange was closed by the receiver in between."""


class ReceiverLink:
    def __init__(self, host: str, port: int, *, key: bytes | None, account: str, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.key = key
        self.account = account
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """The open connection, or a new one; the flag says whether it was kept from before."""
        if self._reader is not None and self._writer is not None and not self._writer.is_closing():
            return self._reader, self._writer, True
        try:
            async with asyncio.timeout(self.timeout_s):
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=MAX_ANSWER)
        except (OSError, TimeoutError) as exc:
            raise LinkError("connect", f"cannot connect to {self.name}: {exc or 'timed out'}") from None
        return self._reader, self._writer, False

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            # a cancellation must pass: swallowed here, a transmitter being stopped would go on
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()

    async def exchange(self, wire: bytes, seq: int) -> frame.Message:
        """Send ``wire`` and return the answer with sequence ``seq`` (or a NAK, which carries 0000).

        Answers to earlier sequence numbers (late ACKs of a retransmission) are skipped. Any
        failure closes the connection and raises ``LinkError``.
        """
        try:
            try:
                return await self._exchange(wire, seq)
            except _KeptConnectionClosed:
                await self.close()
                return await self._exchange(wire, seq)
        except LinkError:
            await self.close()
            raise
        except asyncio.CancelledError:
            await self.close()
            raise

    async def _exchange(self, wire: bytes, seq: int) -> frame.Message:
        reader, writer, kept = await self._connect()
        deadline = time.monotonic() + self.timeout_s
        if kept and reader.at_eof():
            raise _KeptConnectionClosed("closed", f"{self.name} had closed the connection")
        try:
            writer.write(wire)
            async with asyncio.timeout(self.timeout_s):
                await writer.drain()
        except (OSError, TimeoutError) as exc:
            if kept and isinstance(exc, OSError):
                raise _KeptConnectionClosed("closed", f"{self.name} had closed the connection") from None
            raise LinkError("closed", f"sending to {self.name} failed: {exc or 'timed out'}") from None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkError("timeout", f"no answer from {self.name} within {self.timeout_s:g} s")
            try:
                async with asyncio.timeout(remaining):
                    raw = await reader.readuntil(frame.CR)
            except TimeoutError:
                raise LinkError("timeout", f"no answer from {self.name} within {self.timeout_s:g} s") from None
            except asyncio.IncompleteReadError as exc:
                if kept and not exc.partial:
                    raise _KeptConnectionClosed("closed", f"{self.name} had closed the connection") from None
                raise LinkError("closed", f"{self.name} closed the connection") from None
            except ConnectionResetError:
                if kept:
                    raise _KeptConnectionClosed("closed", f"{self.name} had closed the connection") from None
                raise LinkError("closed", f"{self.name} reset the connection") from None
            except asyncio.LimitOverrunError:
                raise LinkError("garbage", f"{self.name} sent more than {MAX_ANSWER} bytes without CR") from None
            except OSError as exc:
                raise LinkError("closed", f"connection to {self.name} lost: {exc}") from None
            raw = raw[raw.rfind(frame.LF) :] if frame.LF in raw else raw
            try:
                answer = frame.parse(raw, self.key)
            except frame.FrameError as exc:
                raise LinkError("garbage", f"unreadable answer from {self.name}: {exc}") from None
            if answer.token == "NAK":
                return answer
            if answer.token not in frame.ANSWER_TOKENS:
                raise LinkError("garbage", f"{self.name} answered with a {answer.token} message")
            if answer.seq != seq:
                log.info("skipping a late %s %04d from %s (waiting for %04d)", answer.token, answer.seq, self.name, seq)
                continue
            if answer.account is not None and answer.account.upper() != self.account.upper():
                raise LinkError("garbage", f"{self.name} answered for account {answer.account}, not {self.account}")
            if self.key is not None and answer.token == "ACK" and not answer.encrypted:
                raise LinkError("garbage", f"{self.name} sent a plain ACK to an encrypted message; not trusted")
            return answer
