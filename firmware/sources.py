"""Turn config (or a ``--source`` override) into a frame source from ``hw``.

The daemon, ``record``, ``view`` and the demo all open their sensor here, so the choice of
driver lives in one place. Drivers are imported lazily: picamera2 exists only on a Pi.
"""

from __future__ import annotations

from pathlib import Path

from firmware.config.sensor import MountingSection, SensorSection
from hw.frame import FrameSource


def parse_source_override(spec: str, base: SensorSection) -> SensorSection:
    """``replay:FILE.npz``, ``sim:SCENARIO`` or ``uart:PORT`` → a sensor section."""
    kind, sep, arg = spec.partition(":")
    if not sep or not arg:
        raise ValueError(f"--source {spec!r}: expected replay:FILE.npz, sim:SCENARIO or uart:PORT")
    if kind == "replay":
        return base.model_copy(update={"type": "replay", "path": Path(arg)})
    if kind == "sim":
        return base.model_copy(update={"type": "sim", "scenario": arg})
    if kind == "uart":
        return base.model_copy(update={"type": "mlx90640-uart", "port": arg})
    raise ValueError(f"--source {spec!r}: unknown kind {kind!r}; use replay, sim or uart")


def open_source(sensor: SensorSection, *, sim_seconds: float | None = None) -> FrameSource:
    source: FrameSource
    if sensor.type == "mlx90640-uart":
        from hw.sensors.uart import Mlx90640UartSource

        source = Mlx90640UartSource(
            sensor.port, baud=sensor.baud, rate_hz=float(sensor.rate_hz), emissivity=sensor.emissivity
        )
    elif sensor.type == "picamera2":
        from hw.sensors.picamera import PiCameraSource

        source = PiCameraSource(width=sensor.width, height=sensor.height)
    elif sensor.type == "replay":
        from hw.sensors.replay import ReplaySource

        if sensor.path is None:
            raise ValueError("sensor.path is required for a replay source")
        source = ReplaySource(sensor.path, realtime=sensor.realtime)
    else:
        from hw.sim.source import SimSource

        source = SimSource(sensor.scenario, seed=sensor.seed, seconds=sim_seconds, realtime=sensor.realtime)
    return _mounted(source, sensor.mounting)


def _mounted(source: FrameSource, mounting: MountingSection) -> FrameSource:
    if not (mounting.flip_h or mounting.flip_v or mounting.rotate):
        return source
    from hw.sensors.orient import OrientedSource

    return OrientedSource(source, flip_h=mounting.flip_h, flip_v=mounting.flip_v, rotate=mounting.rotate)
