"""`unit verify` and `unit update` end to end: the technician's CLI → a real mosquitto with the
site's CA (mTLS) → the unit's real uplink (UplinkService, signed commands) → the real update
agent fetching from the site's TUF repository over HTTP. `release build` and `release publish`
make the update through the CLI too."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aiomqtt
import pytest

from firmware.config.schema import load_config
from firmware.update import install
from firmware.update.birth import birth_record
from firmware.update.health import wait_healthy
from firmware.update.launch import follow_update, start_agent_as_subprocess, update_command_handler
from firmware.uplink.mqtt import UplinkService, tls_context
from firmware.uplink.outbox import Outbox
from tests.provisioning.conftest import run
from tests.support.mosquitto import Mosquitto, Pki
from tests.update.conftest import SERVICE_CTL, flash, write_test_project


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Field:
    site: Path
    state: Path
    install_root: Path
    config: Path
    broker: Mosquitto
    unit_id: str


def unit_config(site: Path, state: Path, install_root: Path, unit_id: str, port: int, repo_url: str) -> str:
    tls = site / "units" / "gate" / "tls"
    restart = [sys.executable, str(SERVICE_CTL), "restart", str(install_root), str(state)]
    q = lambda v: '"' + str(v) + '"'  # noqa: E731
    return (
        f'[unit]\nid = "{unit_id}"\nname = "gate"\nsite = "field"\nstate_dir = {q(state)}\n\n'
        f'[mqtt]\nhost = "localhost"\nport = {port}\nca = {q(tls / "ca.crt")}\ncert = {q(tls / "client.crt")}\n'
        f"key = {q(tls / 'client.key')}\ncommand_key = {q(site / 'units' / 'gate' / 'command.key')}\n"
        f"discovery = false\ntelemetry_interval_s = 3600\n\n"
        f"[update]\nrepository_url = {q(repo_url)}\ninstall_root = {q(install_root)}\n"
        f"restart_command = [{', '.join(q(c) for c in restart)}]\n"
        f'log_command = ["tail", "-n", "20", {q(state / "service.log")}]\nhealth_deadline_s = 20.0\n'
        f"agent_dir = {q(state.parent / 'agent')}\n"
    )


@pytest.fixture
def field(tmp_path: Path) -> Iterator[Field]:
    site = tmp_path / "site"
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site / "tuf" / "repo")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    repo_url = f"http://127.0.0.1:{server.server_address[1]}"
    assert (
        run("site", "init", site, "--name", "field", "--mqtt-host", "localhost", "--repository-url", repo_url).exit_code
        == 0
    )
    added = run("--site", site, "unit", "add", "gate")
    assert added.exit_code == 0, added.output
    unit_id = added.output.strip().splitlines()[-1]
    ca = site / "ca"
    pki = Pki(tmp_path / "pki", ca / "ca.crt", ca / "ca.key", ca / "broker.crt", ca / "broker.key",
              ca / "operator.crt", ca / "operator.key")  # fmt: skip
    broker = Mosquitto(tmp_path / "broker", pki=pki)
    broker.start()
    state, install_root = tmp_path / "state", tmp_path / "opt"
    state.mkdir()
    (tmp_path / "agent" / "tuf").mkdir(parents=True)
    shutil.copyfile(site / "units" / "gate" / "tuf" / "root.json", tmp_path / "agent" / "tuf" / "root.json")
    flash(install_root)
    # what the site recorded is exactly what the unit runs (on a Pi: /etc/parkvakt/unit.toml)
    text = unit_config(site, state, install_root, unit_id, broker.mtls_port, repo_url)
    (site / "units" / "gate" / "unit.toml").write_text(text)
    config = state.parent / "unit.toml"
    config.write_text(text)
    f = Field(site, state, install_root, config, broker, unit_id)
    try:
        yield f
    finally:
        stop_service_at(f)
        broker.stop()
        server.shutdown()
        server.server_close()


def stop_service_at(f: Field) -> None:
    import subprocess

    subprocess.run([sys.executable, str(SERVICE_CTL), "stop", str(f.install_root), str(f.state)], check=False)


@contextlib.contextmanager
def unit_running(f: Field) -> Iterator[None]:
    """The unit's daemon side: the service (release 1.0.0), its uplink and the update follower."""
    import subprocess

    started = time.time()
    subprocess.run([sys.executable, str(SERVICE_CTL), "restart", str(f.install_root), str(f.state)], check=True)
    assert wait_healthy(f.state, "1.0.0", started - 1, 30).healthy
    cfg = load_config(f.config)

    async def status(args: dict) -> dict:
        return birth_record(f.config, cfg)

    async def selftest(args: dict) -> dict:
        return {"outputs": "all off after test"}

    handlers = {"status": status, "selftest": selftest,
                "update": update_command_handler(start_agent_as_subprocess(f.config))}  # fmt: skip

    async def main(stop: asyncio.Event) -> None:
        outbox = Outbox(f.state / "outbox.db", unit=cfg.unit.id)
        uplink = UplinkService(cfg, outbox, handlers=handlers)
        follower = aiomqtt.Client("localhost", cfg.mqtt.port, identifier=f"{cfg.unit.id}-update",
                                  tls_context=tls_context(cfg.mqtt))  # fmt: skip
        async with follower:

            async def publish(suffix: str, payload: bytes) -> None:
                await follower.publish(f"{uplink.topics.root}/{suffix}", payload, qos=1)

            tasks = [
                asyncio.create_task(uplink.run()),
                asyncio.create_task(follow_update(f.state / "update", publish, 0.1)),
            ]
            await stop.wait()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        outbox.close()

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(main(stop),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def test_unit_verify_passes_for_the_provisioned_unit(field: Field) -> None:
    with unit_running(field):
        result = run(
            "--site", field.site, "unit", "verify", "gate", "--mqtt-port", field.broker.mtls_port, "--timeout", "20"
        )
    assert result.exit_code == 0, result.output
    assert "gate: PASS" in result.output
    assert "firmware 0.1.0" in result.output


def test_unit_verify_fails_when_the_units_config_is_not_the_provisioned_one(field: Field) -> None:
    field.config.write_text(field.config.read_text().replace('name = "gate"', 'name = "gate-x"'))
    with unit_running(field):
        result = run(
            "--site", field.site, "unit", "verify", "gate", "--mqtt-port", field.broker.mtls_port, "--timeout", "20"
        )
    assert result.exit_code == 1
    assert "config differs from the provisioned unit.toml" in result.output
    assert "gate: FAIL" in result.output


def test_release_built_and_published_with_the_cli_reaches_the_unit(field: Field, tmp_path: Path) -> None:
    src = write_test_project(tmp_path / "src", "1.1.0")
    built = run("release", "build", "--project", src, "--out", tmp_path / "dist", "--host-platform",
                "--no-index", "--no-build-isolation")  # fmt: skip
    assert built.exit_code == 0, built.output
    artifact = Path(built.output.strip().splitlines()[-1])
    assert artifact.name == "parkvakt-1.1.0.tar.gz"
    published = run("--site", field.site, "release", "publish", artifact, "--export", tmp_path / "usb")
    assert published.exit_code == 0, published.output
    assert (tmp_path / "usb" / "metadata" / "timestamp.json").exists()
    with unit_running(field):
        result = run("--site", field.site, "unit", "update", "gate", "--version", "1.1.0",
                     "--mqtt-port", field.broker.mtls_port, "--timeout", "90")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "updated from 1.0.0 to 1.1.0" in result.output
    assert install.current_version(field.install_root) == "1.1.0"


def test_unit_update_refuses_a_release_the_site_never_published(field: Field) -> None:
    result = run("--site", field.site, "unit", "update", "gate", "--version", "9.9.9", "--mqtt-port", "1")
    assert result.exit_code == 1
    assert "release 9.9.9 is not published" in result.output
