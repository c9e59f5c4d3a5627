"""The rig's view of the operator's broker: a persistent-session subscriber to everything the unit says."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt


@dataclass(frozen=True)
class Message:
    received_at: float  # rig monotonic clock
    topic: str
    payload: Any  # parsed JSON, or the text when it is not JSON


class BrokerWatch:
    def __init__(self, host: str, port: int, topic_root: str) -> None:
        self.root = topic_root.rstrip("/")
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"rig-watch-{id(self)}", clean_session=False
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(0.2, 1.0)
        self._client.connect_async(host, port, keepalive=10)
        self._client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        client.subscribe(f"{self.root}/#", qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        text = msg.payload.decode("utf-8", "replace")
        try:
            payload: Any = json.loads(text)
        except ValueError:
            payload = text
        with self._lock:
            self.messages.append(Message(time.monotonic(), msg.topic, payload))

    def publish(self, suffix: str, payload: bytes) -> None:
        """What an operator's tool sends the unit, e.g. a signed command on ``cmd/<name>``."""
        self._client.publish(f"{self.root}/{suffix}", payload, qos=1).wait_for_publish(timeout=10)

    def on(self, suffix: str) -> list[Message]:
        """Everything received on ``<root>/<suffix>``, oldest first."""
        with self._lock:
            return [m for m in self.messages if m.topic == f"{self.root}/{suffix}"]

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()

    def events(self, type_: str | None = None, phase: str | None = None) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self.messages
                if m.topic == f"{self.root}/event"
                and isinstance(m.payload, dict)
                and (type_ is None or m.payload.get("type") == type_)
                and (phase is None or m.payload.get("phase") == phase)
            ]

    def wait_event(self, type_: str, phase: str | None = "start", timeout: float = 10.0) -> Message | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.events(type_, phase)
            if found:
                return found[0]
            time.sleep(0.05)
        return None

    def status(self) -> str | None:
        with self._lock:
            found = [m.payload for m in self.messages if m.topic == f"{self.root}/status"]
        return found[-1] if found else None
