"""Hypothesis: whatever arrives on a command topic, parsing never raises and nothing unsigned acts."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.uplink.commands import REJECT_REASONS, CommandProcessor, ReplayGuard
from firmware.uplink.topics import Topics

KEY = b"fuzz-key-0123456789abcdef"
TOPIC = "parkvakt/u1/cmd/arm"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
envelope_like = st.fixed_dictionaries(
    {"body": st.one_of(st.text(), json_values.map(json.dumps)), "hmac": st.one_of(st.text(), json_values)}
)

_ran: list[dict[str, Any]] = []


async def _arm(args: dict[str, Any]) -> dict[str, Any]:
    _ran.append(args)
    return {}


_dir = tempfile.TemporaryDirectory(prefix="parkvakt-fuzz-")
PROCESSOR = CommandProcessor(
    Topics("parkvakt", "u1"), KEY, {"arm": _arm}, ReplayGuard(Path(_dir.name) / "ids.db", window_s=60)
)


def _process(topic: str, payload: bytes) -> None:
    outcome = asyncio.run(PROCESSOR.process(topic, payload))
    assert not outcome.accepted, "an unsigned or malformed command was accepted"
    assert outcome.reason in REJECT_REASONS


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=2048), topic=st.sampled_from([TOPIC, "parkvakt/u2/cmd/arm", "parkvakt/u1/cmd/"]))
def test_arbitrary_bytes_never_crash_and_never_act(payload: bytes, topic: str) -> None:
    _process(topic, payload)
    assert _ran == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.one_of(json_values, envelope_like))
def test_arbitrary_json_never_crashes_and_never_acts(document: Any) -> None:
    _process(TOPIC, json.dumps(document).encode())
    assert _ran == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.text(),
        json_values.map(json.dumps),
        st.dictionaries(st.sampled_from(["id", "ts", "unit", "cmd", "args"]), json_values).map(json.dumps),
    )
)
def test_correctly_signed_garbage_bodies_never_crash(body: str) -> None:
    """Even with a valid signature (a key holder's bug), a malformed body is refused, not a crash."""
    mac = hmac.new(KEY, body.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    payload = json.dumps({"body": body, "hmac": mac}).encode()
    outcome = asyncio.run(PROCESSOR.process(TOPIC, payload))
    if outcome.accepted:  # only a well-formed, fresh, matching body may pass
        parsed = json.loads(body)
        assert parsed["unit"] == "u1" and parsed["cmd"] == "arm"
    else:
        assert outcome.reason in REJECT_REASONS
