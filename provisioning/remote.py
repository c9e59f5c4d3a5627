"""Talking to a unit over MQTT as the technician: ``unit verify`` and ``unit update``.

Commands are signed with the unit's own command key in the format of
``firmware/uplink/commands.py`` and published to ``<prefix>/<unit id>/cmd/<name>``; answers come
on ``.../cmd/<name>/result``. The technician's tool connects with the site's operator
certificate (mTLS, site CA). Topics the unit publishes for these commands (contract with the
uplink):

* ``<root>/status``: retained ``online``/``offline``;
* ``<root>/birth``: retained birth record ``{"unit", "fingerprint", "config_sha256", "firmware", "model"}``
  (when absent, the same fields are taken from the ``status`` command's result);
* ``<root>/update/status``: the agent's ``status.json`` (``firmware/update/report.py``), on change;
* ``<root>/update/report``: each final ``UpdateReport`` as JSON, QoS 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import ssl
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt

from firmware.uplink.commands import sign_command
from provisioning.unit import Unit


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _prefix(unit: Unit) -> str:
    cfg = tomllib.loads(unit.config.read_text(encoding="utf-8"))
    return str(cfg.get("mqtt", {}).get("prefix", "parkvakt"))


def _client(unit: Unit, port: int | None) -> aiomqtt.Client:
    site = unit.site
    ctx = ssl.create_default_context(cafile=str(site.ca_cert))
    ctx.load_cert_chain(str(site.path / "ca" / "operator.crt"), str(site.path / "ca" / "operator.key"))
    return aiomqtt.Client(
        site.mqtt_host,
        port or site.mqtt_port,
        identifier=f"parkvakt-provision-{uuid.uuid4().hex[:8]}",
        tls_context=ctx,
    )


def _key(unit: Unit) -> bytes:
    return unit.command_key.read_bytes().strip()


def _json(payload: Any) -> Any:
    try:
        return json.loads(bytes(payload))
    except (TypeError, ValueError):
        return None


async def verify(unit: Unit, timeout: float = 30.0, port: int | None = None) -> list[Check]:
    root = f"{_prefix(unit)}/{unit.id}"
    seen: dict[str, Any] = {}
    async with _client(unit, port) as client:
        for topic in (f"{root}/status", f"{root}/birth", f"{root}/cmd/status/result", f"{root}/cmd/selftest/result"):
            await client.subscribe(topic, qos=1)
        sent = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                async for message in client.messages:
                    seen[str(message.topic)] = message.payload
                    if not sent and bytes(seen.get(f"{root}/status") or b"") == b"online":
                        # commands go out only once the unit is online and listening
                        for name in ("status", "selftest"):
                            payload = sign_command(_key(unit), unit=unit.id, name=name)
                            await client.publish(f"{root}/cmd/{name}", payload, qos=1)
                        sent = True
                    if {f"{root}/cmd/status/result", f"{root}/cmd/selftest/result"} <= seen.keys():
                        break
    return _judge(unit, root, seen)


def _judge(unit: Unit, root: str, seen: dict[str, Any]) -> list[Check]:
    checks = []
    status = seen.get(f"{root}/status")
    online = bytes(status or b"").decode(errors="replace")
    checks.append(Check("online", online == "online", online or "no retained status"))
    birth = _json(seen.get(f"{root}/birth")) or {}
    status_result = _json(seen.get(f"{root}/cmd/status/result")) or {}
    if not birth and isinstance(status_result.get("result"), dict):
        birth = status_result["result"]
    if not birth:
        checks.append(Check("birth record", False, "no birth record and no answer to the status command"))
    else:
        expected_config = hashlib.sha256(unit.config.read_bytes()).hexdigest()
        problems = []
        if missing := [k for k in ("unit", "fingerprint", "config_sha256") if k not in birth]:
            problems.append(f"birth record lacks {', '.join(missing)} (firmware too old?)")
        if "unit" in birth and birth["unit"] != unit.id:
            problems.append(f"unit id {birth['unit']} ≠ {unit.id}")
        if "fingerprint" in birth and birth["fingerprint"] != unit.fingerprint:
            problems.append("client key fingerprint differs from the one provisioned")
        if "config_sha256" in birth and birth["config_sha256"] != expected_config:
            problems.append("config differs from the provisioned unit.toml")
        versions = f"firmware {birth.get('firmware', '?')}, model {birth.get('model', '?')}"
        checks.append(Check("birth record", not problems, "; ".join(problems) or versions))
    selftest = _json(seen.get(f"{root}/cmd/selftest/result"))
    if selftest is None:
        checks.append(Check("self-test", False, "no answer"))
    else:
        detail = selftest.get("error") or json.dumps(selftest.get("result"))[:80]
        checks.append(Check("self-test", bool(selftest.get("ok")), detail))
    return checks


async def update(
    unit: Unit,
    version: str,
    on_status: Callable[[dict], None],
    timeout: float = 1800.0,
    port: int | None = None,
) -> dict:
    """Send ``update``; feed progress to ``on_status``; return the unit's final report for ``version``."""
    root = f"{_prefix(unit)}/{unit.id}"
    async with _client(unit, port) as client:
        for topic in (f"{root}/update/status", f"{root}/update/report", f"{root}/cmd/update/result"):
            await client.subscribe(topic, qos=1)
        await client.subscribe(f"{root}/status", qos=1)
        sent = False
        async with asyncio.timeout(timeout):
            async for message in client.messages:
                topic = str(message.topic)
                if topic == f"{root}/status":
                    if not sent and bytes(message.payload or b"") == b"online":
                        payload = sign_command(_key(unit), unit=unit.id, name="update", args={"version": version})
                        await client.publish(f"{root}/cmd/update", payload, qos=1)
                        on_status({"state": "sent", "progress": 0.0})
                        sent = True
                    continue
                data = _json(message.payload)
                if not isinstance(data, dict):
                    continue
                if topic.endswith("/cmd/update/result") and not data.get("ok"):
                    return {"outcome": "refused", "message": f"unit refused the command: {data.get('error')}"}
                if topic.endswith("/update/status") and data.get("version") == version:
                    on_status(data)
                if topic.endswith("/update/report") and data.get("version") == version:
                    return data
    raise TimeoutError("no final report from the unit in time")
