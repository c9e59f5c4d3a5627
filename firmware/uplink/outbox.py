"""The durable outbox: every event is on disk before any attempt to send it.

One SQLite database (WAL) holds each event once (``entries``) and one row per uplink that still
owes its delivery (``deliveries``: sink name × entry). ``put`` commits before it returns, with
``synchronous=FULL`` for alarms so they survive a power cut, ``NORMAL`` (crash-safe) for the
rest. An entry leaves the database when every sink it was meant for has acknowledged it
(MQTT PUBACK, DC-09 ACK), so delivery is at-least-once with stable ids; ``seq`` increases by one
per event per unit and lives in the same transaction as the insert, so it survives restarts and
kill -9.

Bounded: at ``max_entries`` the oldest motion, then vehicle, self-test and trouble entries are
shed to make room; fire, person (intrusion) and tamper are never shed (the outbox grows past the
cap for them instead). Every shed entry is counted by type in ``stats()`` (persisted), so
telemetry reports it.

A full disk (``database or disk is full``) does not raise out of ``put``: the error is counted,
the event is kept in a bounded in-memory spill (alarms are never dropped from it) that
``pending`` serves with negative rowids and every later call tries to write back to disk, and
everything already stored stays intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.events import Event
from firmware.uplink.payload import NEVER_SHED, PRIORITY, SHED_ORDER, event_payload

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    created REAL NOT NULL,
    payload TEXT NOT NULL,
    sinks TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_order ON entries (priority, seq);
CREATE INDEX IF NOT EXISTS entries_type ON entries (type, rowid);
CREATE TABLE IF NOT EXISTS deliveries (
    sink TEXT NOT NULL,
    entry INTEGER NOT NULL REFERENCES entries (rowid) ON DELETE CASCADE,
    PRIMARY KEY (sink, entry)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_entry ON deliveries (entry);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""

SPILL_LIMIT = 10_000


class OutboxError(Exception):
    """The outbox database cannot be opened or used (corrupt file, unwritable folder)."""


@dataclass(frozen=True)
class OutboxEntry:
    rowid: int
    id: str
    seq: int
    type: str
    priority: int
    created: float
    payload: dict[str, Any]
    sinks: tuple[str, ...]


@dataclass
class _Spilled:
    entry: OutboxEntry
    owed: set[str] = field(default_factory=set)


class Outbox:
    def __init__(self, path: Path, *, unit: str, max_entries: int = 50_000) -> None:
        self.path = Path(path)
        self.unit = unit
        self.max_entries = max_entries
        self._lock = threading.RLock()
        self._spill: list[_Spilled] = []
        self._spill_rowid = 0
        self._held_acks: dict[str, set[int]] = {}
        self._write_errors = 0
        self._puts: dict[str, int] = {}
        self._seen: dict[str, int] = {}
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._count = int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
            self._next_seq = self._counter("next_seq") or self._max_seq() + 1
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"cannot open the outbox {self.path}: {exc}") from exc

    # -- writing ---------------------------------------------------------------------------

    def put(self, event: Event, *, sinks: Iterable[str] = ("mqtt",)) -> OutboxEntry:
        """Store ``event`` for ``sinks``; durable on return (or spilled in memory on a full disk).

        Returns the entry; an entry shed at once (outbox full of alarms, event sheddable) has
        ``rowid == 0`` and no sinks.
        """
        sink_tuple = tuple(dict.fromkeys(sinks))
        wall = time.time()
        with self._lock:
            self._flush_spill()
            seq = self._next_seq
            self._next_seq += 1
            entry = OutboxEntry(
                rowid=0,
                id=event.id,
                seq=seq,
                type=event.type,
                priority=PRIORITY.get(event.type, 9),
                created=wall,
                payload=event_payload(event, unit=self.unit, seq=seq, wall=wall),
                sinks=sink_tuple,
            )
            try:
                if self._count >= self.max_entries and not self._make_room(entry.type):
                    self._bump("shed_" + entry.type, 1)
                    self._set_counter("next_seq", self._next_seq)
                    log.warning("outbox full (%d entries): %s event %s shed", self._count, entry.type, entry.id)
                    return OutboxEntry(0, entry.id, seq, entry.type, entry.priority, wall, entry.payload, ())
                entry = self._insert(entry)
            except sqlite3.Error as exc:
                entry = self._spill_entry(entry, exc)
        self._notify(sink_tuple)
        return entry

    def _insert(self, entry: OutboxEntry) -> OutboxEntry:
        alarm = entry.type in NEVER_SHED
        if alarm:
            self._db.execute("PRAGMA synchronous=FULL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO entries (id, seq, type, priority, created, payload, sinks) VALUES (?,?,?,?,?,?,?)",
                    (
                        entry.id,
                        entry.seq,
                        entry.type,
                        entry.priority,
                        entry.created,
                        json.dumps(entry.payload, separators=(",", ":")),
                        json.dumps(entry.sinks),
                    ),
                )
                rowid = int(cur.lastrowid or 0)
                self._db.executemany(
                    "INSERT INTO deliveries (sink, entry) VALUES (?, ?)", [(s, rowid) for s in entry.sinks]
                )
                self._set_counter("next_seq", max(entry.seq + 1, self._next_seq))
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        finally:
            if alarm:
                self._db.execute("PRAGMA synchronous=NORMAL")
        self._count += 1
        return OutboxEntry(
            rowid, entry.id, entry.seq, entry.type, entry.priority, entry.created, entry.payload, entry.sinks
        )

    def _make_room(self, incoming_type: str) -> bool:
        """Shed one sheddable entry; False when there is none and ``incoming_type`` must go instead."""
        for shed_type in SHED_ORDER:
            row = self._db.execute(
                "SELECT rowid FROM entries WHERE type = ? ORDER BY rowid LIMIT 1", (shed_type,)
            ).fetchone()
            if row is not None:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.execute("DELETE FROM deliveries WHERE entry = ?", (row[0],))
                    self._db.execute("DELETE FROM entries WHERE rowid = ?", (row[0],))
                    self._bump("shed_" + shed_type, 1)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
                self._count -= 1
                log.warning("outbox full: shed the oldest %s entry to make room", shed_type)
                return True
        return incoming_type in NEVER_SHED

    def _spill_entry(self, entry: OutboxEntry, exc: sqlite3.Error) -> OutboxEntry:
        self._write_errors += 1
        log.error(
            "outbox write failed (%s): %s event %s kept in memory until the disk has room", exc, entry.type, entry.id
        )
        self._spill_rowid -= 1
        spilled = OutboxEntry(
            self._spill_rowid,
            entry.id,
            entry.seq,
            entry.type,
            entry.priority,
            entry.created,
            entry.payload,
            entry.sinks,
        )
        self._spill.append(_Spilled(spilled, set(entry.sinks)))
        if len(self._spill) > SPILL_LIMIT:
            for i, item in enumerate(self._spill):
                if item.entry.type not in NEVER_SHED:
                    del self._spill[i]
                    self._bump_memory_shed(item.entry.type)
                    break
        return spilled

    def _bump_memory_shed(self, event_type: str) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._bump("shed_" + event_type, 1)

    def _flush_spill(self) -> None:
        """Write spilled entries back once the disk has room again, keeping what they still owe."""
        while self._spill:
            item = self._spill[0]
            if not item.owed:
                self._spill.pop(0)
                continue
            e = item.entry
            try:
                self._insert(OutboxEntry(0, e.id, e.seq, e.type, e.priority, e.created, e.payload, tuple(item.owed)))
            except sqlite3.IntegrityError:
                pass  # already on disk (written before a crash of the previous attempt)
            except sqlite3.Error:
                return
            self._spill.pop(0)

    # -- reading and acknowledging ---------------------------------------------------------

    def pending(self, sink: str, limit: int = 100, *, exclude: Collection[int] = ()) -> list[OutboxEntry]:
        """Entries ``sink`` has not acknowledged: fire first, then by priority, then seq.

        ``exclude``: rowids the caller already has in flight, skipped (not counted in ``limit``).
        """
        with self._lock:
            self._seen[sink] = self._puts.get(sink, 0)
            with contextlib.suppress(sqlite3.Error):
                self._flush_spill()
            held = self._held_acks.get(sink, set())
            rows = self._db.execute(
                "SELECT e.rowid, e.id, e.seq, e.type, e.priority, e.created, e.payload, e.sinks"
                " FROM entries e JOIN deliveries d ON d.entry = e.rowid AND d.sink = ?"
                " ORDER BY e.priority, e.seq LIMIT ?",
                (sink, limit + len(exclude) + len(held)),
            ).fetchall()
            out = [
                OutboxEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), tuple(json.loads(r[7])))
                for r in rows
                if r[0] not in exclude and r[0] not in held
            ][:limit]
            spilled = [s.entry for s in self._spill if sink in s.owed and s.entry.rowid not in exclude]
        if spilled:
            out = sorted(out + spilled, key=lambda e: (e.priority, e.seq))[:limit]
        return out

    def ack(self, sink: str, rowids: Iterable[int]) -> None:
        """``sink`` delivered these; an entry goes once every sink it was meant for has acked.

        If the database cannot be written (full disk), the acks are kept in memory, counted as
        write errors and retried with the next ack; ``pending`` no longer offers those entries.
        """
        ids = list(rowids)
        with self._lock:
            for item in self._spill:
                if item.entry.rowid in ids:
                    item.owed.discard(sink)
            held = self._held_acks.setdefault(sink, set())
            held.update(r for r in ids if r > 0)
            if not held:
                return
            ondisk = [(sink, r) for r in sorted(held)]
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany("DELETE FROM deliveries WHERE sink = ? AND entry = ?", ondisk)
                    before = self._db.total_changes
                    self._db.executemany(
                        "DELETE FROM entries WHERE rowid = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE entry = ?)",
                        [(r, r) for _, r in ondisk],
                    )
                    removed = self._db.total_changes - before
                    self._db.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
            except sqlite3.Error as exc:
                self._write_errors += 1
                log.error("outbox ack for %s not stored (%s); kept in memory and retried", sink, exc)
                return
            held.clear()
            self._count -= removed

    async def wait(self, sink: str, timeout: float | None = None) -> bool:
        """Return once something was put for ``sink`` since its last ``pending`` call.

        True when there is news, False on timeout. A put that happened between ``pending`` and
        ``wait`` makes ``wait`` return at once, so a consumer loop never misses one.
        """
        loop = asyncio.get_running_loop()
        ev = asyncio.Event()
        with self._lock:
            if self._puts.get(sink, 0) != self._seen.get(sink, 0):
                return True
            self._waiters.setdefault(sink, set()).add((loop, ev))
        try:
            async with asyncio.timeout(timeout):
                await ev.wait()
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.get(sink, set()).discard((loop, ev))

    def _notify(self, sinks: tuple[str, ...]) -> None:
        with self._lock:
            for sink in sinks:
                self._puts[sink] = self._puts.get(sink, 0) + 1
                for loop, ev in list(self._waiters.get(sink, ())):
                    with contextlib.suppress(RuntimeError):  # that loop has closed
                        loop.call_soon_threadsafe(ev.set)

    # -- introspection ---------------------------------------------------------------------

    def depth(self, sink: str | None = None) -> int:
        with self._lock:
            if sink is None:
                return self._count + sum(1 for s in self._spill if s.owed)
            n = self._db.execute("SELECT COUNT(*) FROM deliveries WHERE sink = ?", (sink,)).fetchone()[0]
            held = len(self._held_acks.get(sink, ()))
            return int(n) - held + sum(1 for s in self._spill if sink in s.owed)

    def oldest_age(self, sink: str | None = None, now: float | None = None) -> float | None:
        """Seconds since the oldest entry still owed (to ``sink``) was stored; None when empty."""
        with self._lock:
            if sink is None:
                row = self._db.execute("SELECT MIN(created) FROM entries").fetchone()
                spilled = [s.entry.created for s in self._spill if s.owed]
            else:
                row = self._db.execute(
                    "SELECT MIN(e.created) FROM entries e JOIN deliveries d ON d.entry = e.rowid WHERE d.sink = ?",
                    (sink,),
                ).fetchone()
                spilled = [s.entry.created for s in self._spill if sink in s.owed]
        times = [t for t in [row[0], *spilled] if t is not None]
        if not times:
            return None
        return max(0.0, (time.time() if now is None else now) - min(times))

    def stats(self) -> dict[str, Any]:
        """Depth, shedding and write errors, for telemetry."""
        with self._lock:
            rows = self._db.execute("SELECT name, value FROM counters WHERE name LIKE 'shed_%'").fetchall()
            by_sink = dict(self._db.execute("SELECT sink, COUNT(*) FROM deliveries GROUP BY sink").fetchall())
            shed = {name.removeprefix("shed_"): int(v) for name, v in rows if v}
            return {
                "depth": self._count + sum(1 for s in self._spill if s.owed),
                "depth_by_sink": by_sink,
                "max_entries": self.max_entries,
                "shed": shed,
                "shed_total": sum(shed.values()),
                "write_errors": self._write_errors,
                "spilled": sum(1 for s in self._spill if s.owed),
                "next_seq": self._next_seq,
            }

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()

    # -- counters ---------------------------------------------------------------------------

    def _counter(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def _max_seq(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM entries").fetchone()[0])

    def _set_counter(self, name: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def _bump(self, name: str, by: int) -> None:
        sql = "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + ?"
        self._db.execute(sql, (name, by, by))

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")


OUTBOX_FILE = "outbox.sqlite"


def outbox_path(state_dir: Path) -> Path:
    """Where the daemon keeps its outbox: ``<state_dir>/outbox.sqlite``."""
    return Path(state_dir) / OUTBOX_FILE
