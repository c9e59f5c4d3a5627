"""The update agent: one update driven through persisted states, safe to kill at any instant.

::

    Download ──► ArtifactInstall ──► ArtifactReboot ──► ArtifactCommit ──► Cleanup ──► Idle
       │               │                  ▲   │               │              ▲
       │ refused       │ failed           └───┘ (resumed)     │ unhealthy    │
       └───────────────┴──► ArtifactFailure ◄── ArtifactRollback ◄───────────┘

``<state_dir>/update/state.json`` holds the job and is replaced atomically before each state's
work begins; every state's work is idempotent, so after a kill or power cut ``run()`` redoes the
persisted state and the unit ends on the old or the new release, never neither. ``current`` is
switched only by renaming a symlink over it. Success is reported only after the commit has been
persisted. The loop guard: a release that has failed ``max_attempts`` times is refused, and one
whose restart does not come up within ``max_attempts`` tries is rolled back.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from firmware.config.update import UpdateSection
from firmware.update import fetch, health, install, report
from firmware.update.durable import read_json, write_json

STATES = (
    "Idle",
    "Download",
    "ArtifactInstall",
    "ArtifactReboot",
    "ArtifactCommit",
    "ArtifactRollback",
    "ArtifactFailure",
    "Cleanup",
)
# test-only: pause (sleep until killed) at a named point, e.g. "ArtifactReboot" or "ArtifactReboot.switched"
PAUSE_ENV = "PARKVAKT_UPDATE_TEST_PAUSE_AT"


class UpdateBusy(Exception):
    """Another update is in progress."""


@dataclass(frozen=True)
class Job:
    id: str
    state: str
    version: str
    from_version: str | None
    started_at: float
    restarted_at: float = 0.0
    restarts: int = 0
    outcome: str = ""
    reason: str = ""
    log_excerpt: str = ""


@dataclass
class Persisted:
    job: Job | None = None
    failures: dict[str, int] = field(default_factory=dict)
    last_report: str = ""


class UpdateAgent:
    def __init__(
        self,
        section: UpdateSection,
        state_dir: Path,
        restart: Callable[[], None] | None = None,
        read_log: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.section = section
        self.state_dir = Path(state_dir)
        # shared with the unprivileged daemon: requests in, status and reports out
        self.update_dir = self.state_dir / "update"
        # the agent's own: job state, downloads, trusted metadata
        self.agent_dir = section.agent_dir if section.agent_dir.is_absolute() else self.state_dir / section.agent_dir
        self.metadata_dir = self.agent_dir / section.metadata_dir
        self.install_root = section.install_root
        self.restart = restart or self._run_restart_command
        self.read_log = read_log or self._run_log_command
        self.clock = clock
        self.sleep = sleep
        # jobs whose service restart this process did; a job resumed in ArtifactCommit is not among them
        self._restarted_here: set[str] = set()
        self._final_report: report.UpdateReport | None = None

    # -- persistence ---------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.agent_dir / "state.json"

    def load(self) -> Persisted:
        data = read_json(self.state_file) or {}
        job = data.get("job")
        return Persisted(
            job=Job(**job) if job else None,
            failures=dict(data.get("failures", {})),
            last_report=data.get("last_report", ""),
        )

    def save(self, p: Persisted) -> None:
        write_json(
            self.state_file,
            {"job": asdict(p.job) if p.job else None, "failures": p.failures, "last_report": p.last_report},
        )

    def _enter(self, p: Persisted, state: str, **changes: object) -> Job:
        assert p.job is not None
        p.job = replace(p.job, state=state, **changes)  # type: ignore[arg-type]
        self.save(p)
        report.write_status(self.update_dir, state, p.job.version, self._progress(state))
        self._pause_point(state)
        return p.job

    @staticmethod
    def _progress(state: str) -> float:
        order = {"Download": 0.0, "ArtifactInstall": 0.5, "ArtifactReboot": 0.7, "ArtifactCommit": 0.8}
        return order.get(state, 1.0)

    @staticmethod
    def _pause_point(name: str) -> None:
        if os.environ.get(PAUSE_ENV) == name:
            marker = os.environ.get(PAUSE_ENV + "_MARKER")
            if marker:
                Path(marker).write_text(name)
            while True:
                signal.pause()

    # -- public API ----------------------------------------------------------------------------

    def request(self, version: str, request_id: str | None = None) -> Job:
        """Start an update to ``version`` (run it with :meth:`run`); refuses while one is running."""
        install.check_version(version)
        p = self.load()
        if p.job is not None:
            raise UpdateBusy(f"update to {p.job.version} is in progress ({p.job.state})")
        self._prepare_dirs()
        p.job = Job(
            id=request_id or str(uuid.uuid4()),
            state="Download",
            version=version,
            from_version=install.current_version(self.install_root),
            started_at=self.clock(),
        )
        self.save(p)
        return p.job

    def status(self) -> Persisted:
        return self.load()

    def serve(self) -> report.UpdateReport | None:
        """Finish the update in progress, then every request the daemon left (see ``launch.py``).

        The job is persisted under the request's id before the request file is removed, so a
        kill in between neither loses the request nor runs it twice.
        """
        final = self.run()
        request_file = self.update_dir / report.REQUEST_FILE
        while request_file.exists():
            try:
                wanted = read_json(request_file)
                version, request_id = str(wanted["version"]), str(wanted["id"])
                install.check_version(version)
            except (ValueError, TypeError, KeyError, OSError, install.InstallError) as exc:
                request_file.unlink(missing_ok=True)
                raise ValueError(f"update request {request_file} refused: {exc}") from exc
            if request_id != self.load().last_report:
                self.request(version, request_id)
            request_file.unlink(missing_ok=True)
            final = self.run() or final
        return final

    def _prepare_dirs(self) -> None:
        """The agent's folder is its own (0700); the shared folder belongs to the state dir's owner
        (the unprivileged daemon), which writes requests and removes the reports it published."""
        self.agent_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        reports = report.reports_dir(self.update_dir)
        reports.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = self.state_dir.stat()
            for folder in (self.update_dir, reports):
                os.chown(folder, owner.st_uid, owner.st_gid)

    def run(self) -> report.UpdateReport | None:
        """Drive the persisted job to the end; returns its report, or ``None`` when idle."""
        handlers: dict[str, Callable[[Persisted], None]] = {
            "Download": self._download,
            "ArtifactInstall": self._artifact_install,
            "ArtifactReboot": self._artifact_reboot,
            "ArtifactCommit": self._artifact_commit,
            "ArtifactRollback": self._artifact_rollback,
            "ArtifactFailure": self._artifact_failure,
            "Cleanup": self._cleanup,
        }
        p = self.load()
        if p.job is None:
            return None
        while p.job is not None:
            handlers[p.job.state](p)
        return self._final_report

    # -- states --------------------------------------------------------------------------------

    def _artifact_path(self, job: Job) -> Path:
        return self.agent_dir / "downloads" / fetch.target_name(job.version)

    def _download(self, p: Persisted) -> None:
        job = self._enter(p, "Download")
        if p.failures.get(job.version, 0) >= self.section.max_attempts:
            self._enter(p, "Cleanup", outcome="refused", reason=f"release {job.version} already failed "
                        f"{p.failures[job.version]} times; not trying it again")  # fmt: skip
            return
        try:
            _, candidate = fetch.find_release(
                self.metadata_dir,
                self.section.repository_url,
                job.version,
                job.from_version,
                self.section.max_target_bytes,
            )

            shown = [-1.0]

            def progress(have: int, total: int) -> None:
                # every 2 %: each status write is fsync'd, and SD cards wear
                if have == total or have / total - shown[0] >= 0.02:
                    shown[0] = have / total
                    report.write_status(
                        self.update_dir, "Download", job.version, 0.5 * have / total, f"{have}/{total} B"
                    )
                if have >= min(total, fetch.CHUNK):
                    self._pause_point("Download.partial")

            fetch.download(
                self.metadata_dir, self.section.repository_url, candidate.info, self._artifact_path(job), progress
            )
        except fetch.UpdateRefused as exc:
            self._enter(p, "Cleanup", outcome="refused", reason=str(exc))
            return
        except fetch.DownloadInterrupted as exc:
            self._enter(p, "Cleanup", outcome="failed", reason=str(exc))
            return
        except OSError as exc:  # full disk, read-only file system
            shutil.rmtree(self._artifact_path(job).parent, ignore_errors=True)
            self._enter(p, "Cleanup", outcome="failed", reason=f"cannot store the download: {exc.strerror or exc}")
            return
        self._enter(p, "ArtifactInstall")

    def _artifact_install(self, p: Persisted) -> None:
        job = self._enter(p, "ArtifactInstall")
        try:
            install.install_release(self.install_root, self._artifact_path(job), job.version)
        except install.InstallError as exc:
            self._enter(p, "ArtifactFailure", outcome="failed", reason=f"install failed: {exc}")
            return
        except OSError as exc:  # full disk while unpacking or building the virtualenv
            install.remove_release(self.install_root, job.version)
            self._enter(p, "ArtifactFailure", outcome="failed", reason=f"install failed: {exc.strerror or exc}")
            return
        self._enter(p, "ArtifactReboot")

    def _artifact_reboot(self, p: Persisted) -> None:
        assert p.job is not None
        restarts = p.job.restarts + 1
        if restarts > self.section.max_attempts:
            reason = f"release {p.job.version} did not come up healthy after {p.job.restarts} restarts"
            self._enter(p, "ArtifactRollback", reason=reason, log_excerpt=self._log_excerpt())
            return
        job = self._enter(p, "ArtifactReboot", restarts=restarts, restarted_at=self.clock())
        health.clear(self.state_dir)
        install.switch_current(self.install_root, job.version)
        self._pause_point("ArtifactReboot.switched")
        try:
            self.restart()
        except Exception as exc:
            self._enter(p, "ArtifactRollback", reason=f"restart failed: {exc}", log_excerpt=self._log_excerpt())
            return
        self._restarted_here.add(job.id)
        self._enter(p, "ArtifactCommit")

    def _artifact_commit(self, p: Persisted) -> None:
        job = self._enter(p, "ArtifactCommit")
        verdict = health.judge(self.state_dir, job.version, job.restarted_at)
        if not verdict.final and job.id not in self._restarted_here:
            # the agent was interrupted while waiting: restart the new release and wait afresh
            self._enter(p, "ArtifactReboot")
            return
        if not verdict.final:
            verdict = health.wait_healthy(
                self.state_dir, job.version, job.restarted_at, self.section.health_deadline_s, sleep=self.sleep
            )
        if verdict.healthy:
            self._enter(p, "Cleanup", outcome="success", reason=verdict.reason)
            return
        self._enter(p, "ArtifactRollback", reason=verdict.reason, log_excerpt=self._log_excerpt())

    def _artifact_rollback(self, p: Persisted) -> None:
        job = self._enter(p, "ArtifactRollback")
        old = job.from_version
        if not (old and install.is_installed(self.install_root, old)):
            self._enter(
                p, "ArtifactFailure", outcome="failed", reason=f"{job.reason}; no previous release to go back to"
            )
            return
        health.clear(self.state_dir)
        install.switch_current(self.install_root, old)
        since = self.clock()
        try:
            self.restart()
        except Exception as exc:
            self._enter(
                p, "ArtifactFailure", outcome="rolled_back", reason=f"{job.reason}; restarting {old} failed too: {exc}"
            )
            return
        # the report must be true: say so when the old release does not come back healthy either
        verdict = health.wait_healthy(self.state_dir, old, since, self.section.health_deadline_s, sleep=self.sleep)
        reason = (
            job.reason
            if verdict.healthy
            else f"{job.reason}; after the rollback {old} is not healthy either: {verdict.reason}"
        )
        self._enter(p, "ArtifactFailure", outcome="rolled_back", reason=reason)

    def _artifact_failure(self, p: Persisted) -> None:
        job = self._enter(p, "ArtifactFailure")
        failures = dict(p.failures)
        failures[job.version] = failures.get(job.version, 0) + 1
        p.failures = failures
        self._enter(p, "Cleanup")

    def _cleanup(self, p: Persisted) -> None:
        job = self._enter(p, "Cleanup")
        running = install.current_version(self.install_root)
        if job.outcome == "success":
            message = f"updated from {job.from_version} to {job.version}"
        elif job.outcome == "rolled_back":
            message = f"rolled back from {job.version} to {running} because {job.reason}"
        elif job.outcome == "refused":
            message = f"update to {job.version} refused: {job.reason}"
        else:
            message = f"update to {job.version} failed: {job.reason}"
        final = report.UpdateReport(
            id=job.id,
            outcome=job.outcome,
            version=job.version,
            running=running,
            message=message,
            reason=job.reason,
            log_excerpt=job.log_excerpt,
            at=self.clock(),
        )
        report.save_report(self.update_dir, final)
        self._final_report = final
        artifact = self._artifact_path(job)
        if job.outcome != "failed" or not artifact.with_name(artifact.name + ".part").exists():
            shutil.rmtree(artifact.parent, ignore_errors=True)
        if job.outcome in ("rolled_back", "failed"):
            install.remove_release(self.install_root, job.version)
        install.prune(self.install_root, {v for v in (job.from_version, running) if v}, self.section.keep_releases)
        p.job = None
        p.last_report = job.id
        self.save(p)
        report.write_status(self.update_dir, "Idle", job.version, 1.0, message)

    # -- production defaults -------------------------------------------------------------------

    def _run_restart_command(self) -> None:
        subprocess.run(self.section.restart_command, check=True, timeout=120, capture_output=True)

    def _run_log_command(self) -> str:
        try:
            done = subprocess.run(self.section.log_command, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"(no log: {exc})"
        return done.stdout[-4000:]

    def _log_excerpt(self) -> str:
        try:
            return self.read_log()[-4000:]
        except Exception as exc:
            return f"(no log: {exc})"
