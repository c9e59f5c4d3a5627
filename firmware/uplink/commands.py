"""Authenticated remote commands: ``<prefix>/<unit>/cmd/<name>`` in, ``.../cmd/<name>/result`` out.

A command is the JSON envelope ``{"body": "<JSON text>", "hmac": "<hex>"}`` where ``hmac`` is
HMAC-SHA256 with the unit's key over the exact UTF-8 bytes of ``body`` (so no canonical-JSON
rules are needed), and ``body`` is ``{"id", "ts", "unit", "cmd", "args"}``:

* ``id``: unique per command (1-64 printable characters); a seen id is a replay. Seen ids are
  stored durably before the command runs, so a restart does not reopen a replay window.
* ``ts``: Unix seconds when it was signed; outside ``±window_s`` of the unit's clock it is stale.
* ``unit`` and ``cmd`` must name this unit and the topic's command: a command captured for one
  unit or verb cannot be replayed onto another.
* ``args``: an object handed to the handler.

``sign_command`` builds one (operator tools, tests). Every rejection is logged and counted by
reason; rejected commands get no answer (no oracle for a forger). Every accepted command gets a
result: ``{"id", "cmd", "ok", "ts", "result"}`` or ``{..., "ok": false, "error"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.uplink.payload import iso_utc
from firmware.uplink.topics import Topics

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[Mapping[str, Any] | None]]
"""An action the daemon connects a command to: gets ``args``, returns a JSON-able result."""

MAX_PAYLOAD = 16 * 1024
MIN_KEY_BYTES = 16
REJECT_REASONS: tuple[str, ...] = (
    "too_large",
    "foreign_topic",
    "malformed",
    "no_key",
    "bad_hmac",
    "wrong_unit",
    "stale",
    "replay",
    "store_error",
)


class CommandKeyError(Exception):
    """The command key file is missing, unreadable or too short."""


def load_command_key(path: Path | None) -> bytes | None:
    """The key bytes (surrounding whitespace stripped), or None when no key is configured."""
    if path is None:
        return None
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise CommandKeyError(f"cannot read the command key {path}: {exc.strerror or exc}") from None
    if len(key) < MIN_KEY_BYTES:
        raise CommandKeyError(f"the command key {path} is shorter than {MIN_KEY_BYTES} bytes")
    with contextlib.suppress(OSError):
        if Path(path).stat().st_mode & 0o077:
            log.warning("the command key %s is readable by other users; chmod 600 it", path)
    return key


def sign_command(
    key: bytes,
    *,
    unit: str,
    name: str,
    args: Mapping[str, Any] | None = None,
    command_id: str | None = None,
    ts: float | None = None,
) -> bytes:
    """The payload to publish on ``<prefix>/<unit>/cmd/<name>``."""
    body = json.dumps(
        {
            "id": command_id or str(uuid.uuid4()),
            "ts": time.time() if ts is None else ts,
            "unit": unit,
            "cmd": name,
            "args": dict(args or {}),
        },
        separators=(",", ":"),
    )
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"body": body, "hmac": mac}).encode()


class ReplayGuard:
    """Command ids seen recently, in SQLite so they outlive a restart.

    An id only needs remembering while its timestamp could still pass the window check, so ids
    older than twice the window are pruned.
    """

    def __init__(self, path: Path, *, window_s: float) -> None:
        self.window_s = window_s
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, ts REAL NOT NULL) WITHOUT ROWID")

    def check_and_record(self, command_id: str, ts: float, now: float) -> bool:
        """True when ``command_id`` is new (it is now recorded); False for a replay."""
        self._db.execute("DELETE FROM seen WHERE ts < ?", (now - 2 * self.window_s,))
        try:
            self._db.execute("INSERT INTO seen (id, ts) VALUES (?, ?)", (command_id, ts))
        except sqlite3.IntegrityError:
            return False
        return True

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


@dataclass(frozen=True)
class CommandOutcome:
    accepted: bool
    name: str | None = None
    reason: str | None = None
    result: dict[str, Any] | None = None


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class CommandProcessor:
    """Checks one incoming command and runs its handler; never raises on any payload."""

    def __init__(
        self,
        topics: Topics,
        key: bytes | None,
        handlers: Mapping[str, Handler],
        replay: ReplayGuard,
        *,
        window_s: float = 60.0,
        handler_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.topics = topics
        self.handlers = dict(handlers)
        self._key = key
        self._replay = replay
        self.window_s = window_s
        self.handler_timeout_s = handler_timeout_s
        self._clock = clock
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        self.failed = 0

    def counters(self) -> dict[str, Any]:
        """For telemetry: accepted, failed and rejections by reason."""
        return {
            "accepted": self.accepted,
            "failed": self.failed,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(self.rejected),
        }

    async def process(self, topic: str, payload: bytes | bytearray | str | None) -> CommandOutcome:
        try:
            name, command_id, args = self._verify(topic, payload)
        except _Rejected as rej:
            self.rejected[rej.reason] += 1
            log.warning("command rejected (%s) on %s: %s", rej.reason, topic[:200], rej)
            return CommandOutcome(False, reason=rej.reason)
        except Exception as exc:  # a bug in verification must not take the uplink down
            self.rejected["malformed"] += 1
            log.exception("command rejected (malformed) on %s: %s", topic[:200], exc)
            return CommandOutcome(False, reason="malformed")
        self.accepted += 1
        result = await self._run(name, command_id, args)
        return CommandOutcome(True, name=name, result=result)

    async def run_trusted(self, name: str, command_id: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run a command authenticated elsewhere (Home Assistant's controls under ``ha_control``)."""
        self.accepted += 1
        return await self._run(name, command_id, args)

    def _verify(self, topic: str, payload: bytes | bytearray | str | None) -> tuple[str, str, dict[str, Any]]:
        raw = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
        if len(raw) > MAX_PAYLOAD:
            raise _Rejected("too_large", f"{len(raw)} bytes")
        name = self.topics.command_name(topic)
        if name is None:
            raise _Rejected("foreign_topic", "not this unit's command topic")
        try:
            envelope = json.loads(raw)
        except (ValueError, RecursionError):
            raise _Rejected("malformed", "not JSON") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("body"), str):
            raise _Rejected("malformed", 'expected {"body": "<json>", "hmac": "<hex>"}')
        mac = envelope.get("hmac")
        if not isinstance(mac, str):
            raise _Rejected("malformed", "hmac missing")
        if self._key is None:
            raise _Rejected("no_key", "no command_key configured; every command is refused")
        body_text: str = envelope["body"]
        try:
            body_bytes = body_text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Rejected("malformed", "body is not valid text") from None
        expected = hmac.new(self._key, body_bytes, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, mac.lower().encode("ascii", "replace").decode()):
            raise _Rejected("bad_hmac", "signature does not match")
        try:
            body = json.loads(body_text)
        except (ValueError, RecursionError):
            raise _Rejected("malformed", "body is not JSON") from None
        if not isinstance(body, dict):
            raise _Rejected("malformed", "body is not an object")
        command_id, ts, unit, cmd, args = (body.get(k) for k in ("id", "ts", "unit", "cmd", "args"))
        if not (isinstance(command_id, str) and 0 < len(command_id) <= 64 and command_id.isprintable()):
            raise _Rejected("malformed", "id must be 1-64 printable characters")
        if unit != self.topics.unit or cmd != name:
            raise _Rejected("wrong_unit", f"signed for unit {unit!r} command {cmd!r}")
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise _Rejected("malformed", "args must be an object")
        if isinstance(ts, bool) or not isinstance(ts, int | float) or ts != ts:
            raise _Rejected("malformed", "ts must be Unix seconds")
        now = self._clock()
        if abs(now - float(ts)) > self.window_s:
            raise _Rejected("stale", f"signed {now - float(ts):+.0f} s from now, window ±{self.window_s:.0f} s")
        try:
            fresh = self._replay.check_and_record(command_id, float(ts), now)
        except sqlite3.Error as exc:
            raise _Rejected("store_error", f"cannot record the id, refusing to risk a replay: {exc}") from None
        if not fresh:
            raise _Rejected("replay", f"id {command_id!r} was already used")
        return name, command_id, args

    async def _run(self, name: str, command_id: str, args: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"id": command_id, "cmd": name, "ok": False, "ts": iso_utc(self._clock())}
        handler = self.handlers.get(name)
        if handler is None:
            self.failed += 1
            answer["error"] = f"unknown command {name!r}; this unit accepts: {', '.join(sorted(self.handlers))}"
            return answer
        try:
            result = await asyncio.wait_for(handler(args), self.handler_timeout_s)
        except TimeoutError:
            self.failed += 1
            answer["error"] = f"no answer within {self.handler_timeout_s:.0f} s"
            log.error("command %s (%s) timed out", name, command_id)
        except Exception as exc:
            self.failed += 1
            answer["error"] = str(exc) or type(exc).__name__
            log.warning("command %s (%s) failed: %s", name, command_id, answer["error"])
        else:
            answer["ok"] = True
            answer["result"] = dict(result) if result is not None else {}
            log.info("command %s (%s) done", name, command_id)
        return answer
