"""Remote commands over a real mosquitto: valid ones act and answer, forged ones are refused and counted."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest

from firmware.uplink.commands import CommandProcessor, ReplayGuard, sign_command
from firmware.uplink.topics import Topics
from tests.support.mosquitto import Mosquitto
from tests.uplink.helpers import UNIT, next_message, operator, payload_json, unit_config, uplink

KEY = b"0123456789abcdef-unit-u1-secret"


class FakeUnit:
    """What the policy would do: record calls and keep ``armed``; real enough to see effects."""

    def __init__(self) -> None:
        self.armed = False
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def arm(self, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("arm", args))
        self.armed = True
        return {"armed": True}

    async def disarm(self, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("disarm", args))
        self.armed = False
        return {"armed": False}

    async def trigger(self, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("trigger", args))
        if args.get("output") not in {"siren", "light"}:
            raise ValueError(f"no output {args.get('output')!r}")
        return {"output": args["output"], "duration_s": args.get("duration", 5)}

    def handlers(self) -> dict[str, Any]:
        return {"arm": self.arm, "disarm": self.disarm, "trigger": self.trigger}

    def state(self) -> dict[str, Any]:
        return {"armed": self.armed}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "command.key"
    path.write_bytes(KEY + b"\n")
    return path


async def test_valid_commands_act_and_answer_and_forged_ones_are_refused_and_counted(
    mosquitto: Mosquitto, tmp_path: Path, key_file: Path
) -> None:
    unit = FakeUnit()
    config = unit_config(mosquitto, tmp_path / "state", listener="mtls", command_key=str(key_file), discovery=False)
    async with uplink(config, handlers=unit.handlers(), state=unit.state) as service, operator(mosquitto) as op:
        await op.subscribe(f"parkvakt/{UNIT}/#", qos=1)
        arm = sign_command(KEY, unit=UNIT, name="arm")
        await op.publish(f"parkvakt/{UNIT}/cmd/arm", arm, qos=1)
        result = payload_json(await next_message(op, f"parkvakt/{UNIT}/cmd/arm/result"))
        assert result["ok"] is True and result["result"] == {"armed": True} and unit.armed
        assert result["id"] == json.loads(json.loads(arm)["body"])["id"]
        state = payload_json(await next_message(op, f"parkvakt/{UNIT}/state"))
        assert state["armed"] is True, "the retained state follows the command"

        bad_trigger = sign_command(KEY, unit=UNIT, name="trigger", args={"output": "flamethrower"})
        await op.publish(f"parkvakt/{UNIT}/cmd/trigger", bad_trigger, qos=1)
        answer = payload_json(await next_message(op, f"parkvakt/{UNIT}/cmd/trigger/result"))
        assert answer["ok"] is False and "flamethrower" in answer["error"], "a failing action still answers"

        forged = sign_command(b"not-the-unit-key-0000000", unit=UNIT, name="disarm")
        stale = sign_command(KEY, unit=UNIT, name="disarm", ts=time.time() - 3600)
        other_unit = sign_command(KEY, unit="u2", name="disarm")
        for payload in (forged, stale, other_unit, b"\xff\x00garbage", b'{"body": 1}'):
            await op.publish(f"parkvakt/{UNIT}/cmd/disarm", payload, qos=1)
        await op.publish(f"parkvakt/{UNIT}/cmd/arm", arm, qos=1)  # the same signed arm again: a replay
        # a valid command meant for another unit, on that unit's topic, never reaches this one
        await op.publish("parkvakt/u2/cmd/disarm", other_unit, qos=1)
        async with asyncio.timeout(10):
            while sum(service.commands.rejected.values()) < 6:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        assert unit.armed and [c for c, _ in unit.calls] == ["arm", "trigger"], "no forged command acted"
        assert service.commands.rejected == {
            "bad_hmac": 1,
            "stale": 1,
            "replay": 1,
            "wrong_unit": 1,
            "malformed": 2,
        }
        telemetry = service.telemetry_payload()["commands"]
        assert telemetry["rejected"] == 6 and telemetry["rejected_by_reason"]["replay"] == 1
        assert telemetry["accepted"] == 2 and telemetry["failed"] == 1


async def test_a_command_on_another_units_topic_is_rejected_and_counted(tmp_path: Path) -> None:
    called: list[str] = []

    async def disarm(args: dict[str, Any]) -> dict[str, Any]:
        called.append("disarm")
        return {}

    proc = CommandProcessor(
        Topics("parkvakt", UNIT), KEY, {"disarm": disarm}, ReplayGuard(tmp_path / "ids.db", window_s=60)
    )
    outcome = await proc.process("parkvakt/u2/cmd/disarm", sign_command(KEY, unit=UNIT, name="disarm"))
    assert not outcome.accepted and outcome.reason == "foreign_topic" and not called
    assert proc.counters()["rejected_by_reason"] == {"foreign_topic": 1}
    verb_swap = sign_command(KEY, unit=UNIT, name="arm")
    assert (await proc.process(f"parkvakt/{UNIT}/cmd/disarm", verb_swap)).reason == "wrong_unit"


async def test_a_replay_stays_refused_after_a_restart(tmp_path: Path) -> None:
    ran: list[str] = []

    async def arm(args: dict[str, Any]) -> dict[str, Any]:
        ran.append("arm")
        return {}

    topic = f"parkvakt/{UNIT}/cmd/arm"
    payload = sign_command(KEY, unit=UNIT, name="arm")
    first = CommandProcessor(Topics("parkvakt", UNIT), KEY, {"arm": arm}, ReplayGuard(tmp_path / "ids.db", window_s=60))
    assert (await first.process(topic, payload)).accepted
    first._replay.close()
    again = CommandProcessor(Topics("parkvakt", UNIT), KEY, {"arm": arm}, ReplayGuard(tmp_path / "ids.db", window_s=60))
    outcome = await again.process(topic, payload)
    assert not outcome.accepted and outcome.reason == "replay" and ran == ["arm"]


async def test_without_a_key_every_command_is_refused(tmp_path: Path) -> None:
    proc = CommandProcessor(Topics("parkvakt", UNIT), None, {}, ReplayGuard(tmp_path / "ids.db", window_s=60))
    outcome = await proc.process(f"parkvakt/{UNIT}/cmd/arm", sign_command(KEY, unit=UNIT, name="arm"))
    assert outcome.reason == "no_key"


async def test_an_unknown_but_authentic_command_gets_an_error_answer(tmp_path: Path) -> None:
    proc = CommandProcessor(Topics("parkvakt", UNIT), KEY, {}, ReplayGuard(tmp_path / "ids.db", window_s=60))
    outcome = await proc.process(f"parkvakt/{UNIT}/cmd/reboot", sign_command(KEY, unit=UNIT, name="reboot"))
    assert outcome.accepted and outcome.result is not None
    assert outcome.result["ok"] is False and "unknown command" in outcome.result["error"]


async def test_home_assistant_controls_obey_only_with_ha_control(mosquitto: Mosquitto, tmp_path: Path) -> None:
    unit = FakeUnit()
    for enabled in (False, True):
        config = unit_config(mosquitto, tmp_path / f"state{enabled}", ha_control=enabled, discovery=False)
        async with uplink(config, handlers=unit.handlers(), state=unit.state) as service, operator(mosquitto) as op:
            await op.subscribe(f"parkvakt/{UNIT}/cmd/+/result", qos=1)
            await op.publish(f"parkvakt/{UNIT}/ha/armed", b"ON", qos=1)
            if enabled:
                result = payload_json(await next_message(op, f"parkvakt/{UNIT}/cmd/arm/result"))
                assert result["ok"] and unit.armed
            else:
                async with asyncio.timeout(10):
                    while service.ha_rejected < 1:
                        await asyncio.sleep(0.02)
                assert not unit.armed and unit.calls == []


def test_signature_covers_the_exact_body_bytes() -> None:
    envelope = json.loads(sign_command(KEY, unit=UNIT, name="arm", command_id="c1", ts=1.0))
    assert envelope["hmac"] == hmac.new(KEY, envelope["body"].encode(), hashlib.sha256).hexdigest()
    assert json.loads(envelope["body"]) == {"id": "c1", "ts": 1.0, "unit": UNIT, "cmd": "arm", "args": {}}


def test_a_bad_key_file_is_a_clear_error_and_an_open_one_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from firmware.uplink.commands import CommandKeyError, load_command_key

    with pytest.raises(CommandKeyError, match="cannot read the command key"):
        load_command_key(tmp_path / "missing.key")
    short = tmp_path / "short.key"
    short.write_bytes(b"abc")
    with pytest.raises(CommandKeyError, match="shorter than 16 bytes"):
        load_command_key(short)
    open_key = tmp_path / "open.key"
    open_key.write_bytes(KEY)
    open_key.chmod(0o644)
    assert load_command_key(open_key) == KEY
    assert "readable by other users" in caplog.text
    assert load_command_key(None) is None
