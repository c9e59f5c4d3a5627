from __future__ import annotations

import sys
from pathlib import Path

import click

from firmware.config import ConfigError, load_config

EXIT_BAD_CONFIG = 2


@click.command("check-config")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def command(path: Path) -> None:
    """Validate a unit config; exit 2 with one line per problem when it is not usable."""
    try:
        load_config(path)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    click.echo(f"{path}: ok")
