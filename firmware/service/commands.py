"""Remote commands (arriving authenticated over MQTT) routed to the policy and the daemon.

Policy methods run in the engine thread, like every other call into pipeline and policy; the
returned actions go through the same path as frame results (logged, outputs tracked).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from firmware.engine import Engine, StepResult

if TYPE_CHECKING:
    from firmware.service.daemon import Daemon

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

POLICY_COMMANDS: tuple[str, ...] = ("arm", "disarm", "trigger", "silence", "selftest")


def _policy_call(daemon: Daemon, name: str) -> Handler:
    async def handler(args: dict[str, Any]) -> dict[str, Any]:
        def call(engine: Engine) -> Any:
            method = getattr(engine.policy, name, None)
            if method is None:
                raise ValueError(f"this unit's policy has no {name!r}")
            return method(now=time.monotonic(), **args) if args else method(now=time.monotonic())

        returned = await daemon.call_engine(call)
        result = StepResult()
        if isinstance(returned, tuple):  # selftest: (event, actions)
            event, actions = returned
            result.events.append(event)
            result.actions.extend(actions)
        elif isinstance(returned, list):
            result.actions.extend(returned)
        daemon._on_result(result, None, time.time(), time.monotonic())
        return {"ok": True, "actions": [f"{a.output}={a.state}" for a in result.actions]}

    return handler


def command_handlers(daemon: Daemon) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {name: _policy_call(daemon, name) for name in POLICY_COMMANDS}

    async def reload(args: dict[str, Any]) -> dict[str, Any]:
        result = await daemon.reload()
        return {"ok": result.ok, "message": result.message}

    async def status(args: dict[str, Any]) -> dict[str, Any]:
        from firmware.update.birth import birth_record

        # the birth record lets `parkvakt-provision unit verify` check identity, config and versions
        birth = birth_record(daemon.config_path, daemon.config)
        return {"ok": True, "status": daemon.status_line(), **daemon.telemetry_snapshot(), **birth}

    handlers["reload"] = reload
    handlers["status"] = status
    if daemon.config.update.enabled:
        from firmware.update.launch import request_via_file, update_command_handler

        # the daemon runs unprivileged: it leaves the request for the root-only update agent
        handlers["update"] = update_command_handler(request_via_file(daemon.state_dir / "update"))
    return handlers
