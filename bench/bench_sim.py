"""How fast the simulator renders: can a day of nuisance be made in minutes on one core?

    taskset -c 0 .venv/bin/python bench/bench_sim.py [--seconds 3600] [--repeat 3]

Renders ``--seconds`` of each named scenario at 8 Hz (frames only, as SimSource and the suite
do), median of ``--repeat`` runs, and extrapolates the nuisance rate to 24 simulated hours
(691,200 frames). Also: ground truth on (what a training loop pays), 80×60 and 160×120.
Baseline in the same run: only drawing the per-pixel Gaussian noise of the same frames (one
float32 normal per pixel), the floor any simulator with per-frame sensor noise has to pay.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from hw.sim import SCENARIOS, Scenario

FPS = 8.0
DAY_FRAMES = int(24 * 3600 * FPS)


def frames_per_s(
    name: str, seconds: float, repeat: int, *, shape: tuple[int, int] = (24, 32), truth: bool = False
) -> float:
    rates = []
    for r in range(repeat):
        sc = Scenario(name, seed=1000 + r, shape=shape)
        t0 = time.perf_counter()
        n = sum(len(c.frames) for c in sc.chunks(seconds, fps=FPS, with_truth=truth))
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def noise_floor(seconds: float, repeat: int, shape: tuple[int, int] = (24, 32)) -> float:
    rng = np.random.default_rng(0)
    n = int(seconds * FPS)
    chunk = max(16, (1 << 20) // (shape[0] * shape[1]))
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for start in range(0, n, chunk):
            rng.standard_normal((min(chunk, n - start), *shape), dtype=np.float32)
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3600.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    s, k = args.seconds, args.repeat
    print("| case | frames/s | 24 h of 8 Hz frames takes |")
    print("|---|---:|---:|")
    rows = [("nuisance 32×24 (frames only)", frames_per_s("nuisance", s, k))]
    rows += [
        (f"{name} 32×24", frames_per_s(name, min(s, spec.length_s), k))
        for name, spec in SCENARIOS.items()
        if name != "nuisance"
    ]
    rows += [
        ("people-and-cars 32×24 with per-frame ground truth", frames_per_s("people-and-cars", 600.0, k, truth=True)),
        ("nuisance 80×60", frames_per_s("nuisance", s / 4, k, shape=(60, 80))),
        ("nuisance 160×120", frames_per_s("nuisance", s / 16, k, shape=(120, 160))),
        ("baseline, same run: float32 Gaussian noise only, 32×24", noise_floor(s, k)),
    ]
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} | {DAY_FRAMES / rate / 60:.1f} min |")


if __name__ == "__main__":
    main()
