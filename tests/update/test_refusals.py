"""Each attack TUF lists is refused, and a refused update changes nothing on the unit."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root
from tuf.api.serialization.json import JSONSerializer

from tests.update.conftest import Site, Unit, make_unit, stop_service


def unit_state(unit: Unit) -> tuple:
    """What a refused update must leave exactly as it was: release, folders, the running service."""
    health = json.loads((unit.state_dir / "health.json").read_text())
    return unit.current(), unit.releases(), (unit.state_dir / "service.pid").read_text(), health["started_at"]


def attempt(unit: Unit, version: str) -> tuple[str, str]:
    agent = unit.agent()
    agent.request(version)
    result = agent.run()
    assert result is not None
    assert agent.status().job is None
    assert not (unit.agent_dir / "downloads").exists()
    return result.outcome, result.message


def stored_target(site: Site, version: str) -> Path:
    [path] = site.repo.targets_dir.glob(f"*.parkvakt-{version}.tar.gz")
    return path


def test_tampered_target_is_refused(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    target = stored_target(site, "1.1.0")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    before = unit_state(unit)
    outcome, message = attempt(unit, "1.1.0")
    assert outcome == "refused"
    assert message.startswith("update to 1.1.0 refused: downloaded release does not match its signed hash")
    assert unit_state(unit) == before


def test_targets_signed_with_the_wrong_key_are_refused(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    forged = site.repo.load("targets")
    forged.signatures.clear()
    forged.sign(CryptoSigner.generate_ecdsa())
    data = forged.to_bytes(JSONSerializer(compact=False))
    (site.repo.metadata_dir / "targets.json").write_bytes(data)
    (site.repo.metadata_dir / f"{forged.signed.version}.targets.json").write_bytes(data)
    before = unit_state(unit)
    outcome, message = attempt(unit, "1.1.0")
    assert outcome == "refused"
    assert "update metadata rejected: UnsignedMetadataError" in message
    assert unit_state(unit) == before


def test_downgrade_is_refused(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["0.9.0"])
    before = unit_state(unit)
    outcome, message = attempt(unit, "0.9.0")
    assert (outcome, message) == (
        "refused",
        "update to 0.9.0 refused: refusing downgrade from 1.0.0 to 0.9.0: no signed downgrade exception",
    )
    assert unit_state(unit) == before


def test_downgrade_with_a_signed_exception_is_installed(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["0.9.0"], allow_downgrade=True)
    assert attempt(unit, "0.9.0") == ("success", "updated from 1.0.0 to 0.9.0")
    assert unit.current() == "0.9.0"
    assert unit.running_version() == "0.9.0"


def test_expired_timestamp_is_refused(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    site.repo.sign_timestamp(expires=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    before = unit_state(unit)
    outcome, message = attempt(unit, "1.1.0")
    assert outcome == "refused"
    assert "update metadata rejected: ExpiredMetadataError" in message
    assert unit_state(unit) == before


def test_target_longer_than_its_signed_length_is_refused(site: Site, unit: Unit, releases: dict) -> None:
    site.publish(releases["1.1.0"])
    target = stored_target(site, "1.1.0")
    target.write_bytes(target.read_bytes() + b"\0" * 200_000)  # endless-data attack
    before = unit_state(unit)
    outcome, message = attempt(unit, "1.1.0")
    assert outcome == "refused"
    assert "server sent more than the signed length" in message
    assert unit_state(unit) == before


def test_target_over_the_configured_size_limit_is_refused(tmp_path: Path, site: Site, releases: dict) -> None:
    unit = make_unit(tmp_path, site, releases, max_target_bytes=1024)
    try:
        site.publish(releases["1.1.0"])
        before = unit_state(unit)
        outcome, message = attempt(unit, "1.1.0")
        assert outcome == "refused"
        assert message.endswith("over the limit of 1024")
        assert not any("parkvakt-1.1.0" in path for path, _ in site.requests)  # not even downloaded
        assert unit_state(unit) == before
    finally:
        stop_service(unit)


def test_unknown_release_is_refused(site: Site, unit: Unit) -> None:
    before = unit_state(unit)
    assert attempt(unit, "7.0.0") == (
        "refused",
        "update to 7.0.0 refused: release 7.0.0 is not in the signed update repository",
    )
    assert unit_state(unit) == before


def test_unit_still_updates_after_targets_and_timestamp_keys_are_rotated(
    site: Site, unit: Unit, releases: dict
) -> None:
    site.publish(releases["1.1.0"])
    site.repo.rotate("timestamp")
    site.repo.rotate("targets")
    assert attempt(unit, "1.1.0") == ("success", "updated from 1.0.0 to 1.1.0")
    trusted = Metadata[Root].from_file(str(unit.agent_dir / "tuf" / "root.json"))
    assert trusted.signed.version == 3  # followed both rotations from the root it was provisioned with


def test_unit_still_updates_after_the_root_key_is_rotated(site: Site, unit: Unit, releases: dict) -> None:
    site.repo.rotate("root")
    site.publish(releases["1.1.0"])
    assert attempt(unit, "1.1.0") == ("success", "updated from 1.0.0 to 1.1.0")


def test_a_signed_release_that_does_not_match_its_own_manifest_is_not_installed(
    tmp_path: Path, site: Site, unit: Unit, releases: dict
) -> None:
    """A broken build (signed correctly, contents wrong) fails at install; current is never switched."""
    broken = tmp_path / "parkvakt-1.1.0.tar.gz"
    with tarfile.open(releases["1.1.0"].artifact) as src, tarfile.open(broken, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            if data is not None and member.name.startswith("models/"):
                content = bytearray(data.read())
                content[0] ^= 0xFF
                dst.addfile(member, io.BytesIO(bytes(content)))
            else:
                dst.addfile(member, data)
    site.repo.add_target(broken, broken.name, {"version": "1.1.0"})
    before = unit_state(unit)
    outcome, message = attempt(unit, "1.1.0")
    assert outcome == "failed"
    assert message.startswith("update to 1.1.0 failed: install failed: release file models/")
    assert message.endswith("does not match its manifest hash")
    assert unit_state(unit) == before


def test_daily_refresh_keeps_a_quiet_repository_usable(site: Site, unit: Unit, releases: dict) -> None:
    """Nothing published for weeks: the cron refresh re-signs snapshot and timestamp before they expire."""
    site.publish(releases["1.1.0"])
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    snapshot = site.repo.load("snapshot")
    snapshot.signed.expires = soon
    snapshot.signed.version += 1
    site.repo._write(snapshot, site.repo._signer("snapshot"))
    site.repo.sign_timestamp()
    assert site.repo.refresh() == ["snapshot", "timestamp"]
    assert site.repo.load("snapshot").signed.expires > soon + dt.timedelta(days=7)
    assert site.repo.refresh() == ["timestamp"]  # nothing else close to expiry now
    assert attempt(unit, "1.1.0") == ("success", "updated from 1.0.0 to 1.1.0")
