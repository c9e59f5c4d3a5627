"""Release artifacts: everything a unit needs to install a firmware version with no network.

``parkvakt-<version>.tar.gz`` holds ``manifest.json`` (name, version, target platform, what to
``pip install``, the sha256 of every file), ``wheels/`` (the project wheel and every dependency wheel
for the unit's platform) and ``models/`` (the TFLite model and its labels). The unit's agent
(``firmware.update.install``) refuses an archive whose files differ from its manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

PI_PLATFORM = "manylinux2014_aarch64"
PI_PYTHON = "3.11"


class ReleaseError(Exception):
    pass


@dataclass(frozen=True)
class BuiltRelease:
    artifact: Path
    name: str
    version: str
    manifest: dict


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    # wheel and setuptools stamp files with SOURCE_DATE_EPOCH: the same sources give the same wheel
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "315532800")}
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-6:])
        raise ReleaseError(f"pip {args[0]} failed: {tail}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    project: Path,
    out_dir: Path,
    models: list[Path] | None = None,
    platform: str | None = PI_PLATFORM,
    python_version: str | None = PI_PYTHON,
    find_links: list[Path] | None = None,
    no_index: bool = False,
    no_build_isolation: bool = False,
) -> BuiltRelease:
    """Build the project wheel, gather its dependency wheels for ``platform`` and pack the artifact.

    ``platform=None`` gathers wheels for this machine (tests, and x86 bench rigs).
    """
    index_args: list[str] = []
    for link in find_links or []:
        index_args += ["--find-links", str(link)]
    if no_index:
        index_args.append("--no-index")
    with tempfile.TemporaryDirectory(prefix="parkvakt-release-") as tmp:
        stage = Path(tmp)
        wheels = stage / "wheels"
        wheels.mkdir()
        _pip("wheel", "--quiet", "--no-deps", "-w", str(wheels), *index_args,
             *(["--no-build-isolation"] if no_build_isolation else []), str(project))  # fmt: skip
        built = list(wheels.glob("*.whl"))
        if len(built) != 1:
            raise ReleaseError(f"expected one project wheel, found {[p.name for p in built]}")
        project_wheel = built[0]
        name, version = project_wheel.name.split("-")[:2]
        target = ["--platform", platform, "--python-version", python_version or PI_PYTHON] if platform else []
        _pip("download", "--quiet", "--only-binary=:all:", "-d", str(wheels), *target, *index_args, str(project_wheel))
        pip_wheel = _bundle_pip(wheels, index_args, find_links or [], no_index)
        if models:
            (stage / "models").mkdir()
            for model in models:
                shutil.copyfile(model, stage / "models" / model.name)
        files = {p.relative_to(stage).as_posix(): _sha256(p) for p in sorted(stage.rglob("*")) if p.is_file()}
        manifest = {
            "format": 1,
            "name": name,
            "version": version,
            "platform": platform or "host",
            "python": python_version if platform else f"{sys.version_info.major}.{sys.version_info.minor}",
            "requirements": [f"{name}=={version}"],
            # the unit runs pip from this wheel to build the release's virtualenv: no pip needed on the unit
            "pip": f"wheels/{pip_wheel.name}",
            "files": files,
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        out_dir.mkdir(parents=True, exist_ok=True)
        artifact = out_dir / f"parkvakt-{version}.tar.gz"
        _pack(stage, artifact)
    return BuiltRelease(artifact, name, version, manifest)


def _bundle_pip(wheels: Path, index_args: list[str], find_links: list[Path], no_index: bool) -> Path:
    """A pip wheel inside the release: from the index or --find-links, else this Python's ensurepip's."""
    try:
        if no_index and not any(next(Path(link).glob("pip-*.whl"), None) for link in find_links):
            raise ReleaseError("offline, and no pip wheel in --find-links")
        _pip("download", "--quiet", "--only-binary=:all:", "--no-deps", "-d", str(wheels), *index_args, "pip")
    except ReleaseError:
        import ensurepip

        bundled = [*(Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl")]
        bundled += Path("/usr/share/python-wheels").glob("pip-*.whl")  # Debian's python3-venv
        if not bundled:
            raise ReleaseError("no pip wheel: give --find-links to a folder with one, or allow the index") from None
        newest = max(bundled, key=lambda p: Version(p.name.split("-")[1]))
        shutil.copyfile(newest, wheels / newest.name)
    found = list(wheels.glob("pip-*.whl"))
    if not found:
        raise ReleaseError("pip download succeeded but left no pip wheel")
    return max(found, key=lambda p: Version(p.name.split("-")[1]))


def _pack(stage: Path, artifact: Path) -> None:
    """A reproducible tarball: the same files give the same bytes (sorted names, zero times and owners)."""
    buf = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in sorted(stage.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(stage).as_posix())
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_file():
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    artifact.write_bytes(buf.getvalue())


def read_manifest(artifact: Path) -> dict:
    try:
        with tarfile.open(artifact, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise ReleaseError(f"{artifact}: no manifest.json")
            return json.loads(member.read())
    except (tarfile.TarError, KeyError, ValueError) as exc:
        raise ReleaseError(f"{artifact}: not a Parkvakt release: {exc}") from exc
