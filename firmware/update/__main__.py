"""``python -m firmware.update``: run the update agent in its own process.

The agent restarts the daemon, so it cannot run inside it; and it needs root (``/opt/parkvakt``,
``systemctl``) while the daemon runs unprivileged. So the daemon's ``update`` command only writes
``<state_dir>/update/request.json``; the path unit ``parkvakt-update.path`` sees it and starts
``parkvakt-update.service`` (root, oneshot), which runs ``python -m firmware.update serve``. The
same service runs at every boot and finishes an update a power cut interrupted.
Exit status: 0 success or idle, 1 refused/failed/rolled back, 2 bad config or version.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from firmware.config.schema import DEFAULT_CONFIG_PATH, ConfigError, load_config
from firmware.update.agent import UpdateAgent, UpdateBusy
from firmware.update.install import InstallError
from firmware.update.report import UpdateReport


def _agent(config_path: Path) -> UpdateAgent:
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(2)
    if not cfg.update.enabled:
        click.echo(f"{config_path}: update.enabled is false; this unit does not update", err=True)
        sys.exit(2)
    if not cfg.update.repository_url:
        click.echo(f"{config_path}: update.repository_url: not set; this unit cannot update", err=True)
        sys.exit(2)
    return UpdateAgent(cfg.update, cfg.unit.resolved_state_dir())


def _finish(result: UpdateReport | None) -> None:
    if result is None:
        click.echo("no update in progress")
        return
    click.echo(result.message)
    sys.exit(0 if result.outcome == "success" else 1)


@click.group()
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG_PATH)
@click.pass_context
def cli(ctx: click.Context, config_path: Path) -> None:
    """Parkvakt's update agent."""
    ctx.obj = config_path


@cli.command()
@click.argument("version")
@click.pass_obj
def apply(config_path: Path, version: str) -> None:
    """Update to VERSION (an update still in progress is finished first)."""
    agent = _agent(config_path)
    try:
        agent.request(version)
    except UpdateBusy as exc:
        click.echo(f"{exc}; finishing it first", err=True)
        earlier = agent.run()
        if earlier is not None:
            click.echo(earlier.message)
        agent.request(version)
    except InstallError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    _finish(agent.run())


@cli.command()
@click.pass_obj
def resume(config_path: Path) -> None:
    """Finish an interrupted update."""
    _finish(_agent(config_path).run())


@cli.command()
@click.pass_obj
def serve(config_path: Path) -> None:
    """Finish an interrupted update, then the daemon's update request (parkvakt-update.service)."""
    try:
        result = _agent(config_path).serve()
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    _finish(result)


@cli.command()
@click.pass_obj
def status(config_path: Path) -> None:
    """Print the persisted state as JSON."""
    p = _agent(config_path).status()
    click.echo(json.dumps({"job": p.job.__dict__ if p.job else None, "failures": p.failures}, indent=2))


if __name__ == "__main__":
    cli()
