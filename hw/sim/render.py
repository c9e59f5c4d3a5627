"""Render a scene, a chunk of frames at a time, and measure its ground truth.

Per chunk: background radiance (material radiances × fixed fractions, one matrix product), the
objects' layers painted far to near with the exact rectangle coverage of each pixel (a layer
covering ``a`` of a pixel makes it ``(1-a)·L_behind + a·L_layer``), the atmosphere between lot and
lens, lens blur, then radiance noise, inversion to brightness temperature, fixed-pattern offsets,
drift, rain streaks and the module's 0.01 °C quantisation. Layers that do not move or change
coverage within a chunk and are not behind anything moving are folded into the background
product, so a static lot costs almost nothing per frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hw.sim.camera import Camera, pixel_overlap
from hw.sim.environment import MATERIALS, Environment
from hw.sim.ground import LotLayout, material_fractions, pixel_range
from hw.sim.objects import Layer, ObjectClass, SceneObject
from hw.sim.radiometry import brightness_temperature, radiance, surface_radiance
from hw.sim.sensor_noise import NoiseModel, blur_radiance, rain_streaks

GROUND_MATERIALS = ["asphalt", "asphalt-patch", "paint", "grass"]
VISIBLE_FRACTION = 0.25  # an object counts as visible with this much of its silhouette in view ...
VISIBLE_AREA_PX = 2.0  # ... or with at least this many pixels' worth of it in view (a big fire)
# A person or vehicle with less than one pixel's worth of its silhouette in view cannot be told
# from a cat or a warm stone by any detector on this sensor, however it is drawn: below the
# resolution limit (Johnson's detection criterion asks for about 1.5 px across the target), it is
# not counted as seen. Fire has no floor: a small fire at distance must be found while sub-pixel.
MIN_RESOLVED_PX: dict[str, float] = {"person": 1.0, "vehicle": 1.0}


def is_visible(cls: str, fraction: np.ndarray | float, area_px: np.ndarray | float) -> np.ndarray | bool:
    """The label rule: enough of the object in view, and resolvable at all (see MIN_RESOLVED_PX)."""
    seen = (np.asarray(fraction) >= VISIBLE_FRACTION) | (np.asarray(area_px) >= VISIBLE_AREA_PX)
    return seen & (np.asarray(area_px) >= MIN_RESOLVED_PX.get(cls, 0.0))


@dataclass(frozen=True, slots=True)
class GroundTruthObject:
    """One object in one rendered frame.

    ``bbox`` is ``(x0, y0, x1, y1)`` in continuous pixel coordinates of the frame (x = column,
    y = row, pixel ``(r, c)`` spans ``[c, c+1) × [r, r+1)``), clipped to the frame; use
    :attr:`pixel_slice` to cut a patch. ``visible_fraction`` is the part of its silhouette inside
    the frame and not hidden by nearer things (smoke counts by its opacity). ``apparent_temp_c``
    is the coverage-weighted mean of the rendered pixels it touches; ``true_temp_c`` its hottest
    surface. ``labelled`` says whether it counts towards ``NAME.labels.json`` in this frame.
    """

    object_id: int
    cls: ObjectClass
    bbox: tuple[float, float, float, float]
    visible_fraction: float
    visible_area_px: float
    apparent_temp_c: float
    true_temp_c: float
    distance_m: float
    labelled: bool

    @property
    def pixel_slice(self) -> tuple[slice, slice]:
        x0, y0, x1, y1 = self.bbox
        return slice(int(np.floor(y0)), int(np.ceil(y1))), slice(int(np.floor(x0)), int(np.ceil(x1)))

    @property
    def visible(self) -> bool:
        return bool(is_visible(self.cls, self.visible_fraction, self.visible_area_px))


@dataclass(slots=True)
class Scene:
    env: Environment
    camera: Camera
    lot: LotLayout
    objects: list[SceneObject]
    noise: NoiseModel = field(default_factory=NoiseModel)
    seed: int = 0
    _fractions: np.ndarray | None = None
    _range: np.ndarray | None = None
    _fixed: np.ndarray | None = None

    def prepare(self) -> None:
        if self._fractions is None:
            self._fractions = material_fractions(self.camera, self.lot, GROUND_MATERIALS)
            self._range = pixel_range(self.camera)
            self._fixed = self.noise.fixed_pattern(self.camera.shape, np.random.default_rng([self.seed, 7]))


@dataclass(slots=True)
class _Painted:
    obj_index: int
    layer: Layer
    order: int


@dataclass(slots=True)
class Geometry:
    """Per-object, per-frame truth that needs no pixels: boxes, visibility, labels."""

    bbox: np.ndarray  # [K, T, 4]
    area: np.ndarray  # [K, T] silhouette area in pixels (inside and outside the frame)
    visible: np.ndarray  # [K, T] fraction of the silhouette in view
    visible_area: np.ndarray  # [K, T] pixels' worth of silhouette in view
    present: np.ndarray  # [K, T] bool
    labelled: np.ndarray  # [K, T] bool
    distance: np.ndarray  # [K, T]
    painted: list[_Painted]

    def visible_mask(self, classes: Sequence[str]) -> np.ndarray:
        """[K, T] the label rule (:func:`is_visible`) for objects of these classes, in order."""
        floor = np.array([MIN_RESOLVED_PX.get(c, 0.0) for c in classes])[:, None]
        seen = (self.visible >= VISIBLE_FRACTION) | (self.visible_area >= VISIBLE_AREA_PX)
        return seen & (self.visible_area >= floor)


def _collect(scene: Scene, t: np.ndarray) -> list[_Painted]:
    """Every object's layers, objects ordered far to near, each object's layers kept together."""
    groups = []
    for k, obj in enumerate(scene.objects):
        layers = obj.layers(t, scene.env, scene.camera)
        key = float(np.median(layers[0].depth)) - obj.paint_bias_m
        groups.append((-key, k, [_Painted(k, lay, j) for j, lay in enumerate(layers)]))
    groups.sort(key=lambda g: (g[0], g[1]))
    return [p for _, _, group in groups for p in group]


def geometry(scene: Scene, t: np.ndarray) -> Geometry:
    """Boxes, visible fractions and label flags of every object at times ``t``.

    An object's visible fraction is the part of its silhouette area inside the frame, times, for
    every nearer object, one minus the share of that in-frame area the nearer object's
    rectangles cover (weighted by their fill, so smoke hides only by its opacity).
    """
    h, w = scene.camera.shape
    k_count, n = len(scene.objects), len(t)
    painted = _collect(scene, t)
    bbox = np.zeros((k_count, n, 4))
    bbox[:, :, 0:2] = np.inf
    bbox[:, :, 2:4] = -np.inf
    area = np.zeros((k_count, n))
    seen = np.zeros((k_count, n))
    for i, p in enumerate(painted):
        lay = p.layer
        if not lay.in_bbox:
            continue
        on = lay.fill > 0
        b = bbox[p.obj_index]
        b[:, 0] = np.where(on, np.minimum(b[:, 0], lay.u0), b[:, 0])
        b[:, 1] = np.where(on, np.minimum(b[:, 1], lay.v0), b[:, 1])
        b[:, 2] = np.where(on, np.maximum(b[:, 2], lay.u1), b[:, 2])
        b[:, 3] = np.where(on, np.maximum(b[:, 3], lay.v1), b[:, 3])
        cu0, cv0 = np.clip(lay.u0, 0, w), np.clip(lay.v0, 0, h)
        cu1, cv1 = np.clip(lay.u1, 0, w), np.clip(lay.v1, 0, h)
        in_frame = (cu1 - cu0) * (cv1 - cv0)
        hidden_by: dict[int, np.ndarray] = {}
        for q in painted[i + 1 :]:
            if q.obj_index == p.obj_index:
                continue
            o = q.layer
            ou = np.clip(np.minimum(cu1, o.u1) - np.maximum(cu0, o.u0), 0, None)
            ov = np.clip(np.minimum(cv1, o.v1) - np.maximum(cv0, o.v0), 0, None)
            share = ou * ov * o.fill / np.maximum(in_frame, 1e-12)
            hidden_by[q.obj_index] = np.maximum(hidden_by.get(q.obj_index, 0.0), share)
        unhidden = np.ones(n)
        for share in hidden_by.values():
            unhidden *= 1.0 - np.clip(share, 0.0, 1.0)
        area[p.obj_index] += (lay.u1 - lay.u0) * (lay.v1 - lay.v0) * lay.fill
        seen[p.obj_index] += in_frame * lay.fill * unhidden
    present = area > 1e-9
    visible = np.where(present, seen / np.maximum(area, 1e-12), 0.0)
    bbox[:, :, [0, 2]] = np.clip(bbox[:, :, [0, 2]], 0, w)
    bbox[:, :, [1, 3]] = np.clip(bbox[:, :, [1, 3]], 0, h)
    bbox[~present] = 0.0
    labelled = np.stack([obj.labelled(t) for obj in scene.objects]) if k_count else np.zeros((0, n), bool)
    distance = np.zeros((k_count, n))
    for p in painted:
        if p.order == 0:
            distance[p.obj_index] = p.layer.depth
    return Geometry(bbox, area, visible, seen, present, labelled & present, distance, painted)


def _row_col_span(lay: Layer, h: int, w: int) -> tuple[int, int, int, int]:
    on = lay.fill > 0
    r0 = int(np.clip(np.floor(lay.v0[on].min()), 0, h))
    r1 = int(np.clip(np.ceil(lay.v1[on].max()), 0, h))
    c0 = int(np.clip(np.floor(lay.u0[on].min()), 0, w))
    c1 = int(np.clip(np.ceil(lay.u1[on].max()), 0, w))
    return r0, r1, c0, c1


def _is_static(lay: Layer) -> bool:
    return all(float(np.ptp(a)) < 1e-9 for a in (lay.u0, lay.v0, lay.u1, lay.v1, lay.fill))


def _overlaps(a: Layer, b: Layer) -> bool:
    return bool(
        (np.max(a.u1) > np.min(b.u0))
        and (np.max(b.u1) > np.min(a.u0))
        and (np.max(a.v1) > np.min(b.v0))
        and (np.max(b.v1) > np.min(a.v0))
    )


def render_chunk(
    scene: Scene, t: np.ndarray, rng: np.random.Generator, *, with_truth: bool = False
) -> tuple[np.ndarray, np.ndarray, Geometry | None, np.ndarray | None]:
    """Frames [T, H, W] °C, sensor ambient [T], and (with truth) geometry and apparent temps [K, T]."""
    scene.prepare()
    assert scene._fractions is not None and scene._range is not None and scene._fixed is not None
    h, w = scene.camera.shape
    n = len(t)
    env = scene.env
    sky = env.sky_c(t)
    geo = geometry(scene, t) if with_truth else None
    painted = geo.painted if geo is not None else _collect(scene, t)
    painted = [p for p in painted if float(p.layer.fill.max()) > 0]

    weight = scene._fractions.reshape(len(GROUND_MATERIALS), -1)
    columns = [surface_radiance(env.surface_c(m, t), MATERIALS[m].emissivity, sky) for m in GROUND_MATERIALS]
    dynamic: list[_Painted] = []
    for p in painted:
        lay = p.layer
        if _is_static(lay) and not any(_overlaps(lay, q.layer) for q in dynamic):
            cov = np.outer(pixel_overlap(lay.v0[:1], lay.v1[:1], h)[0], pixel_overlap(lay.u0[:1], lay.u1[:1], w)[0])
            a = (cov * float(lay.fill[0])).reshape(1, -1).astype(np.float32)
            weight = np.concatenate([weight * (1.0 - a), a], axis=0)
            columns.append(surface_radiance(lay.temp_c, lay.emissivity, sky))
        else:
            dynamic.append(p)
    rad = (np.stack(columns, axis=1).astype(np.float32) @ weight).reshape(n, h, w)

    for p in dynamic:
        lay = p.layer
        r0, r1, c0, c1 = _row_col_span(lay, h, w)
        if r1 <= r0 or c1 <= c0:
            continue
        ov_r = pixel_overlap(lay.v0 - r0, lay.v1 - r0, r1 - r0) * lay.fill[:, None].astype(np.float32)
        ov_c = pixel_overlap(lay.u0 - c0, lay.u1 - c0, c1 - c0)
        a = ov_r[:, :, None] * ov_c[:, None, :]
        l_obj = surface_radiance(lay.temp_c, lay.emissivity, sky).astype(np.float32)[:, None, None]
        sub = rad[:, r0:r1, c0:c1]
        sub += a * (l_obj - sub)

    tau = np.exp(-float(np.mean(env.extinction_per_m(t))) * scene._range).astype(np.float32)
    air = radiance(env.air_c(t)).astype(np.float32)[:, None, None]
    rad = rad * tau + (1.0 - tau) * air
    rad = blur_radiance(rad, scene.noise.blur)
    rain = env.rain_intensity(t)
    sigma = scene.noise.radiance_sigma * (1.0 + 0.5 * float(rain.mean()))
    rad += rng.standard_normal(rad.shape, dtype=np.float32) * np.float32(sigma)
    frames = brightness_temperature(rad)
    frames += scene._fixed
    frames += scene.noise.drift(t, phase=scene.seed % 628 / 100.0)[:, None, None]
    if rain.max() > 0:
        rain_streaks(frames, rain, rng)
    if scene.noise.quantum_c > 0:
        q = np.float32(scene.noise.quantum_c)
        frames = np.round(frames / q) * q
    ambient = (env.air_c(t) + 4.0 + scene.noise.drift(t, phase=1.0)).astype(np.float32)

    apparent = None
    if geo is not None:
        apparent = _apparent_temps(scene, painted, frames, len(scene.objects))
    return frames.astype(np.float32, copy=False), ambient, geo, apparent


def _apparent_temps(scene: Scene, painted: list[_Painted], frames: np.ndarray, k_count: int) -> np.ndarray:
    h, w = scene.camera.shape
    num = np.zeros((k_count, frames.shape[0]))
    den = np.zeros((k_count, frames.shape[0]))
    for p in painted:
        lay = p.layer
        if not lay.in_bbox:
            continue
        ov_r = pixel_overlap(lay.v0, lay.v1, h) * lay.fill[:, None].astype(np.float32)
        ov_c = pixel_overlap(lay.u0, lay.u1, w)
        num[p.obj_index] += np.einsum("th,thw,tw->t", ov_r, frames, ov_c)
        den[p.obj_index] += np.einsum("th,tw->t", ov_r, ov_c)
    return np.where(den > 1e-9, num / np.maximum(den, 1e-12), np.nan)
