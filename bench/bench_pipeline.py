"""Per-frame cost of the whole detection pipeline, model included, against a bare OpenCV baseline.

    taskset -c 0 .venv/bin/python bench/bench_pipeline.py [--seconds 60] [--profile]
    .venv/bin/python bench/bench_pipeline.py --memory      # steady RSS of the pipeline alone

Frames come from the simulator's busy-lot scenario (people and cars, seed 1000) rendered at
32×24, 80×60 and 160×120, plus hand-built frames with 0–16 people walking for the growth with
the number of tracks. Every case runs the pipeline from ``build_pipeline`` with the bundled
model over the frames once to warm up, then times each ``process`` call. The baseline, in the
same run on the same frames, is the motion stage of popular NVR software: Gaussian blur, absdiff
against a running average, threshold, dilate, find contours (OpenCV). Steady memory is the
process RSS after all cases with the model loaded.

The code measured is the ``firmware`` package Python imports, named on the first line printed.
The editable install in ``.venv`` points at the checkout it was made from, whatever directory
this is started in: to measure another checkout (a worktree at an older commit, say), set
``PYTHONPATH`` to it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path

import numpy as np

import firmware.config
from firmware.config.detection import DetectionSection
from firmware.pipeline import DetectionPipeline, build_pipeline, load_model_for
from hw.frame import ThermalFrame

FPS = 8.0


def sim_frames(shape: tuple[int, int], seconds: float) -> np.ndarray:
    from hw.sim.scenario import Scenario

    return Scenario("people-and-cars", seed=1000, shape=shape).recording(seconds, fps=FPS).frames


def walkers(shape: tuple[int, int], people: int, seconds: float) -> np.ndarray:
    """A flat 10 °C scene with ``people`` 8 °C-warm walkers on separate lanes, crossing back and forth."""
    return np.stack([walker_frame(shape, people, i) for i in range(int(seconds * FPS))])


def walker_frame(shape: tuple[int, int], people: int, i: int) -> np.ndarray:
    """Frame ``i`` of :func:`walkers`, made on its own so the memory benchmark holds no frames.

    The sensor noise (σ ≈ 0.15 °C) is a sine hash rather than ``numpy.random``, whose first use
    alone adds 7 MB to a process that a unit's daemon never imports it into."""
    h, w = shape
    cells = np.arange(h * w, dtype=np.float64).reshape(h, w)
    noise = np.modf(np.abs(np.sin(cells * 12.9898 + i * 78.233)) * 43758.5453)[0] - 0.5
    out = (10.0 + 0.52 * noise).astype(np.float32)
    ph, pw = max(2, h // 6), max(1, w // 24)
    lanes = np.linspace(ph, h - 1, max(people, 1)).astype(int)
    for k in range(people):
        speed = 1.0 + 0.1 * k
        x = int((i / FPS * speed * w / 16 + k * 3) % (2 * (w - pw)))
        x = x if x < w - pw else 2 * (w - pw) - x
        foot = lanes[k]
        out[max(0, foot - ph) : foot, x : x + pw] += 8.0
    return out


def run_pipeline(frames: np.ndarray) -> list[float]:
    """Per-frame µs of ``process`` over the frames (after one warm-up pass on a fresh pipeline)."""
    config = firmware.config.parse_config({"unit": {"id": "bench"}})
    warm = build_pipeline(config)
    for i, px in enumerate(frames):
        warm.process(ThermalFrame(px, i / FPS, i))
    pipeline = build_pipeline(config)
    times: list[float] = []
    for i, px in enumerate(frames):
        frame = ThermalFrame(px, i / FPS, i)
        t0 = time.perf_counter_ns()
        pipeline.process(frame)
        times.append((time.perf_counter_ns() - t0) / 1000.0)
    return times


def run_opencv(frames: np.ndarray) -> list[float]:
    import cv2

    avg: np.ndarray | None = None
    times: list[float] = []
    kernel = np.ones((3, 3), np.uint8)
    for px in frames:
        t0 = time.perf_counter_ns()
        blur = cv2.GaussianBlur(px, (3, 3), 0)
        if avg is None:
            avg = blur.copy()
        cv2.accumulateWeighted(blur, avg, 0.05)
        delta = cv2.absdiff(blur, avg)
        _, mask = cv2.threshold(delta, 1.5, 255, cv2.THRESH_BINARY)
        mask = cv2.dilate(mask.astype(np.uint8), kernel, iterations=1)
        cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        times.append((time.perf_counter_ns() - t0) / 1000.0)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def profile(frames: np.ndarray, top: int = 14) -> str:
    pipeline: DetectionPipeline = build_pipeline(firmware.config.parse_config({"unit": {"id": "bench"}}))
    prof = cProfile.Profile()
    prof.enable()
    for i, px in enumerate(frames):
        pipeline.process(ThermalFrame(px, i / FPS, i))
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def memory(seconds: float) -> None:
    """RSS step by step in this fresh process: nothing but the pipeline (no simulator, no OpenCV).

    The pipeline is built as ``build_pipeline`` builds it, from the ``[detection]`` section; the
    rest of a unit's config schema (alarm centre, outputs, board profile) belongs
    to the daemon, whose whole RSS the soak benchmark measures, and is added at the end to show it.
    """
    print(f"python, numpy, pipeline code and the [detection] schema imported: {rss_mb():.1f} MB")
    section = DetectionSection.model_validate({})
    classifier, problem = load_model_for(section)
    pipeline = DetectionPipeline(section, classifier, model_problem=problem)
    print(f"+ pipeline with the model loaded: {rss_mb():.1f} MB (model loaded: {pipeline.classifier is not None})")
    for shape in [(24, 32), (120, 160)]:
        for i in range(int(seconds * FPS)):
            frame = walker_frame(shape, 4, i % int(10 * FPS))  # the walkers repeat every 10 s
            pipeline.process(ThermalFrame(frame, i / FPS, i))
        print(f"+ {seconds:.0f} s of 4 walkers at {shape[1]}×{shape[0]}: {rss_mb():.1f} MB")
    firmware.config.parse_config({"unit": {"id": "bench"}})
    print(f"+ the daemon's whole config schema parsed (every section and the board profile): {rss_mb():.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="recording length per case")
    ap.add_argument("--profile", action="store_true", help="print where the time goes at 32×24 and 160×120")
    ap.add_argument("--memory", action="store_true", help="only measure steady RSS of the pipeline, then exit")
    args = ap.parse_args()
    print(f"code measured: {Path(firmware.__file__).resolve().parent.parent}")
    if args.memory:
        memory(args.seconds)
        return
    print(f"RSS at start (numpy, pipeline code imported): {rss_mb():.1f} MB")
    print("| frames | pipeline median µs | pipeline p95 µs | OpenCV baseline median µs | baseline p95 µs |")
    print("|---|---:|---:|---:|---:|")
    sims: dict[tuple[int, int], np.ndarray] = {}
    for shape in [(24, 32), (60, 80), (120, 160)]:
        frames = sims[shape] = sim_frames(shape, args.seconds)
        pm, p95 = summary(run_pipeline(frames))
        bm, b95 = summary(run_opencv(frames))
        print(f"| sim busy lot {shape[1]}×{shape[0]} | {pm:.0f} | {p95:.0f} | {bm:.0f} | {b95:.0f} |")
    for shape in [(24, 32), (120, 160)]:
        for people in [0, 1, 4, 8, 16]:
            frames = walkers(shape, people, min(args.seconds, 30.0))
            pm, p95 = summary(run_pipeline(frames))
            bm, _ = summary(run_opencv(frames))
            print(f"| {people} walkers {shape[1]}×{shape[0]} | {pm:.0f} | {p95:.0f} | {bm:.0f} | |")
    print(f"\nsteady RSS after all cases, model loaded: {rss_mb():.1f} MB")
    if args.profile:
        for shape in [(24, 32), (120, 160)]:
            print(f"\n--- profile {shape[1]}×{shape[0]} ---")
            print(profile(sims[shape]))


if __name__ == "__main__":
    main()
