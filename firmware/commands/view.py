"""``parkvakt view``: the live thermal image for aiming the camera and checking zones.

It opens the sensor itself (on a unit: ``systemctl stop parkvakt`` first, the port has one
reader) or a recording, and runs the real pipeline and policy on it with *mock* pins, so output
states show what the unit would switch without anything switching on site.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from firmware.config import DEFAULT_CONFIG_PATH, ConfigError, UnitConfig, load_config, parse_config
from firmware.config.sensor import SensorSection

EXIT_BAD_CONFIG = 2


def load_view_config(config_path: Path | None) -> UnitConfig:
    if config_path is None:
        if DEFAULT_CONFIG_PATH.exists():
            return load_config(DEFAULT_CONFIG_PATH)
        return parse_config({"unit": {"id": "view"}, "mqtt": {"enabled": False}})
    return load_config(config_path)


def source_label(sensor: SensorSection) -> str:
    where = {"replay": str(sensor.path), "sim": sensor.scenario, "picamera2": "camera"}.get(sensor.type, sensor.port)
    return f"{sensor.type}: {where}"


@click.command("view")
@click.option("--source", "source", default=None, help="replay:FILE.npz, sim:SCENARIO or uart:PORT")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--plain", is_flag=True, help="print lines instead of the full-screen view")
def command(source: str | None, config_path: Path | None, plain: bool) -> None:
    """Show the live thermal image with zones, tracks, temperatures, outputs and events."""
    try:
        config = load_view_config(config_path)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    from firmware.sources import open_source, parse_source_override

    sensor = config.sensor
    if source is not None:
        try:
            sensor = parse_source_override(source, sensor)
        except ValueError as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_BAD_CONFIG)
    from gpiozero.pins.mock import MockFactory

    from firmware.engine import build_engine
    from firmware.view.runner import EngineRunner
    from firmware.view.snapshot import ViewState

    engine = build_engine(config, pin_factory=MockFactory())
    label = source_label(sensor)
    state = ViewState(config.detection.zones, label)
    if plain or not sys.stdout.isatty():
        from firmware.view.plain import PlainPrinter

        printer = PlainPrinter()
        runner = EngineRunner(
            lambda: open_source(sensor), engine, state, on_snapshot=printer.on_snapshot, on_result=printer.on_result
        )
        with contextlib.suppress(KeyboardInterrupt):
            runner.run_here()
        return
    from firmware.view.app import ViewApp

    app = ViewApp(label)
    runner = EngineRunner(
        lambda: open_source(sensor), engine, state, on_snapshot=lambda snap: app.call_from_thread(app.show, snap)
    )
    app.call_later(runner.start)
    app.run()
    runner.stop()
