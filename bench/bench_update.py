"""What a secure update costs on top of a plain download: TUF refresh, verified resumable download.

    .venv/bin/python bench/bench_update.py [--mb 64] [--repeat 3]

A site repository (python-tuf Metadata API, ECDSA keys, consistent snapshots) is served by
``http.server`` on localhost. Measured, median of ``--repeat`` runs:

* refresh: a fresh unit (only root.json) refreshes timestamp, snapshot and targets and looks the
  release up (``fetch.find_release``);
* verified download: ``fetch.download`` of an ``--mb`` MB target (range-capable streaming to disk,
  flush per chunk, fsync, length and SHA-256 checked against the signed metadata);
* baseline, same run: the same file fetched with a bare urllib3 GET into a file, nothing checked.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import urllib3

from firmware.update import fetch
from provisioning.tuf_repo import SiteRepository


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def fresh_unit(repo: SiteRepository, work: Path) -> Path:
    metadata = work / f"unit-{time.monotonic_ns()}"
    metadata.mkdir()
    shutil.copyfile(repo.metadata_dir / "1.root.json", metadata / "root.json")
    return metadata


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        work = Path(tmp)
        repo = SiteRepository.create(work / "site" / "tuf")
        artifact = work / "parkvakt-2.0.0.tar.gz"
        artifact.write_bytes(os.urandom(args.mb * 1024 * 1024))
        repo.add_target(artifact, artifact.name, {"version": "2.0.0"})
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(repo.base / "repo")))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        refresh_ms, verified_mbs, baseline_mbs = [], [], []
        for _ in range(args.repeat):
            metadata = fresh_unit(repo, work)
            t0 = time.perf_counter()
            _, candidate = fetch.find_release(metadata, url, "2.0.0", "1.0.0", 1 << 40)
            refresh_ms.append((time.perf_counter() - t0) * 1000)

            dest = work / "dl" / artifact.name
            t0 = time.perf_counter()
            fetch.download(metadata, url, candidate.info, dest)
            verified_mbs.append(args.mb / (time.perf_counter() - t0))
            dest.unlink()

            plain = work / "plain.bin"
            stored = next(repo.targets_dir.glob("*.parkvakt-2.0.0.tar.gz")).name
            t0 = time.perf_counter()
            resp = urllib3.request("GET", f"{url}/targets/{stored}", preload_content=False)
            with plain.open("wb") as out:
                for chunk in resp.stream(fetch.CHUNK):
                    out.write(chunk)
            baseline_mbs.append(args.mb / (time.perf_counter() - t0))
            plain.unlink()
        server.shutdown()
    print(f"TUF refresh + lookup, fresh unit: {statistics.median(refresh_ms):.1f} ms")
    print(f"verified download, {args.mb} MB: {statistics.median(verified_mbs):.0f} MB/s")
    print(f"baseline, bare GET to file, same run: {statistics.median(baseline_mbs):.0f} MB/s")


if __name__ == "__main__":
    main()
