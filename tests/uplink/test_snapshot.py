"""Privacy-first snapshots: refused unless allowed and alarmed; masked zones black; boxes drawn."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from firmware.uplink.snapshot import SnapshotRefused, alarm_snapshot, render_png
from hw.frame import ThermalFrame

SCALE = 8


def scene(kind: str = "thermal") -> ThermalFrame:
    pixels = np.full((24, 32), 12.0, dtype=np.float32)
    pixels += np.linspace(0.0, 3.0, 32, dtype=np.float32)[None, :]  # a gentle gradient: false colour varies
    pixels[10:16, 20:23] = 34.0  # a person
    pixels[0:6, 0:8] = 90.0  # a neighbour's window, behind a privacy mask
    return ThermalFrame(pixels=pixels, timestamp=1.0, seq=1, kind=kind)  # type: ignore[arg-type]


MASK = [[(0.0, 0.0), (8 / 32, 0.0), (8 / 32, 6 / 24), (0.0, 6 / 24)]]
PERSON_BOX = (20 / 32, 10 / 24, 3 / 32, 6 / 24)


def decode(png: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    return np.asarray(img.convert("RGB"))


def allowed(frame: ThermalFrame, **kw: object) -> bytes:
    args = {"snapshots_enabled": True, "visible_light_enabled": False, "alarm_active": True}
    return alarm_snapshot(frame, boxes=[PERSON_BOX], masks=MASK, **(args | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"snapshots_enabled": False}, "snapshots are off"),
        ({"alarm_active": False}, "only while an alarm"),
    ],
)
def test_refused_unless_enabled_and_alarmed(change: dict[str, object], reason: str) -> None:
    with pytest.raises(SnapshotRefused, match=reason):
        allowed(scene(), **change)


def test_a_visible_light_image_needs_its_own_consent() -> None:
    with pytest.raises(SnapshotRefused, match="visible-light"):
        allowed(scene("gray"))
    assert decode(allowed(scene("gray"), visible_light_enabled=True)).shape == (24 * SCALE, 32 * SCALE, 3)


def test_masked_zone_is_black_and_does_not_set_the_contrast() -> None:
    rgb = decode(allowed(scene()))
    assert rgb.shape == (24 * SCALE, 32 * SCALE, 3)
    assert (rgb[: 6 * SCALE, : 8 * SCALE] == 0).all(), "every pixel of the mask is black"
    unmasked = render_png(scene(), boxes=[])
    masked = render_png(scene(), boxes=[], masks=MASK)
    person_unmasked = decode(unmasked)[12 * SCALE, 21 * SCALE]
    person_masked = decode(masked)[12 * SCALE, 21 * SCALE]
    assert int(person_masked.sum()) > int(person_unmasked.sum()), (
        "the hidden 90 °C window must not squash the person's colour: contrast comes from visible pixels only"
    )


def test_false_colour_and_detection_box() -> None:
    rgb = decode(allowed(scene()))
    colours = {tuple(c) for c in rgb[20 * SCALE, ::SCALE]}
    assert len(colours) > 5, "a false-colour ramp, not a flat image"
    x0, y0 = 20 * SCALE, 10 * SCALE
    assert tuple(rgb[y0, x0 + 4]) == (0, 255, 0), "the box's top edge is drawn"
    assert tuple(rgb[y0 + 4 * SCALE, x0]) == (0, 255, 0), "and its left edge"


def test_garbage_pixels_do_not_break_the_snapshot() -> None:
    frame = scene()
    frame.pixels[3, 20] = np.nan
    frame.pixels[4, 20] = np.inf
    assert decode(allowed(frame)).shape == (24 * SCALE, 32 * SCALE, 3)


async def test_the_snapshot_command_follows_the_same_rules() -> None:
    from firmware.uplink.snapshot import snapshot_command

    sent: list[bytes] = []

    async def publish(png: bytes) -> bool:
        sent.append(png)
        return True

    alarms: list[tuple[float, float, float, float] | None] = []

    def handler(enabled: bool):  # type: ignore[no-untyped-def]
        return snapshot_command(
            latest_frame=scene,
            active_alarm_boxes=lambda: alarms,
            snapshots_enabled=enabled,
            visible_light_enabled=False,
            masks=MASK,
            publish=publish,
        )

    with pytest.raises(SnapshotRefused, match="only while an alarm"):
        await handler(True)({})
    alarms.append(PERSON_BOX)
    with pytest.raises(SnapshotRefused, match="snapshots are off"):
        await handler(False)({})
    result = await handler(True)({})
    assert len(sent) == 1 and result["bytes"] == len(sent[0]) and result["kind"] == "thermal"
    assert (decode(sent[0])[: 6 * SCALE, : 8 * SCALE] == 0).all()
