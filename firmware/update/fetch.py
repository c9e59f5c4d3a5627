"""Getting a release through python-tuf's ngclient: fresh, signed, within limits, resumable.

ngclient refreshes root → timestamp → snapshot → targets with every check TUF defines (signature
thresholds, expiry, version rollback, snapshot consistency, metadata length limits) and follows
root rotations, so new targets/snapshot/timestamp keys need no re-provisioning. The target
itself is fetched here with HTTP range requests so an interrupted download resumes; it is accepted
only when its length and sha256 match the signed targets metadata, and the server is never allowed
to send more than the signed length (endless-data attack).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import urllib3
from packaging.version import InvalidVersion, Version
from tuf.api import exceptions
from tuf.api.metadata import Metadata, Root, TargetFile
from tuf.ngclient import FetcherInterface, Updater, UpdaterConfig
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

CHUNK = 64 * 1024
Progress = Callable[[int, int], None]


class UpdateRefused(Exception):
    """The release cannot be trusted or must not be installed; nothing on the unit changed."""


class DownloadInterrupted(Exception):
    """The network failed mid-way; the partial download is kept and the next attempt resumes it."""


def target_name(version: str) -> str:
    return f"parkvakt-{version}.tar.gz"


class FileFetcher(FetcherInterface):
    """``file://`` repositories: an exported TUF repository on a USB stick."""

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = Path(unquote(urlparse(url).path))
        if not path.is_file():
            raise exceptions.DownloadHTTPError(f"{path} not found", 404)
        return self._chunks(path)

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk


def make_fetcher(repository_url: str) -> FetcherInterface:
    if repository_url.startswith("file://"):
        return FileFetcher()
    return Urllib3Fetcher(app_user_agent="parkvakt-update")


@dataclass(frozen=True)
class Candidate:
    info: TargetFile
    version: str
    allow_downgrade: bool


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise UpdateRefused(f"release version {text!r} is not a version number") from exc


def find_release(
    metadata_dir: Path, repository_url: str, version: str, running: str | None, max_bytes: int
) -> tuple[Updater, Candidate]:
    """Refresh trusted metadata and return the signed description of ``version``.

    Refuses (``UpdateRefused``) expired or badly signed metadata, an unknown release, a target
    larger than ``max_bytes`` and a downgrade the signed targets metadata does not allow.
    """
    updater = Updater(
        metadata_dir=str(metadata_dir),
        metadata_base_url=f"{repository_url}/metadata/",
        target_base_url=f"{repository_url}/targets/",
        fetcher=make_fetcher(repository_url),
        config=UpdaterConfig(app_user_agent="parkvakt-update"),
        bootstrap=None,
    )
    try:
        updater.refresh()
        info = updater.get_targetinfo(target_name(version))
    except exceptions.RepositoryError as exc:
        raise UpdateRefused(f"update metadata rejected: {type(exc).__name__}: {exc}") from exc
    except exceptions.DownloadLengthMismatchError as exc:
        raise UpdateRefused(f"update metadata rejected: longer than allowed: {exc}") from exc
    except exceptions.DownloadError as exc:
        raise DownloadInterrupted(f"update repository unreachable: {exc}") from exc
    if info is None:
        raise UpdateRefused(f"release {version} is not in the signed update repository")
    custom = info.custom if isinstance(info.custom, dict) else {}
    if custom.get("version") != version:
        raise UpdateRefused(f"signed metadata names version {custom.get('version')!r}, not {version}")
    if info.length > max_bytes:
        raise UpdateRefused(f"release {version} is {info.length} bytes, over the limit of {max_bytes}")
    allow_downgrade = custom.get("allow_downgrade") is True
    if running is not None and _version(version) == _version(running):
        raise UpdateRefused(f"release {version} is already running")
    if running is not None and _version(version) < _version(running) and not allow_downgrade:
        raise UpdateRefused(f"refusing downgrade from {running} to {version}: no signed downgrade exception")
    return updater, Candidate(info, version, allow_downgrade)


def _target_url(metadata_dir: Path, repository_url: str, info: TargetFile) -> str:
    root = Metadata[Root].from_file(str(metadata_dir / "root.json")).signed
    path = info.path
    if root.consistent_snapshot:
        folder, sep, base = path.rpartition("/")
        path = f"{folder}{sep}{info.hashes['sha256']}.{base}"
    return f"{repository_url}/targets/{path}"


def _stream(url: str, offset: int) -> tuple[Iterator[bytes], bool]:
    """Chunks from ``offset`` on; the flag says whether the source honoured the offset."""
    if url.startswith("file://"):
        path = Path(unquote(urlparse(url).path))
        if not path.is_file():
            raise UpdateRefused(f"release file missing from repository: {path}")
        f = path.open("rb")
        f.seek(offset)
        return iter(lambda: f.read(CHUNK), b""), True
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    retries = urllib3.Retry(total=3, redirect=5, backoff_factor=0.5)  # CDNs redirect; links blip
    resp = urllib3.request("GET", url, headers=headers, preload_content=False, timeout=30.0, retries=retries)
    if resp.status not in (200, 206):
        raise UpdateRefused(f"download of {url} failed: HTTP {resp.status}")
    return resp.stream(CHUNK), resp.status == 206


def download(
    metadata_dir: Path, repository_url: str, info: TargetFile, dest: Path, progress: Progress | None = None
) -> Path:
    """Download ``info`` to ``dest`` (resuming ``dest.part``) and verify it; idempotent."""
    try:
        with dest.open("rb") as f:
            info.verify_length_and_hashes(f)
        return dest
    except (OSError, exceptions.LengthOrHashMismatchError):
        dest.unlink(missing_ok=True)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if have > info.length:
        have = 0
    try:
        chunks, resumed = _stream(_target_url(metadata_dir, repository_url, info), have)
    except urllib3.exceptions.HTTPError as exc:
        raise DownloadInterrupted(f"update repository unreachable: {exc}") from exc
    if not resumed:
        have = 0
    with part.open("r+b" if have else "wb") as out:
        out.truncate(have)
        out.seek(have)
        try:
            for chunk in chunks:
                have += len(chunk)
                if have > info.length:
                    raise UpdateRefused(f"server sent more than the signed length of {info.length} bytes")
                out.write(chunk)
                out.flush()  # what was received survives a kill and is resumed from
                if progress:
                    progress(have, info.length)
        except urllib3.exceptions.HTTPError as exc:
            why = exc.args[0] if exc.args else exc  # urllib3 wraps the cause in a tuple
            raise DownloadInterrupted(f"download interrupted at {have} bytes: {why}") from exc
        finally:
            out.flush()
            os.fsync(out.fileno())
    try:
        with part.open("rb") as f:
            info.verify_length_and_hashes(f)
    except exceptions.LengthOrHashMismatchError as exc:
        part.unlink(missing_ok=True)
        raise UpdateRefused(f"downloaded release does not match its signed hash: {exc}") from exc
    os.replace(part, dest)
    return dest
