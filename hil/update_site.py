"""The update site the emulated rig's unit updates from: real releases of this project, built and
published with ``parkvakt-provision``, in a real TUF repository served over HTTP on localhost.

Three releases of this source tree, differing in their version: ``old`` (the one the unit is
flashed with), ``good`` and ``bad``. ``bad`` is built from a tree whose model is a Git LFS pointer
instead of the model (a clone without ``git lfs pull``, a classic release mistake): its daemon
starts, its model fails the hash check, and the ``inference`` health check reports it.

Release builds run offline from a wheelhouse of the project's dependencies for this machine,
filled by pip once and kept in ``build/hil-wheels/`` while ``pyproject.toml``'s dependencies stay
the same (``systemd-python`` is built there from its sdist).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.version import Version

from firmware.update import install

REPO = Path(__file__).resolve().parents[1]
WHEELHOUSE = REPO / "build" / "hil-wheels"
PROVISION = str(Path(sys.executable).with_name("parkvakt-provision"))
PROJECT_PARTS = ("firmware", "hw", "models", "provisioning", "README.md", "pyproject.toml")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.npz", "*.egg-info", "build")
LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 14520\n"
)


def _run(*cmd: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wheelhouse() -> Path:
    """Every runtime dependency (and pip) as a wheel for this machine; filled by pip when missing."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    key = hashlib.sha256("\n".join([sys.version, *deps]).encode()).hexdigest()[:12]
    folder = WHEELHOUSE / key
    done = folder / "COMPLETE"
    folder.mkdir(parents=True, exist_ok=True)
    with (WHEELHOUSE / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run filling the same folder
        if not done.exists():
            _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                 "--wheel-dir", str(folder), "pip", *deps)  # fmt: skip
            done.write_text("\n".join(deps) + "\n")
    return folder


def project_at(version: str, dest: Path, *, model: bytes | None = None) -> Path:
    """This source tree at ``version`` (pyproject and ``firmware.__version__``), as a release manager bumps it."""
    dest.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=SKIP)
        else:
            shutil.copyfile(src, dest / part)
    pyproject = dest / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text(), count=1))
    init = dest / "firmware" / "__init__.py"
    init.write_text(re.sub(r'(?m)^__version__ = ".*"$', f'__version__ = "{version}"', init.read_text(), count=1))
    if model is not None:
        (dest / "models" / "parkvakt.tflite").write_bytes(model)
    return dest


@dataclass(frozen=True)
class UpdateSite:
    path: Path
    url: str
    old: str
    good: str
    bad: str
    flashed: Path  # ``old`` installed once with its virtualenv, copied into each unit's install root

    @property
    def trusted_root(self) -> Path:
        """The root metadata provisioning gives a unit (``/var/lib/parkvakt-update/tuf/root.json``)."""
        return self.path / "tuf" / "repo" / "metadata" / "1.root.json"

    def flash(self, install_root: Path) -> None:
        """Give ``install_root`` release ``old`` as ``current``, as a freshly provisioned unit has."""
        shutil.copytree(self.flashed, install.release_dir(install_root, self.old), symlinks=True)
        install.switch_current(install_root, self.old)


def _quiet_handler(directory: Path) -> partial[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    return partial(Handler, directory=str(directory))


@contextmanager
def update_site(workdir: Path) -> Iterator[UpdateSite]:
    """Site init, three release builds and publications, ``old`` installed; served until closed."""
    base = Version(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])
    old, good, bad = (f"{base.major}.{base.minor}.{base.micro + n}" for n in (1, 2, 3))
    site = workdir / "site"
    repo = site / "tuf" / "repo"
    repo.mkdir(parents=True)  # served from the start; `site init` fills it
    server = ThreadingHTTPServer(("127.0.0.1", 0), _quiet_handler(repo))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="update-site", daemon=True).start()
    try:
        _run(PROVISION, "site", "init", str(site), "--name", "hil", "--mqtt-host", "127.0.0.1",
             "--repository-url", url)  # fmt: skip
        wheels = wheelhouse()
        dist = workdir / "dist"

        def build(version: str, model: bytes | None = None) -> Path:
            project = project_at(version, workdir / "src" / version, model=model)
            _run(PROVISION, "release", "build", "--project", str(project),
                 "--model", str(project / "models" / "parkvakt.tflite"), "--out", str(dist), "--host-platform",
                 "--find-links", str(wheels), "--no-index", "--no-build-isolation")  # fmt: skip
            return dist / f"parkvakt-{version}.tar.gz"

        with ThreadPoolExecutor(3) as pool:
            builds = {v: pool.submit(build, v, LFS_POINTER if v == bad else None) for v in (old, good, bad)}
            flashed = pool.submit(lambda: install.install_release(workdir / "flashed", builds[old].result(), old))
            for artifact in builds.values():
                _run(PROVISION, "--site", str(site), "release", "publish", str(artifact.result()))
            yield UpdateSite(site, url, old, good, bad, flashed.result())
    finally:
        server.shutdown()
        server.server_close()
