"""`release build` and `release publish` through the CLI."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

from tests.provisioning.conftest import run
from tests.update.conftest import write_test_project


def build(project: Path, out: Path) -> Path:
    result = run("release", "build", "--project", project, "--out", out, "--host-platform",
                 "--no-index", "--no-build-isolation")  # fmt: skip
    assert result.exit_code == 0, result.output
    return Path(result.output.strip().splitlines()[-1])


def test_release_is_reproducible_and_its_manifest_covers_every_file(tmp_path: Path) -> None:
    project = write_test_project(tmp_path / "src", "2.1.0")
    first, second = build(project, tmp_path / "a"), build(project, tmp_path / "b")
    assert first.name == "parkvakt-2.1.0.tar.gz"
    assert first.read_bytes() == second.read_bytes()  # same sources, same artifact
    with tarfile.open(first) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert manifest["version"] == "2.1.0" and manifest["requirements"] == ["pvsvc==2.1.0"]
    assert manifest["pip"].startswith("wheels/pip-")  # the unit needs no pip of its own
    files = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items() if name != "manifest.json"}
    assert files == manifest["files"]


def test_publish_refuses_what_is_not_a_release_and_a_misnamed_one(tmp_path: Path, site_dir: Path) -> None:
    junk = tmp_path / "parkvakt-1.0.0.tar.gz"
    junk.write_bytes(b"not a tarball")
    result = run("--site", site_dir, "release", "publish", junk)
    assert result.exit_code == 1 and "not a Parkvakt release" in result.output
    artifact = build(write_test_project(tmp_path / "src", "2.2.0"), tmp_path / "out")
    renamed = artifact.with_name("parkvakt-9.0.0.tar.gz")
    artifact.rename(renamed)
    result = run("--site", site_dir, "release", "publish", renamed)
    assert result.exit_code == 1 and "holds version 2.2.0" in result.output
    targets = json.loads((site_dir / "tuf" / "repo" / "metadata" / "targets.json").read_text())
    assert targets["signed"]["targets"] == {}


def test_publish_signs_version_and_downgrade_exception_into_targets(tmp_path: Path, site_dir: Path) -> None:
    artifact = build(write_test_project(tmp_path / "src", "2.3.0"), tmp_path / "out")
    result = run("--site", site_dir, "release", "publish", artifact, "--allow-downgrade")
    assert result.exit_code == 0, result.output
    targets = json.loads((site_dir / "tuf" / "repo" / "metadata" / "targets.json").read_text())
    entry = targets["signed"]["targets"]["parkvakt-2.3.0.tar.gz"]
    assert entry["custom"] == {"version": "2.3.0", "allow_downgrade": True}
    assert entry["length"] == artifact.stat().st_size
    assert entry["hashes"]["sha256"] == hashlib.sha256(artifact.read_bytes()).hexdigest()
