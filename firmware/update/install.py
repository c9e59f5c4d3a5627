"""A/B release folders under the install root, and the atomic ``current`` switch.

::

    <install_root>/releases/<version>/manifest.json   the release's manifest (hashes of every file)
    <install_root>/releases/<version>/wheels/          the bundled wheels
    <install_root>/releases/<version>/venv/            its own virtualenv, built offline from them
    <install_root>/current -> releases/<version>       what the service runs

A release counts as installed only once its ``INSTALLED`` marker is written (last, fsync'd): a
virtualenv holds absolute paths, so it is built in place rather than renamed into place, and a
folder without the marker is half-built and gets rebuilt from scratch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from firmware.update.durable import fsync_dir, replace_symlink, write_bytes

MANIFEST = "manifest.json"
MARKER = "INSTALLED"


class InstallError(Exception):
    """The release could not be installed; ``current`` was not touched."""


VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,40}$")


def check_version(version: str) -> str:
    """A release version is a plain name: never a path that could leave ``releases/``."""
    if not isinstance(version, str) or not VERSION.match(version) or ".." in version:
        raise InstallError(f"{version!r} is not a release version")
    return version


def releases_dir(install_root: Path) -> Path:
    return install_root / "releases"


def release_dir(install_root: Path, version: str) -> Path:
    return releases_dir(install_root) / check_version(version)


def current_version(install_root: Path) -> str | None:
    """The release ``current`` points at, or ``None`` on a unit without one."""
    try:
        target = os.readlink(install_root / "current")
    except OSError:
        return None
    return Path(target).name


def switch_current(install_root: Path, version: str) -> None:
    if not is_installed(install_root, version):
        raise InstallError(f"release {version} is not installed")
    replace_symlink(install_root / "current", f"releases/{version}")


def is_installed(install_root: Path, version: str) -> bool:
    return (release_dir(install_root, version) / MARKER).is_file()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InstallError(f"release manifest unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise InstallError("release manifest has no file list")
    return manifest


def verify_tree(folder: Path, manifest: dict) -> None:
    """Every file listed is present with its hash, and nothing else is there."""
    listed = set(manifest["files"])
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST, MARKER}
    present = {p for p in present if not p.startswith("venv/")}
    if extra := sorted(present - listed):
        raise InstallError(f"release contains files not in its manifest: {', '.join(extra[:5])}")
    for rel, digest in manifest["files"].items():
        path = folder / rel
        if not path.is_file():
            raise InstallError(f"release is missing {rel}")
        if sha256_file(path) != digest:
            raise InstallError(f"release file {rel} does not match its manifest hash")


def _build_venv(folder: Path, manifest: dict) -> None:
    requirements = manifest.get("requirements")
    if not isinstance(requirements, list) or not requirements:
        raise InstallError("release manifest names nothing to install")
    venv = folder / "venv"
    python = str(venv / "bin" / "python")
    bundled_pip = folder / str(manifest.get("pip", ""))
    if importlib.util.find_spec("pip") is not None:
        pip = [sys.executable, "-m", "pip", "--python", python]
    elif manifest.get("pip") and bundled_pip.is_file():
        # a venv the agent built itself has no pip: run pip straight from the release's wheel
        pip = [python, str(bundled_pip / "pip")]
    else:
        raise InstallError("no pip to install with: this Python has none and the release bundles none")
    steps = [
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        [*pip, "install", "--quiet", "--no-index", "--no-cache-dir", "--disable-pip-version-check",
         "--find-links", str(folder / "wheels"), *requirements],
    ]  # fmt: skip
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise InstallError(f"{' '.join(cmd[:4])} failed: {' / '.join(tail)}")


def install_release(install_root: Path, artifact: Path, version: str) -> Path:
    """Unpack, verify and build ``version``; a no-op when it is already installed."""
    folder = release_dir(install_root, version)
    if is_installed(install_root, version):
        return folder
    if current_version(install_root) == version:
        raise InstallError(f"release {version} is current but incomplete; refusing to rebuild it in place")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        try:
            with tarfile.open(artifact, "r:gz") as tar:
                tar.extractall(folder, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InstallError(f"release archive unreadable: {exc}") from exc
        manifest = read_manifest(folder)
        if manifest.get("version") != version:
            raise InstallError(f"archive holds release {manifest.get('version')!r}, not {version}")
        verify_tree(folder, manifest)
        _build_venv(folder, manifest)
        fsync_dir(folder)
        write_bytes(folder / MARKER, f"{version}\n".encode())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def remove_release(install_root: Path, version: str) -> None:
    if current_version(install_root) == version:
        return
    folder = release_dir(install_root, version)
    if folder.exists():
        doomed = releases_dir(install_root) / f".{version}.removing"
        os.replace(folder, doomed)
        shutil.rmtree(doomed, ignore_errors=True)


def prune(install_root: Path, keep: set[str], keep_count: int) -> None:
    """Remove old releases beyond ``keep_count``; never one in ``keep`` or the current one."""
    releases = releases_dir(install_root)
    if not releases.is_dir():
        return
    for leftover in releases.glob(".*.removing"):
        shutil.rmtree(leftover, ignore_errors=True)
    folders = sorted((p for p in releases.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    keep = keep | {v for v in [current_version(install_root)] if v}
    for folder in folders[keep_count:]:
        if folder.name not in keep:
            remove_release(install_root, folder.name)
