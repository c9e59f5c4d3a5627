"""A test site and a test unit: a real TUF repository served over HTTP, real release artifacts
built with pip from a tiny package, and a unit with its own install root, state dir and service."""

from __future__ import annotations

import atexit
import contextlib
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from firmware.config.update import UpdateSection
from firmware.update import install
from firmware.update.agent import UpdateAgent
from firmware.update.health import wait_healthy
from provisioning import release
from provisioning.tuf_repo import SiteRepository

HERE = Path(__file__).resolve().parent
SERVICE_CTL = HERE / "service_ctl.py"

SERVICE_MAIN = '''
"""A tiny stand-in daemon that reports health exactly as firmware/update/health.py documents."""
import importlib.metadata, json, os, sys, time
from pathlib import Path

state = Path(sys.argv[1])
version = importlib.metadata.version("pvsvc")
mode = (Path(__file__).parent / "mode.txt").read_text().strip()
record = {"release": version, "pid": os.getpid(), "started_at": time.time(), "updated_at": time.time(), "checks": {}}

def write():
    tmp = state / f".health.{os.getpid()}"
    tmp.write_text(json.dumps(record))
    os.replace(tmp, state / "health.json")

print(f"pvsvc {version} starting ({mode})", flush=True)
if mode != "silent":
    for check in ("frame", "inference", "outputs", "mqtt"):
        if mode == "bad" and check == "inference":
            print("ERROR inference: model input tensor shape mismatch", flush=True)
            record["checks"][check] = {"ok": False, "at": time.time(), "detail": "model input tensor shape mismatch"}
            write()
            break
        record["checks"][check] = {"ok": True, "at": time.time(), "detail": ""}
        write()
while True:
    time.sleep(3600)
'''


def write_test_project(work: Path, version: str, mode: str = "good") -> Path:
    """The source tree of the tiny ``pvsvc`` service at ``version``; ``mode`` good, bad or silent."""
    project = work / f"pvsvc-{version}-{mode}"
    pkg = project / "pvsvc"
    pkg.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "pvsvc"\nversion = "{version}"\n'
        '[tool.setuptools.package-data]\npvsvc = ["mode.txt"]\n'
    )
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text(SERVICE_MAIN)
    (pkg / "mode.txt").write_text(mode)
    return project


def build_test_release(work: Path, out: Path, version: str, mode: str = "good") -> release.BuiltRelease:
    project = write_test_project(work, version, mode)
    model = work / f"model-{version}.tflite"
    model.write_bytes(random.Random(version).randbytes(300_000))  # big enough to interrupt mid-download
    return release.build(project, out / mode, models=[model], platform=None, no_index=True, no_build_isolation=True)


_BUILT: dict[tuple[str, str], release.BuiltRelease] = {}


def cached_release(version: str, mode: str = "good") -> release.BuiltRelease:
    """A test release built once per test session, shared by every test folder (never modified)."""
    if (version, mode) not in _BUILT:
        work = Path(tempfile.mkdtemp(prefix="parkvakt-test-releases-"))
        atexit.register(shutil.rmtree, work, True)
        _BUILT[version, mode] = build_test_release(work / "src", work / "out", version, mode)
    return _BUILT[version, mode]


@pytest.fixture(scope="session")
def releases() -> dict[str, release.BuiltRelease]:
    """Artifacts by version: 0.9.0, 1.0.0, 1.1.0 good; 1.2.0 fails a health check; 1.3.0 reports nothing."""
    wanted = [("0.9.0", "good"), ("1.0.0", "good"), ("1.1.0", "good"), ("1.2.0", "bad"), ("1.3.0", "silent")]
    return {version: cached_release(version, mode) for version, mode in wanted}


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """A static server like any CDN: honours ``Range: bytes=N-`` and remembers what it was asked."""

    requests: list[tuple[str, str | None]]
    # the link drops after this many bytes of the next target download (a 4G modem losing signal)
    drop_after: list[int]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        if self.drop_after and "/targets/" in self.path:
            outputfile.write(source.read(self.drop_after.pop()))
            outputfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        super().copyfile(source, outputfile)

    def send_head(self):  # type: ignore[override]
        self.requests.append((self.path, self.headers.get("Range")))
        spec = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not spec or not path.is_file():
            return super().send_head()
        start = int(spec.removeprefix("bytes=").split("-")[0])
        size = path.stat().st_size
        f = path.open("rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        return f


@dataclass
class Site:
    repo: SiteRepository
    url: str
    requests: list[tuple[str, str | None]]
    drop_after: list[int]

    def publish(self, built: release.BuiltRelease, **custom: object) -> None:
        self.repo.add_target(built.artifact, built.artifact.name, {"version": built.version, **custom})


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    repo = SiteRepository.create(tmp_path / "site" / "tuf")
    requests: list[tuple[str, str | None]] = []
    drop_after: list[int] = []
    handler = type("Handler", (RangeRequestHandler,), {"requests": requests, "drop_after": drop_after})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(repo.base / "repo")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(repo, f"http://127.0.0.1:{server.server_address[1]}", requests, drop_after)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Unit:
    install_root: Path
    state_dir: Path
    section: UpdateSection
    extra: dict = field(default_factory=dict)

    @property
    def agent_dir(self) -> Path:
        return self.section.agent_dir

    def agent(self, **kwargs: object) -> UpdateAgent:
        return UpdateAgent(self.section, self.state_dir, **kwargs)  # type: ignore[arg-type]

    def current(self) -> str | None:
        return install.current_version(self.install_root)

    def releases(self) -> list[str]:
        return sorted(p.name for p in install.releases_dir(self.install_root).iterdir())

    def service_log(self) -> str:
        path = self.state_dir / "service.log"
        return path.read_text() if path.exists() else ""

    def running_version(self) -> str:
        """The version the running service process reports about itself."""
        import json

        return json.loads((self.state_dir / "health.json").read_text())["release"]

    def config_toml(self) -> str:
        s = self.section

        def q(v: object) -> str:
            return '"' + str(v) + '"'

        return (
            f'[unit]\nid = "test-unit"\nstate_dir = {q(self.state_dir)}\n'
            f"[update]\nrepository_url = {q(s.repository_url)}\ninstall_root = {q(s.install_root)}\n"
            f"restart_command = [{', '.join(q(c) for c in s.restart_command)}]\n"
            f"log_command = [{', '.join(q(c) for c in s.log_command)}]\n"
            f"health_deadline_s = {s.health_deadline_s}\nmax_attempts = {s.max_attempts}\n"
            f"max_target_bytes = {s.max_target_bytes}\nagent_dir = {q(s.agent_dir)}\n"
        )


_FLASHED: dict[str, Path] = {}


def flashed_release() -> Path:
    """Release 1.0.0 installed with its virtualenv (no console scripts, so the copy is relocatable)."""
    if "1.0.0" not in _FLASHED:
        artifact = cached_release("1.0.0").artifact
        _FLASHED["1.0.0"] = install.install_release(artifact.parent.parent / "flashed", artifact, "1.0.0")
    return _FLASHED["1.0.0"]


def flash(install_root: Path) -> None:
    """Give a fresh install root release 1.0.0 as ``current``, as a newly provisioned unit has."""
    shutil.copytree(flashed_release(), install.release_dir(install_root, "1.0.0"), symlinks=True)
    install.switch_current(install_root, "1.0.0")


def make_unit(tmp_path: Path, site: Site, releases: dict, **overrides: object) -> Unit:
    install_root = tmp_path / "opt"
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    restart = [sys.executable, str(SERVICE_CTL), "restart", str(install_root), str(state_dir)]
    fields = {
        "repository_url": site.url,
        "install_root": install_root,
        "restart_command": restart,
        "log_command": ["tail", "-n", "20", str(state_dir / "service.log")],
        "health_deadline_s": 10.0,
        "agent_dir": tmp_path / "agent",
    }
    fields.update(overrides)
    section = UpdateSection(**fields)  # type: ignore[arg-type]
    metadata = tmp_path / "agent" / "tuf"
    metadata.mkdir(parents=True)
    (metadata / "root.json").write_bytes((site.repo.metadata_dir / "1.root.json").read_bytes())
    # the release the unit was flashed with (a copy of one installed once per session)
    flash(install_root)
    started = time.time()
    subprocess.run(restart, check=True)
    assert wait_healthy(state_dir, "1.0.0", started - 1, 30).healthy, "the flashed release did not start"
    return Unit(install_root, state_dir, section)


def stop_service(u: Unit) -> None:
    with contextlib.suppress(Exception):
        subprocess.run([sys.executable, str(SERVICE_CTL), "stop", str(u.install_root), str(u.state_dir)], check=False)


@pytest.fixture
def unit(tmp_path: Path, site: Site, releases: dict) -> Iterator[Unit]:
    u = make_unit(tmp_path, site, releases)
    try:
        yield u
    finally:
        stop_service(u)
        shutil.rmtree(u.install_root, ignore_errors=True)
