"""The site's update repository: TUF metadata signed with python-tuf's Metadata API.

Layout under ``<site>/tuf``::

    keys/targets.pem keys/snapshot.pem keys/timestamp.pem   online keys (0600)
    repo/metadata/   1.root.json … N.root.json, N.targets.json, N.snapshot.json, timestamp.json
    repo/targets/    <sha256>.parkvakt-<version>.tar.gz

and ``<site>/offline/root.pem``: the root key, to be moved onto offline storage after ``site init``
and brought back only to rotate keys. ``repo/`` is served as-is by any static HTTP server
(``<url>/metadata/``, ``<url>/targets/``) or copied onto a USB stick. Consistent snapshots are
on, so a unit never sees metadata and targets from two different publications.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    TOP_LEVEL_ROLE_NAMES,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from provisioning.keys import load_private, write_private

EXPIRY = {
    Root.type: dt.timedelta(days=365),
    Targets.type: dt.timedelta(days=90),
    Snapshot.type: dt.timedelta(days=14),
    Timestamp.type: dt.timedelta(days=7),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class SiteRepository:
    def __init__(self, base: Path, root_key: Path | None = None):
        self.base = Path(base)
        self.keys_dir = self.base / "keys"
        self.metadata_dir = self.base / "repo" / "metadata"
        self.targets_dir = self.base / "repo" / "targets"
        self.root_key_path = root_key or self.base.parent / "offline" / "root.pem"

    # -- keys ----------------------------------------------------------------------------------

    def _key_path(self, role: str) -> Path:
        return self.root_key_path if role == Root.type else self.keys_dir / f"{role}.pem"

    def _signer(self, role: str) -> CryptoSigner:
        path = self._key_path(role)
        if not path.exists():
            raise FileNotFoundError(f"the {role} key {path} is not here (is the offline root key mounted?)")
        return CryptoSigner(load_private(path))

    @staticmethod
    def _new_signer() -> CryptoSigner:
        return CryptoSigner.generate_ecdsa()

    # -- metadata files ------------------------------------------------------------------------

    def load(self, role: str) -> Metadata:
        path = self.metadata_dir / f"{role}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        return Metadata.from_file(str(path))

    def _write(self, md: Metadata, *signers: CryptoSigner) -> None:
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        role = md.signed.type
        data = md.to_bytes(JSONSerializer(compact=False))
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        if role != Timestamp.type:
            (self.metadata_dir / f"{md.signed.version}.{role}.json").write_bytes(data)
        (self.metadata_dir / f"{role}.json").write_bytes(data)

    def _bump(self, md: Metadata, expires: dt.datetime | None = None) -> None:
        md.signed.version += 1
        md.signed.expires = expires or _now() + EXPIRY[md.signed.type]

    # -- operations ----------------------------------------------------------------------------

    @classmethod
    def create(cls, base: Path, root_key: Path | None = None) -> SiteRepository:
        repo = cls(base, root_key)
        if (repo.metadata_dir / "root.json").exists():
            raise FileExistsError(f"{repo.metadata_dir} already holds a repository")
        signers = {role: cls._new_signer() for role in TOP_LEVEL_ROLE_NAMES}
        for role, signer in signers.items():
            write_private(repo._key_path(role), signer.private_bytes)
        root = Root(expires=_now() + EXPIRY[Root.type], consistent_snapshot=True)
        for role, signer in signers.items():
            root.add_key(signer.public_key, role)
        repo._write(Metadata(root), signers[Root.type])
        repo._write(Metadata(Targets(expires=_now() + EXPIRY[Targets.type])), signers[Targets.type])
        repo._refresh_snapshot_and_timestamp(signers[Snapshot.type], signers[Timestamp.type])
        return repo

    def _refresh_snapshot_and_timestamp(
        self,
        snapshot_signer: CryptoSigner | None = None,
        timestamp_signer: CryptoSigner | None = None,
        timestamp_expires: dt.datetime | None = None,
    ) -> None:
        targets = self.load(Targets.type)
        try:
            snapshot = self.load(Snapshot.type)
            self._bump(snapshot)
        except FileNotFoundError:
            snapshot = Metadata(Snapshot(expires=_now() + EXPIRY[Snapshot.type]))
        snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
        self._write(snapshot, snapshot_signer or self._signer(Snapshot.type))
        self.sign_timestamp(timestamp_expires, timestamp_signer)

    def sign_timestamp(self, expires: dt.datetime | None = None, signer: CryptoSigner | None = None) -> None:
        """A fresh timestamp; run it from cron well within its expiry or units refuse to update."""
        snapshot = self.load(Snapshot.type)
        try:
            timestamp = self.load(Timestamp.type)
            self._bump(timestamp, expires)
        except FileNotFoundError:
            timestamp = Metadata(Timestamp(expires=expires or _now() + EXPIRY[Timestamp.type]))
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
        self._write(timestamp, signer or self._signer(Timestamp.type))

    def refresh(self) -> list[str]:
        """Re-sign what is about to expire (cron, daily): targets within 30 days of expiry, snapshot
        within 7, the timestamp always. Returns the roles re-signed."""
        now = _now()
        resigned = []
        targets = self.load(Targets.type)
        if targets.signed.expires - now < dt.timedelta(days=30):
            self._bump(targets)
            self._write(targets, self._signer(Targets.type))
            resigned.append(Targets.type)
        snapshot = self.load(Snapshot.type)
        if resigned or snapshot.signed.expires - now < dt.timedelta(days=7):
            self._refresh_snapshot_and_timestamp()
            return [*resigned, Snapshot.type, Timestamp.type]
        self.sign_timestamp()
        return [*resigned, Timestamp.type]

    def add_target(self, local: Path, name: str, custom: dict) -> TargetFile:
        """Publish ``local`` as target ``name`` with signed ``custom`` fields (version, downgrade exception)."""
        info = TargetFile.from_file(name, str(local), ["sha256"])
        info.unrecognized_fields["custom"] = custom
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, self.targets_dir / f"{info.hashes['sha256']}.{name}")
        targets = self.load(Targets.type)
        targets.signed.targets[name] = info
        self._bump(targets)
        self._write(targets, self._signer(Targets.type))
        self._refresh_snapshot_and_timestamp()
        return info

    def target_names(self) -> dict[str, TargetFile]:
        return dict(self.load(Targets.type).signed.targets)

    def rotate(self, role: str) -> None:
        """Replace ``role``'s key: a new root version, signed by the old and new root keys, trusts it.

        Units follow the chain of root versions on their next refresh; nothing to re-provision.
        """
        root_md = self.load(Root.type)
        root = root_md.signed
        old_root_signer = self._signer(Root.type)
        new = self._new_signer()
        for keyid in list(root.roles[role].keyids):
            root.revoke_key(keyid, role)
        root.add_key(new.public_key, role)
        self._bump(root_md)
        if role == Root.type:
            self._write(root_md, old_root_signer, new)
        else:
            self._write(root_md, old_root_signer)
        write_private(self._key_path(role), new.private_bytes)
        if role == Targets.type:
            targets = self.load(Targets.type)
            self._bump(targets)
            self._write(targets, new)
        if role in (Targets.type, Snapshot.type):
            self._refresh_snapshot_and_timestamp()
        elif role == Timestamp.type:
            self.sign_timestamp()

    def export(self, dest: Path) -> None:
        """Copy the served repository (never a key) to ``dest``, e.g. a USB stick."""
        shutil.copytree(self.base / "repo", dest, dirs_exist_ok=True)

    def root_bytes(self) -> bytes:
        """The current root metadata: the trust anchor written onto each new unit."""
        return (self.metadata_dir / "root.json").read_bytes()


def sha256_hex(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
