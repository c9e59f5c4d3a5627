"""Privacy-first snapshots: a false-colour thermal PNG, only with an alarm, masks blacked out.

Off by default (``[privacy] snapshots``). When enabled, a snapshot is built only while an alarm
(fire, person, tamper) is active; it shows the thermal frame in false colour with the detection
boxes drawn and every ``kind = "mask"`` zone painted black *before* scaling, so no masked pixel
value leaves the unit. A visible-light (``gray``) frame is refused unless the site also sets
``[privacy] visible_light = true``.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from hw.frame import ThermalFrame

Point = tuple[float, float]
BBox = tuple[float, float, float, float]
"""Normalised ``(x, y, width, height)``, as in ``Event.bbox``."""

BOX_COLOUR = (0, 255, 0)


class SnapshotRefused(Exception):
    """Policy forbids this snapshot; the message says which setting or condition."""


def _ironbow(values: np.ndarray) -> np.ndarray:
    """Map 0..1 to a black → purple → red → yellow → white palette (uint8 RGB)."""
    v = np.clip(values, 0.0, 1.0)
    r = np.clip(3.0 * v, 0, 1)
    g = np.clip(3.0 * v - 1.0, 0, 1)
    b = np.clip(np.where(v < 0.33, 3.0 * v, np.where(v < 0.66, 2.0 - 3.0 * v, 3.0 * v - 2.0)), 0, 1)
    return (np.stack([r, g, b], axis=-1) * 255).astype(np.uint8)


def mask_pixels(shape: tuple[int, int], masks: Sequence[Sequence[Point]]) -> np.ndarray:
    """True where any normalised mask polygon covers a pixel's centre."""
    h, w = shape
    img = Image.new("1", (w, h), 0)
    draw = ImageDraw.Draw(img)
    for polygon in masks:
        draw.polygon([(x * w - 0.5, y * h - 0.5) for x, y in polygon], fill=1, outline=1)
    return np.array(img, dtype=bool)


def render_png(
    frame: ThermalFrame, *, boxes: Sequence[BBox] = (), masks: Sequence[Sequence[Point]] = (), scale: int = 8
) -> bytes:
    """The false-colour PNG; masked pixels are black before anything else happens to them."""
    pixels = np.nan_to_num(np.asarray(frame.pixels, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    hidden = mask_pixels(pixels.shape, masks) if masks else np.zeros(pixels.shape, dtype=bool)
    visible = pixels[~hidden]
    lo, hi = (float(visible.min()), float(visible.max())) if visible.size else (0.0, 1.0)
    norm = (pixels - lo) / (hi - lo) if hi > lo else np.zeros_like(pixels)
    if frame.kind == "thermal":
        rgb = _ironbow(norm)
    else:
        rgb = np.repeat((np.clip(norm, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=-1)
    rgb[hidden] = 0
    h, w = pixels.shape
    img = Image.fromarray(rgb, "RGB").resize((w * scale, h * scale), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(img)
    for x, y, bw, bh in boxes:
        draw.rectangle(
            [x * w * scale, y * h * scale, (x + bw) * w * scale - 1, (y + bh) * h * scale - 1],
            outline=BOX_COLOUR,
            width=max(1, scale // 4),
        )
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def alarm_snapshot(
    frame: ThermalFrame,
    *,
    snapshots_enabled: bool,
    visible_light_enabled: bool,
    alarm_active: bool,
    boxes: Sequence[BBox] = (),
    masks: Sequence[Sequence[Point]] = (),
) -> bytes:
    """The snapshot payload, or ``SnapshotRefused`` saying which privacy rule stops it."""
    if not snapshots_enabled:
        raise SnapshotRefused("snapshots are off ([privacy] snapshots = false)")
    if not alarm_active:
        raise SnapshotRefused("snapshots are sent only while an alarm is active")
    if frame.kind != "thermal" and not visible_light_enabled:
        raise SnapshotRefused("visible-light images are off ([privacy] visible_light = false)")
    return render_png(frame, boxes=boxes, masks=masks)


def snapshot_command(
    *,
    latest_frame: Callable[[], ThermalFrame | None],
    active_alarm_boxes: Callable[[], Sequence[BBox | None] | None],
    snapshots_enabled: bool,
    visible_light_enabled: bool,
    masks: Sequence[Sequence[Point]],
    publish: Callable[[bytes], Awaitable[bool]],
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """The ``snapshot`` command handler: the same privacy rules as an alarm snapshot.

    ``active_alarm_boxes`` returns the boxes of the alarms open now (None or empty: no alarm);
    ``publish`` is ``UplinkService.publish_snapshot``. A refusal is the command's error answer.
    """

    async def handler(args: dict[str, Any]) -> dict[str, Any]:
        frame = latest_frame()
        if frame is None:
            raise SnapshotRefused("no frame from the sensor yet")
        boxes = active_alarm_boxes()
        png = alarm_snapshot(
            frame,
            snapshots_enabled=snapshots_enabled,
            visible_light_enabled=visible_light_enabled,
            alarm_active=bool(boxes),
            boxes=[b for b in boxes or () if b is not None],
            masks=masks,
        )
        if not await publish(png):
            raise RuntimeError("snapshot built but the uplink is offline")
        return {"bytes": len(png), "kind": frame.kind}

    return handler
