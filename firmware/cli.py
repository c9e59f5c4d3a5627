"""``parkvakt``: the unit's command line.

Subcommands live one per module in ``firmware.commands`` and are imported only when used, so
``parkvakt run`` on a Pi does not pay for the evaluation or simulation code.
"""

from __future__ import annotations

import importlib

import click

from firmware import __version__

COMMANDS: dict[str, str] = {
    "check-config": "firmware.commands.check_config",
    "alarm-centre-test": "firmware.commands.alarm_centre_test",
    "record": "firmware.commands.record",
    "replay": "firmware.commands.replay",
    "eval": "firmware.commands.eval",
    "run": "firmware.commands.run",
    "view": "firmware.commands.view",
    "demo": "firmware.commands.demo",
    "sim": "firmware.commands.sim",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        return importlib.import_module(module_name).command


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="parkvakt")
def cli() -> None:
    """Parkvakt: thermal parking-lot guard."""


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
