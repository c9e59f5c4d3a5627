"""Write the detection evaluation suite: every scenario on held-out seeds, plus a day of nuisance.

    python -m hw.sim.suite OUTDIR [--seeds 1000-1005] [--nuisance-hours 24] [--jobs 2] [--relabel]

**Seeds below 1000 are for training, 1000 and above for evaluation.** The suite uses only
evaluation seeds, so a model trained on seeds < 1000 is never scored on a scene it has seen.
Each recording is ``OUTDIR/<scenario>-<seed>.npz`` with its ``.labels.json``; nuisance hours
are ``nuisance-<seed>.npz`` (one simulated hour each, labels empty: any detection there is a
false alarm). ``OUTDIR/suite.json`` indexes them all. Existing files are kept (resumable).
``--relabel`` rewrites the labels of the recordings already there by the current label rule,
without rendering them again (seconds for a suite rather than minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from hw.recording import load_labels, save_labels, save_recording
from hw.sim.scenario import Scenario
from hw.sim.scenarios import SCENARIOS

EVALUATION_SEEDS_START = 1000
NUISANCE = "nuisance"


@dataclass(frozen=True, slots=True)
class Job:
    scenario: str
    seed: int
    seconds: float
    shape: tuple[int, int]
    fps: float

    @property
    def filename(self) -> str:
        return f"{self.scenario}-{self.seed}.npz"


def parse_seeds(spec: str) -> list[int]:
    """``"1000-1005"`` or ``"1000,1003,1010"`` → seeds; refuses training seeds (< 1000)."""
    seeds: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    if not seeds or min(seeds) < EVALUATION_SEEDS_START:
        raise ValueError(f"evaluation seeds must be >= {EVALUATION_SEEDS_START}, got {spec!r}")
    return seeds


def plan(seeds: list[int], nuisance_hours: float, shape: tuple[int, int], fps: float) -> list[Job]:
    jobs = [
        Job(name, seed, spec.length_s, shape, fps)
        for name, spec in SCENARIOS.items()
        if name != NUISANCE
        for seed in seeds
    ]
    hour = SCENARIOS[NUISANCE].length_s
    full, rest = divmod(nuisance_hours * 3600.0, hour)
    lengths = [hour] * int(full) + ([rest] if rest >= 1.0 else [])
    first = min(seeds, default=EVALUATION_SEEDS_START)  # another seed range gets other nuisance hours too
    jobs += [Job(NUISANCE, first + i, s, shape, fps) for i, s in enumerate(lengths)]
    return jobs


def write_one(job: Job, outdir: Path, relabel: bool = False) -> dict[str, object]:
    path = outdir / job.filename
    kept = path.exists() and load_labels(path) is not None
    if kept and not relabel:
        labels = load_labels(path) or []
    else:
        sc = Scenario(job.scenario, seed=job.seed, shape=job.shape)
        labels = sc.labels(job.seconds, fps=job.fps)
        if not kept:
            save_recording(path, sc.recording(job.seconds, fps=job.fps))
        save_labels(path, labels)
    return {**asdict(job), "file": job.filename, "events": [e.type for e in labels]}


def write_suite(
    outdir: Path,
    seeds: list[int],
    nuisance_hours: float,
    *,
    shape: tuple[int, int] = (24, 32),
    fps: float = 8.0,
    jobs: int = 1,
    relabel: bool = False,
) -> list[dict[str, object]]:
    outdir.mkdir(parents=True, exist_ok=True)
    work = plan(seeds, nuisance_hours, shape, fps)
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            index = list(pool.map(write_one, work, [outdir] * len(work), [relabel] * len(work)))
    else:
        index = [write_one(j, outdir, relabel) for j in work]
    body = {"seeds": "evaluation (>= 1000)", "shape": list(shape), "fps": fps, "recordings": index}
    tmp = outdir / "suite.json.tmp"
    tmp.write_text(json.dumps(body, indent=1) + "\n")
    os.replace(tmp, outdir / "suite.json")
    return index


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hw.sim.suite", description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--seeds", default="1000-1005", help="evaluation seeds, e.g. 1000-1005 or 1000,1007")
    ap.add_argument("--nuisance-hours", type=float, default=24.0)
    ap.add_argument("--shape", default="24x32", help="HxW")
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 1)))
    ap.add_argument("--relabel", action="store_true", help="rewrite the labels of recordings already written")
    args = ap.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
        h, w = (int(v) for v in args.shape.lower().split("x"))
        index = write_suite(
            args.outdir, seeds, args.nuisance_hours, shape=(h, w), fps=args.fps, jobs=args.jobs, relabel=args.relabel
        )
    except (ValueError, OSError) as exc:
        print(f"suite: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    hours = sum(float(r["seconds"]) for r in index) / 3600.0  # type: ignore[arg-type]
    print(f"suite: {len(index)} recordings, {hours:.1f} simulated hours in {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
