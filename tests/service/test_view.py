"""The textual live view driven by the real engine on simulator frames (App.run_test / pilot)."""

from __future__ import annotations

import threading

from gpiozero.pins.mock import MockFactory

from firmware.config import parse_config
from firmware.engine import build_engine
from firmware.view.app import ThermalImage, ViewApp
from firmware.view.runner import EngineRunner
from firmware.view.snapshot import ViewSnapshot, ViewState
from hw.sim.source import SimSource


def _snapshots(scenario: str, seconds: float, zones: list[dict] | None = None) -> tuple[list[ViewSnapshot], object]:
    config = parse_config({"unit": {"id": "v"}, "mqtt": {"enabled": False}, "detection": {"zones": zones or []}})
    engine = build_engine(config, pin_factory=MockFactory())
    state = ViewState(config.detection.zones, f"sim: {scenario}")
    snaps: list[ViewSnapshot] = []
    runner = EngineRunner(
        lambda: SimSource(scenario, seed=3, seconds=seconds, realtime=False), engine, state, on_snapshot=snaps.append
    )
    record = runner.run_here()
    engine.policy.close()
    return snaps, record


async def test_view_shows_image_tracks_outputs_and_events_and_follows_the_cursor() -> None:
    zones = [
        {"name": "lot", "polygon": [[0.0, 0.2], [1.0, 0.2], [1.0, 1.0], [0.0, 1.0]]},
        {"name": "windows", "kind": "mask", "polygon": [[0.0, 0.0], [0.3, 0.0], [0.3, 0.1], [0.0, 0.1]]},
    ]
    fire_label = next(lab for lab in SimSource("car-fire", seed=3).scenario.labels(None) if lab.type == "fire")
    snaps, record = _snapshots("car-fire", float(fire_label.start) + 20.0, zones)
    with_fire = [s for s in snaps if any(t.label == "fire" for t in s.tracks) and s.outputs]
    assert with_fire, "the car-fire scenario produced a fire track with outputs switched"
    snap = with_fire[-1]
    app = ViewApp("test")
    async with app.run_test(size=(140, 40)) as pilot:
        app.show(snap)
        await pilot.pause()
        info = str(app.query_one("#info").render())
        assert "hottest" in info and f"{snap.hottest[2]:.1f}" in info
        assert "zones" in info and "lot" in info and "masks" in info
        outputs = str(app.query_one("#outputs").render())
        tracks = str(app.query_one("#tracks").render())
        assert "fire" in tracks
        events = str(app.query_one("#events").render())
        assert "fire start" in events
        assert any(line.split()[:3] == ["siren", "●", "on"] for line in outputs.splitlines()), outputs
        before = app.cursor
        await pilot.press("right", "right", "down")
        assert app.cursor == (before[0] + 1, before[1] + 2)
        cursor_temp = snap.temperature_at(*app.cursor)
        assert f"{cursor_temp:.1f} °C at ({app.cursor[1]},{app.cursor[0]})" in str(app.query_one("#info").render())
        image = app.query_one(ThermalImage)
        assert image.scale >= 2, "a 32×24 frame fills a 140×40 terminal at two or more cells per pixel"
        await pilot.hover(ThermalImage, offset=(image.scale * 5 + 1, 3))
        assert app.cursor[1] == 5
        svg = app.export_screenshot()
        assert "▀" in svg
    assert any(a.output == "siren" and a.state == "on" for a in record.actions)


async def test_view_updates_from_the_engine_thread() -> None:
    """Frames arrive from the runner's thread through call_from_thread, as in ``parkvakt view``."""
    config = parse_config({"unit": {"id": "v"}, "mqtt": {"enabled": False}})
    engine = build_engine(config, pin_factory=MockFactory())
    state = ViewState([], "sim: empty-night")
    app = ViewApp("threaded")
    seen = threading.Event()

    def on_snapshot(snap: ViewSnapshot) -> None:
        app.call_from_thread(app.show, snap)
        seen.set()

    runner = EngineRunner(
        lambda: SimSource("empty-night", seed=1, seconds=5.0, realtime=False), engine, state, on_snapshot=on_snapshot
    )
    async with app.run_test(size=(120, 36)) as pilot:
        runner.start()
        while not runner.done.is_set():
            await pilot.pause(0.05)
        await pilot.pause()
        assert app.snapshot is not None
        assert app.snapshot.seq >= 39, "all 40 frames of 5 s at 8 Hz went through"
    engine.policy.close()
    assert runner.error is None
