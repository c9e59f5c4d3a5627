"""``parkvakt alarm-centre-test``: commissioning check of the DC-09 link, receiver by receiver.

Works before ``[alarm_centre] enabled`` is set, so the installer and the centre can check the
account, key and firewall first. Nothing is taken from or put into the outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import click

from firmware.config import DEFAULT_CONFIG_PATH, ConfigError, load_config
from firmware.uplink.dc09.transmitter import Dc09Transmitter, LinkSettings

EXIT_NOT_ACKED = 1
EXIT_BAD_CONFIG = 2


@click.command("alarm-centre-test")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_CONFIG_PATH)
def command(config_path: Path) -> None:
    """Send a NULL poll and a test report (602 / RP) to each alarm-centre receiver; exit 1 unless all ACK."""
    try:
        section = load_config(config_path).alarm_centre
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_CONFIG)
    if not section.primary or not section.account:
        click.echo(f"{config_path}: [alarm_centre] needs primary and account for a test", err=True)
        sys.exit(EXIT_BAD_CONFIG)
    settings = LinkSettings.from_config(section)
    all_acked = True
    for path, address in zip(("primary", "backup"), settings.receivers, strict=False):
        tx = Dc09Transmitter(None, dataclasses.replace(settings, receivers=(address,)))
        cipher = f"AES-{len(settings.key) * 8}" if settings.key else "clear text"
        mode = f"{settings.token}, {cipher}"
        click.echo(f"{path} receiver {address[0]}:{address[1]} (account {settings.account}, {mode})")
        for what, acked, detail in asyncio.run(tx.check()):
            all_acked &= acked
            click.echo(f"  {what}: {'ok' if acked else 'FAILED'}: {detail}")
    sys.exit(0 if all_acked else EXIT_NOT_ACKED)
