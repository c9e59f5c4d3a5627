"""Kill -9 at 100 random moments during a burst, with broker outages in between: nothing is lost.

The process under test is ``firmware.uplink.burst``: the real ``Outbox`` and ``UplinkService``
fed the way the daemon feeds them (until the daemon exists it stands in for it). Each run is a
child forked from this test process (so 100 runs do not pay 100 interpreter start-ups) that
writes events, prints each id once ``put`` returned, and publishes over mTLS to a real
mosquitto; the test SIGKILLs it at a random moment. Four times the broker is stopped in the
middle of a run and only started again several runs later. A separate recorder process with a
persistent session plays the operator.

After a last run that is allowed to drain, the recorder must hold every id that was ever
printed, ``seq`` must run 1..N without a gap (a seq is committed with its event, so a gap would
be a lost event), and a repeated seq may only repeat the same id (at-least-once, duplicates by id).
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.uplink import burst  # imported here, once, so forked children start at once
from tests.support.mosquitto import Mosquitto, make_client_cert

REPO = Path(__file__).resolve().parents[2]
RUNS = 100
OUTAGE_STARTS = {12, 37, 62, 87}  # the broker goes down during these runs...
OUTAGE_ENDS = {17, 41, 66, 92}  # ...and comes back before these


def _write_config(path: Path, broker: Mosquitto, state_dir: Path) -> None:
    pki = broker.pki
    path.write_text(
        f"""
[unit]
id = "lot7"
state_dir = "{state_dir}"

[mqtt]
host = "127.0.0.1"
port = {broker.mtls_port}
ca = "{pki.ca_cert}"
cert = "{pki.client_cert}"
key = "{pki.client_key}"
discovery = false
telemetry_interval_s = 60
backoff_initial_s = 0.05
backoff_max_s = 0.5
"""
    )


def _run_child(config: Path, ids_file: Path, count: int, drain: bool) -> int:
    """Fork a child running the burst; stdout goes (appended, line by line) to ``ids_file``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            fd = os.open(ids_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            sys.stdout = os.fdopen(fd, "w", buffering=1)  # pytest has replaced the real one
            args = ["--config", str(config), "--count", str(count), "--interval-ms", "2"]
            code = burst.main([*args, "--drain"] if drain else args)
        finally:
            os._exit(code)
    return pid


def _wait_or_kill(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    cert, key = make_client_cert(broker.pki, "recorder")
    received = tmp_path / "received.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests/uplink/event_recorder.py"), "--port", str(broker.mtls_port)]
        + ["--topic", "parkvakt/lot7/event", "--out", str(received)]
        + ["--ca", str(broker.pki.ca_cert), "--cert", str(cert), "--key", str(key)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if not ready or proc.stdout.readline().strip() != "ready":
        proc.kill()
        pytest.fail(f"the event recorder did not subscribe within 20 s\n{broker.log_text()[-2000:]}")
    try:
        yield broker, received
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        broker.stop()


def _received(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.mark.slow
def test_kill9_at_100_random_moments_and_broker_outages_lose_no_event(
    recorder: tuple[Mosquitto, Path], tmp_path: Path
) -> None:
    broker, received_file = recorder
    config = tmp_path / "unit.toml"
    _write_config(config, broker, tmp_path / "state")
    ids_file = tmp_path / "written.txt"
    seed = int(os.environ.get("PARKVAKT_KILL_SEED", random.randrange(2**32)))
    print(f"kill moments from seed {seed} (rerun with PARKVAKT_KILL_SEED={seed})")  # shown on failure
    rng = random.Random(seed)

    for run in range(RUNS):
        if run in OUTAGE_ENDS:
            broker.start()
        pid = _run_child(config, ids_file, count=40, drain=False)
        if run in OUTAGE_STARTS:
            time.sleep(rng.uniform(0.0, 0.1))
            broker.stop()
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0, f"run {run} failed: status {status}"

    assert broker.running
    pid = _run_child(config, ids_file, count=5, drain=True)
    status = _wait_or_kill(pid, timeout=60)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the final run did not drain the outbox in 60 s"
    lines = ids_file.read_text().split("\n")
    written = {line.split()[0]: int(line.split()[1]) for line in lines if line.strip() and line != "drained"}
    assert len(written) > RUNS, "the bursts wrote too few events to mean anything"

    deadline = time.monotonic() + 20
    while True:
        got = _received(received_file)
        seqs = {int(e["seq"]) for e in got}  # type: ignore[call-overload]
        top = max(written.values())
        if seqs >= set(range(1, top + 1)) or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    by_id: dict[str, int] = {}
    ids_by_seq: dict[int, set[str]] = {}
    for e in got:
        by_id.setdefault(str(e["id"]), int(e["seq"]))  # type: ignore[call-overload]
        ids_by_seq.setdefault(int(e["seq"]), set()).add(str(e["id"]))  # type: ignore[call-overload]
    missing = set(written) - set(by_id)
    assert not missing, f"{len(missing)} of {len(written)} durable events never arrived, e.g. {sorted(missing)[:3]}"
    assert all(by_id[i] == s for i, s in written.items()), "an event arrived with another seq than it was stored with"
    gaps = sorted(set(range(1, top + 1)) - set(ids_by_seq))
    assert not gaps, f"seq gaps (lost events): {gaps[:10]}"
    doubled = {s: ids for s, ids in ids_by_seq.items() if len(ids) > 1}
    assert not doubled, f"one seq was used for different events: {doubled}"
    assert len(got) >= len(by_id)  # duplicates allowed, but only of the same id
