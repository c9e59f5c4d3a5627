"""How much each labelled person stands out in their frames, how big they show, and recall by both.

    python -m hw.sim.contrast EVAL.json SUITE_DIR [--jobs 2]

``EVAL.json`` is ``parkvakt eval SUITE_DIR --json``. For every person label of a simulated
recording, the frames of its interval are rendered again without each person in view (same seed,
same sensor noise), and the largest change that person makes to any pixel is the frame's contrast;
a label's contrast is the median over its frames. A person reading within a degree or so of what
is behind them (warm asphalt, rain, a wall in the sun) is barely there for any thermal sensor,
whatever the detector; 0 means the frames show nobody, which is a labelling fault. A label's size is
the median, over the same frames, of the pixels' worth of that person in view: a person under two
pixels is a speck to any detector (a cat on warm ground makes one as easily).

Prints one JSON line per person label, then recall per contrast band and per size band, to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from hw.recording import load_recording
from hw.sim.render import geometry, render_chunk
from hw.sim.scenario import Scenario

LOW_C = 1.5  # the summary's contrast bands: under this, up to CLEAR_C, and above
CLEAR_C = 3.0
SIZE_BANDS_PX = (2.0, 4.0)  # the summary's size bands: under 2 px, 2–4 px, 4 px or more


@dataclass(frozen=True, slots=True)
class LabelContrast:
    recording: str
    start: float
    end: float
    detected: bool
    contrast_c: float
    visible_px: float


def frame_contrasts(sc: Scenario, start_s: float, end_s: float, fps: float, frames: int) -> list[tuple[float, float]]:
    """For each frame of ``[start_s, end_s]`` and each labelled, visible person in it, the largest
    change (°C) that person makes to any pixel and the pixels' worth of them in view; rendered in
    the blocks the recording was rendered in."""
    first, last = round(start_s * fps), min(frames - 1, round(end_s * fps))
    out: list[tuple[float, float]] = []
    for c, idx in sc.blocks(frames, first // sc.chunk_frames):
        if idx[0] > last:
            break
        t = idx / fps
        geo = geometry(sc.scene, t)
        shown = geo.labelled & geo.visible_mask([o.cls for o in sc.scene.objects])
        inside = (idx >= first) & (idx <= last)
        people = [k for k, o in enumerate(sc.scene.objects) if o.cls == "person" and (shown[k] & inside).any()]
        if not people:
            continue
        with_all, *_ = render_chunk(sc.scene, t, sc.noise(c))
        for k in people:
            others = [o for j, o in enumerate(sc.scene.objects) if j != k]
            scene = dataclasses.replace(sc.scene, objects=others, _fractions=None, _range=None, _fixed=None)
            without, *_ = render_chunk(scene, t, sc.noise(c))
            on = shown[k] & inside
            peaks = np.abs(with_all[on] - without[on]).reshape(int(on.sum()), -1).max(axis=1)
            out += zip(peaks.tolist(), geo.visible_area[k][on].tolist(), strict=True)
    return out


def recording_contrasts(path: Path, labels: list[dict[str, Any]]) -> list[LabelContrast]:
    """One :class:`LabelContrast` per person label (``parkvakt eval --json`` label dicts)."""
    rec = load_recording(path)
    if "scenario" not in rec.meta or "seed" not in rec.meta:
        raise ValueError(f"{path}: not a simulated recording (its meta names no scenario and seed)")
    fps = float(rec.meta["fps"])
    shape = (int(rec.frames.shape[1]), int(rec.frames.shape[2]))
    sc = Scenario(str(rec.meta["scenario"]), seed=int(rec.meta["seed"]), shape=shape)
    out = []
    for lb in labels:
        seen = np.array(frame_contrasts(sc, float(lb["start"]), float(lb["end"]), fps, len(rec.frames)))
        contrast, px = (round(float(v), 2) for v in np.median(seen, axis=0)) if len(seen) else (0.0, 0.0)
        out.append(LabelContrast(path.stem, float(lb["start"]), float(lb["end"]), bool(lb["detected"]), contrast, px))
    return out


def band(contrast_c: float) -> str:
    if contrast_c == 0.0:
        return "nobody in the frames"
    if contrast_c < LOW_C:
        return f"under {LOW_C:g} °C"
    return f"{LOW_C:g}–{CLEAR_C:g} °C" if contrast_c < CLEAR_C else f"{CLEAR_C:g} °C or more"


def size_band(px: float) -> str:
    small, large = SIZE_BANDS_PX
    if px < small:
        return f"under {small:g} px"
    return f"{small:g}–{large:g} px" if px < large else f"{large:g} px or more"


def recall_by(
    rows: list[LabelContrast], value: Callable[[LabelContrast], float], name: Callable[[float], str]
) -> dict[str, tuple[int, int]]:
    """Per band of ``value`` (``name`` names it), lowest first: (people found, people labelled)."""
    out: dict[str, tuple[int, int]] = {}
    for r in sorted(rows, key=value):
        key = name(value(r))
        found, total = out.get(key, (0, 0))
        out[key] = (found + r.detected, total + 1)
    return out


def _work(report: dict[str, Any], suite: Path) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    for r in report["recordings"]:
        people = [lb for lb in r["labels"] if lb["type"] == "person"]
        if people:
            yield suite / f"{r['name']}.npz", people


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hw.sim.contrast", description=__doc__.split("\n\n")[0])
    ap.add_argument("report", type=Path, help="parkvakt eval SUITE --json output")
    ap.add_argument("suite", type=Path, help="the suite's folder of recordings")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    work = list(_work(json.loads(args.report.read_text()), args.suite))
    try:
        with ProcessPoolExecutor(max(1, args.jobs)) as pool:
            parts = list(pool.map(recording_contrasts, [p for p, _ in work], [lbs for _, lbs in work]))
    except (ValueError, OSError) as exc:
        print(f"contrast: {exc}", file=sys.stderr)
        return 2
    rows = [row for part in parts for row in part]
    for row in rows:
        print(json.dumps(dataclasses.asdict(row)))
    by_contrast = recall_by(rows, attrgetter("contrast_c"), band)
    by_size = recall_by([r for r in rows if r.visible_px > 0], attrgetter("visible_px"), size_band)
    for name, (found, total) in [*by_contrast.items(), *by_size.items()]:
        print(f"{name}: {found}/{total} found ({100.0 * found / total:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
