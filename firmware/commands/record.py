from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np

from hw.frame import FrameSource
from hw.recording import Recording, save_recording


def capture(source: FrameSource, seconds: float) -> Recording:
    """Frames from ``source`` for ``seconds`` of wall time, in the recording format."""
    frames: list[np.ndarray] = []
    stamps: list[float] = []
    ambient: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame = source.read(timeout=min(0.5, max(0.0, end - time.monotonic())))
        if frame is None:
            continue
        frames.append(frame.pixels)
        stamps.append(frame.timestamp)
        ambient.append(frame.ambient if frame.ambient is not None else np.nan)
    if not frames:
        raise click.ClickException(f"no frame arrived in {seconds:g} s; health: {source.health()}")
    t = np.asarray(stamps, dtype=np.float64)
    info = source.info
    return Recording(
        frames=np.stack(frames).astype(np.float32),
        timestamps=t - t[0],
        ambient=np.asarray(ambient, dtype=np.float32),
        meta={"sensor": info.name, "kind": info.kind, "fps": info.fps, "health": source.health().__repr__()},
    )


@click.command("record")
@click.option("--port", help="serial port or URL of the MLX90640 module")
@click.option("--baud", type=click.Choice(["9600", "115200", "460800"]), default="460800", show_default=True)
@click.option("--rate", "rate_hz", type=click.Choice(["0.5", "1", "2", "4", "8"]), default="8", show_default=True)
@click.option("--source", "source_kind", type=click.Choice(["uart", "picamera2"]), default="uart", show_default=True)
@click.option("--seconds", type=float, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def command(port: str | None, baud: str, rate_hz: str, source_kind: str, seconds: float, out: Path) -> None:
    """Record frames from the sensor into NAME.npz (the project's recording format)."""
    source: FrameSource
    if source_kind == "uart":
        if not port:
            raise click.UsageError("--port is required for the UART sensor")
        from hw.sensors.uart import Mlx90640UartSource

        source = Mlx90640UartSource(port, baud=int(baud), rate_hz=float(rate_hz))
    else:
        from hw.sensors.picamera import PiCameraSource, SensorUnavailable

        try:
            source = PiCameraSource(fps=float(rate_hz))
        except SensorUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        rec = capture(source, seconds)
    finally:
        source.close()
    save_recording(out, rec)
    health = source.health()
    click.echo(
        f"{out}: {len(rec.frames)} frames, {rec.duration:.1f} s, "
        f"{health.frames_rejected} rejected, {health.reconnects} reconnects",
        file=sys.stderr,
    )
