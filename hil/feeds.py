"""What the rig plays into the unit's UART: simulator scenarios or recordings, trimmed to the action.

The rig sends frames at the sensor's real rate, so a 10-minute scenario would cost 10 minutes;
a feed keeps a lead-in (for the unit's background model to settle) before the labelled event.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw.recording import LabelEvent, Recording, load_labels, load_recording, save_labels, save_recording


@dataclass(frozen=True)
class Feed:
    path: Path
    labels: list[LabelEvent]
    duration: float
    fps: float

    def first(self, kind: str) -> LabelEvent | None:
        found = [e for e in self.labels if e.type == kind]
        return min(found, key=lambda e: e.start) if found else None


def simulate(name: str, *, seed: int, seconds: float, workdir: Path) -> Path:
    out = workdir / f"{name}-{seed}.npz"
    if not out.exists():
        subprocess.run(
            [sys.executable, "-m", "firmware.cli", "sim", name, "--seconds", str(seconds), "--seed", str(seed)]
            + ["--out", str(out)],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    return out


def trimmed(path: Path, *, around: str | None, lead_s: float, tail_s: float, out: Path) -> Feed:
    """Cut ``path`` to ``lead_s`` before the first ``around`` label and ``tail_s`` after it."""
    rec = load_recording(path)
    labels = load_labels(path) or []
    t = rec.timestamps
    start, end = 0.0, float(t[-1])
    anchor = next((e for e in sorted(labels, key=lambda e: e.start) if e.type == around), None)
    if anchor is not None:
        start = max(0.0, anchor.start - lead_s)
        end = min(end, anchor.start + tail_s)
    else:
        end = min(end, lead_s + tail_s)
    keep = (t >= start) & (t <= end)
    cut = Recording(
        frames=rec.frames[keep],
        timestamps=t[keep] - t[keep][0],
        ambient=rec.ambient[keep] if rec.ambient is not None else None,
        meta={**rec.meta, "trimmed_from": str(path), "offset_s": float(t[keep][0])},
    )
    offset = float(t[keep][0])
    shifted = [
        LabelEvent(e.type, max(0.0, e.start - offset), None if e.end is None else e.end - offset, e.ignore)
        for e in labels
        if (e.end is None or e.end > start) and e.start < end
    ]
    save_recording(out, cut)
    save_labels(out, shifted)
    fps = float((len(cut.timestamps) - 1) / cut.timestamps[-1]) if cut.timestamps[-1] > 0 else 8.0
    return Feed(out, shifted, float(cut.timestamps[-1]), fps)


def scenario_feed(
    name: str,
    workdir: Path,
    *,
    seed: int = 1001,
    seconds: float = 240,
    around: str | None = None,
    lead_s: float = 20.0,
    tail_s: float = 20.0,
) -> Feed:
    full = simulate(name, seed=seed, seconds=seconds, workdir=workdir)
    return trimmed(full, around=around, lead_s=lead_s, tail_s=tail_s, out=workdir / f"{name}-{seed}-feed.npz")


def constant_feed(workdir: Path, *, seconds: float, temperature: float = 12.0, fps: float = 8.0) -> Feed:
    """An empty, steady scene with sensor noise: for tests about wires and links, not detection."""
    n = int(seconds * fps)
    rng = np.random.default_rng(7)
    frames = (temperature + rng.normal(0, 0.15, (n, 24, 32))).astype(np.float32)
    out = workdir / f"constant-{seconds:g}.npz"
    save_recording(out, Recording(frames=frames, timestamps=np.arange(n) / fps, meta={"sensor": "rig-constant"}))
    save_labels(out, [])
    return Feed(out, [], seconds, fps)
