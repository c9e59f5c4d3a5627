"""``parkvakt run``: the daemon (see firmware/service/daemon.py)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from firmware.config import DEFAULT_CONFIG_PATH, ConfigError, load_config

EXIT_BAD_CONFIG = 2
EXIT_NO_GPIO = 3


def _pin_factory(gpio: str) -> object:
    if gpio == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    import warnings

    from gpiozero import Device

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Device._default_pin_factory()
    except Exception as exc:
        click.echo(f"no GPIO on this machine ({exc}); use --gpio mock on a bench", err=True)
        sys.exit(EXIT_NO_GPIO)


@click.command("run")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CONFIG_PATH,
    show_default=True,
)
@click.option("--source", "source", default=None, help="replay:FILE.npz, sim:SCENARIO or uart:PORT")
@click.option(
    "--gpio",
    "gpio",
    type=click.Choice(["auto", "mock"]),
    default="auto",
    show_default=True,
    help="auto: the board's GPIO (gpiozero's default factory; GPIOZERO_PIN_FACTORY picks one); mock: no hardware",
)
@click.option("--no-audio", is_flag=True, help="never play voice warnings (a bench without speakers)")
def command(config_path: Path, source: str | None, gpio: str, no_audio: bool) -> None:
    """Run the unit: sensor, detection, deterrence and uplinks, supervised, under systemd or not."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        # nothing has been built yet, so no output was ever driven
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    if source is not None:
        from firmware.sources import parse_source_override

        try:
            parse_source_override(source, config.sensor)
        except ValueError as exc:
            click.echo(f"{config_path}: --source: {exc}", err=True)
            sys.exit(EXIT_BAD_CONFIG)

    from firmware.service.daemon import Daemon
    from firmware.service.logging import setup_logging

    setup_logging(config.unit.id, config.service.log_level)
    pin_factory = _pin_factory(gpio)
    daemon = Daemon(config_path, config, source_override=source, pin_factory=pin_factory, play_audio=not no_audio)
    sys.exit(asyncio.run(daemon.run()))
