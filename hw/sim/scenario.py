"""A named scenario with a seed: render it, take its ground truth, write its recording."""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from hw.recording import LabelEvent, Recording
from hw.sim.actors import bushes
from hw.sim.camera import Camera
from hw.sim.labels import scene_labels
from hw.sim.render import Geometry, GroundTruthObject, Scene, render_chunk
from hw.sim.scenarios import SCENARIOS
from hw.sim.sensor_noise import NoiseModel

CHUNK_PIXELS = 1 << 20  # frames are rendered in blocks of about this many pixels (4 MiB of float32)


@dataclass(slots=True)
class Rendered:
    frames: np.ndarray  # float32 [N, H, W] °C
    timestamps: np.ndarray  # float64 [N] scenario seconds
    ambient: np.ndarray  # float32 [N] the module's own temperature
    truth: list[list[GroundTruthObject]] | None  # per frame, when asked for


class UnknownScenario(ValueError):
    pass


class Scenario:
    """One scenario built from ``name`` and ``seed``; the same seed gives the same frames.

    The seed decides the scene and the sensor's fixed pattern; ``shape`` and ``fov_deg`` only
    change how it is sampled. Rendering goes in fixed chunks of frames, each with its own noise
    generator, so frames are identical however they are requested.
    """

    def __init__(
        self,
        name: str,
        *,
        seed: int = 0,
        shape: tuple[int, int] = (24, 32),
        fov_deg: tuple[float, float] = (55.0, 35.0),
        noise: NoiseModel | None = None,
    ) -> None:
        if len(shape) != 2 or min(shape) < 4:
            raise ValueError(f"shape must be (rows, columns) of at least 4 each, got {shape}")
        spec = SCENARIOS.get(name)
        if spec is None:
            raise UnknownScenario(f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}")
        self.name = name
        self.seed = seed
        self.description = spec.description
        self.length_s = spec.length_s
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        cam = Camera(
            shape=shape,
            fov_deg=fov_deg,
            height_m=float(rng.uniform(5.8, 7.0)),
            tilt_deg=float(rng.uniform(27.0, 31.0)),
        )
        noise = noise or NoiseModel(
            netd_k=float(rng.uniform(0.1, 0.3)),
            fixed_pattern_k=float(rng.uniform(0.1, 0.4)),
            drift_k=float(rng.uniform(0.1, 0.6)),
            drift_period_s=float(rng.uniform(600.0, 3600.0)),
        )
        env, lot, objects = spec.build(rng, spec.length_s, cam)
        env = dataclasses.replace(env, wind_mps=float(rng.gamma(2.0, 1.2)))
        objects = [*bushes(rng, cam, lot), *objects]
        self.scene = Scene(env=env, camera=cam, lot=lot, objects=objects, noise=noise, seed=seed)

    @property
    def shape(self) -> tuple[int, int]:
        return self.scene.camera.shape

    @property
    def chunk_frames(self) -> int:
        """Frames per rendered block; fixed per shape, so frames never depend on how they are asked for."""
        h, w = self.shape
        return max(16, CHUNK_PIXELS // (h * w))

    def frame_count(self, seconds: float | None, fps: float) -> int:
        return max(1, math.floor((self.length_s if seconds is None else seconds) * fps + 1e-9))

    def blocks(self, frames: int, first: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        """(block number, frame indices) of each block the first ``frames`` frames are rendered in.
        Who hides whom is decided per block, so anything that must agree with the frames (labels,
        a re-rendering) goes by these blocks."""
        size = self.chunk_frames
        for c in range(first, math.ceil(frames / size)):
            yield c, np.arange(c * size, min(frames, (c + 1) * size))

    def noise(self, block: int) -> np.random.Generator:
        """The sensor noise of one block: the same however and how often it is rendered."""
        return np.random.default_rng([self.seed, block, 0x51A])

    def chunks(
        self, seconds: float | None = None, *, fps: float = 8.0, with_truth: bool = False, first_chunk: int = 0
    ) -> Iterator[Rendered]:
        for c, idx in self.blocks(self.frame_count(seconds, fps), first_chunk):
            t = idx / fps
            frames, ambient, geo, apparent = render_chunk(self.scene, t, self.noise(c), with_truth=with_truth)
            truth = None
            if geo is not None and apparent is not None:
                truth = self._truth_lists(geo, apparent, t)
            yield Rendered(frames, t, ambient, truth)

    def render(self, seconds: float | None = None, *, fps: float = 8.0, with_truth: bool = True) -> Rendered:
        parts = list(self.chunks(seconds, fps=fps, with_truth=with_truth))
        truth = [f for p in parts for f in (p.truth or [])] if with_truth else None
        return Rendered(
            np.concatenate([p.frames for p in parts]),
            np.concatenate([p.timestamps for p in parts]),
            np.concatenate([p.ambient for p in parts]),
            truth,
        )

    def _truth_lists(self, geo: Geometry, apparent: np.ndarray, t: np.ndarray) -> list[list[GroundTruthObject]]:
        out: list[list[GroundTruthObject]] = [[] for _ in t]
        for k, obj in enumerate(self.scene.objects):
            if not obj.in_truth:
                continue
            hottest = obj.hottest_c(t, self.scene.env)
            for i in np.flatnonzero(geo.present[k]):
                out[i].append(
                    GroundTruthObject(
                        object_id=k,
                        cls=obj.cls,
                        bbox=tuple(float(v) for v in geo.bbox[k, i]),  # type: ignore[arg-type]
                        visible_fraction=float(min(1.0, geo.visible[k, i])),
                        visible_area_px=float(geo.visible_area[k, i]),
                        apparent_temp_c=float(apparent[k, i]),
                        true_temp_c=float(hottest[i]),
                        distance_m=float(geo.distance[k, i]),
                        labelled=bool(geo.labelled[k, i]),
                    )
                )
        return out

    def labels(self, seconds: float | None = None, *, fps: float = 8.0) -> list[LabelEvent]:
        """The ``labels.json`` intervals (see :mod:`hw.sim.labels`)."""
        n = self.frame_count(seconds, fps)
        return scene_labels(self.scene, n, fps, [idx for _, idx in self.blocks(n)])

    def recording(self, seconds: float | None = None, *, fps: float = 8.0) -> Recording:
        r = self.render(seconds, fps=fps, with_truth=False)
        return Recording(frames=r.frames, timestamps=r.timestamps, ambient=r.ambient, meta=self.meta(fps))

    def meta(self, fps: float) -> dict[str, object]:
        cam = self.scene.camera
        return {
            "sensor": f"sim {cam.shape[1]}x{cam.shape[0]}",
            "fov": list(cam.fov_deg),
            "mounting": {"height_m": round(cam.height_m, 2), "tilt_deg": round(cam.tilt_deg, 2)},
            "scenario": self.name,
            "seed": self.seed,
            "fps": fps,
        }
