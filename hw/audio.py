"""Voice warnings through ALSA: WAV clips piped to ``aplay``, the amplifier on only while playing.

Volume is applied to the samples here (16-bit PCM), so it needs no mixer control and works the
same on every sound card. One playback at a time; a request while playing is dropped (counted),
since the clip already playing says the same thing. Playback is cut after ``max_s`` seconds.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

VOICES_DIR = Path(__file__).resolve().parent / "voices"
AMPLIFIER_WARMUP_S = 0.15
DEFAULT_COMMAND: tuple[str, ...] = ("aplay", "-q")


def resolve_clip(ref: str) -> Path:
    """A bundled clip name (``warning_sv``) or a path to a WAV file."""
    if "/" in ref or ref.endswith(".wav"):
        return Path(ref)
    return VOICES_DIR / f"{ref}.wav"


def scaled_wav(path: Path, volume: float) -> bytes:
    """The clip as WAV bytes with its samples multiplied by ``volume`` (0..1)."""
    with wave.open(str(path), "rb") as src:
        params = src.getparams()
        frames = src.readframes(params.nframes)
    if params.sampwidth != 2:
        raise ValueError(f"{path}: only 16-bit PCM WAV is supported, not {8 * params.sampwidth}-bit")
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) * volume
    out = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(out)
    return buf.getvalue()


@dataclass(slots=True)
class AudioStats:
    played: int = 0
    dropped_busy: int = 0
    errors: int = 0
    last_error: str | None = None
    errors_by_reason: dict[str, int] = field(default_factory=dict)

    def error(self, reason: str, message: str) -> None:
        self.errors += 1
        self.last_error = message
        self.errors_by_reason[reason] = self.errors_by_reason.get(reason, 0) + 1


class AudioPlayer:
    def __init__(
        self,
        *,
        amplifier_on: Callable[[], object] = lambda: None,
        amplifier_off: Callable[[], object] = lambda: None,
        command: Sequence[str] = DEFAULT_COMMAND,
        device: str | None = None,
        volume: float = 0.8,
        max_s: float = 120.0,
        warmup_s: float = AMPLIFIER_WARMUP_S,
    ) -> None:
        self._amp_on = amplifier_on
        self._amp_off = amplifier_off
        self.command = list(command) + (["-D", device] if device else [])
        self.volume = volume
        self.max_s = max_s
        self.warmup_s = warmup_s
        self.stats = AudioStats()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def play(self, clips: Sequence[str | Path]) -> bool:
        """Start playing ``clips`` in the background; False when busy or nothing playable."""
        with self._lock:
            if self.playing:
                self.stats.dropped_busy += 1
                return False
            self._thread = threading.Thread(target=self._run, args=(list(clips),), name="audio", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, clips: list[str | Path]) -> None:
        deadline = time.monotonic() + self.max_s
        try:
            self._amp_on()
            time.sleep(self.warmup_s)
            for clip in clips:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.stats.error("max_time", f"playback cut after {self.max_s:.0f} s")
                    break
                self._play_one(resolve_clip(str(clip)), remaining)
        finally:
            self._amp_off()

    def _play_one(self, path: Path, timeout: float) -> None:
        try:
            data = scaled_wav(path, self.volume)
        except FileNotFoundError:
            self.stats.error("missing_clip", f"voice clip {path} does not exist")
            return
        except (OSError, EOFError, ValueError, wave.Error) as exc:
            self.stats.error("bad_clip", f"voice clip {path} is not a usable WAV: {exc}")
            return
        try:
            proc = subprocess.run([*self.command, "-"], input=data, capture_output=True, timeout=timeout, check=False)
        except FileNotFoundError:
            self.stats.error("no_player", f"{self.command[0]} is not installed (apt install alsa-utils)")
            return
        except subprocess.TimeoutExpired:
            self.stats.error("max_time", f"playback of {path.name} cut after {self.max_s:.0f} s")
            return
        if proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip() or f"exit {proc.returncode}"
            self.stats.error("player_failed", f"{self.command[0]} failed on {path.name}: {message}")
            return
        self.stats.played += 1
