"""``parkvakt-provision``: sites, units, releases and remote updates, for technicians.

Every command takes ``--site DIR`` (or ``PARKVAKT_SITE``; default the current folder) except
``site init``. Errors are one clear line and exit status 1; nothing is half-written.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from provisioning import cloudinit, release
from provisioning.site import Site, SiteError, init_site, load_site, make_voice_clips
from provisioning.unit import add_unit, load_unit

console = Console(stderr=True, soft_wrap=True)


@contextmanager
def spinner(what: str) -> Iterator[None]:
    """Progress display for a slow step of unknown length."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
        bar.add_task(what, total=None)
        yield


def fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(1)


def _site(ctx: click.Context) -> Site:
    try:
        return load_site(ctx.obj["site"])
    except SiteError as exc:
        fail(str(exc))


@click.group()
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("PARKVAKT_SITE", "."),
    help="The site folder (default: $PARKVAKT_SITE or the current folder).",
)
@click.pass_context
def cli(ctx: click.Context, site: Path) -> None:
    """Provision Parkvakt sites and units, build and publish releases, update units."""
    ctx.obj = {"site": site}


# -- site ------------------------------------------------------------------------------------------


@cli.group()
def site() -> None:
    """Create and maintain a site (CA, update repository, unit template)."""


@site.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help="The site's name, e.g. the security company's.")
@click.option("--mqtt-host", required=True, help="The MQTT broker the units report to.")
@click.option("--mqtt-port", default=8883, show_default=True, type=click.IntRange(1, 65535))
@click.option("--repository-url", required=True, help="Where the update repository is served (https://...).")
@click.option("--timezone", default="Europe/Stockholm", show_default=True)
def site_init(directory: Path, name: str, mqtt_host: str, mqtt_port: int, repository_url: str, timezone: str) -> None:
    """Create a site in DIRECTORY: CA, TUF keys and repository, unit template, voice texts."""
    if not repository_url.startswith(("https://", "http://", "file://")):
        fail("--repository-url must start with https://, http:// or file://")
    try:
        with spinner("generating keys and signing the update repository"):
            made = init_site(directory, name, mqtt_host, mqtt_port, repository_url, timezone)
    except (SiteError, OSError) as exc:
        fail(str(exc))
    console.print(f"site [bold]{made.name}[/] created in {made.path}")
    root_key = made.path / "offline" / "root.pem"
    console.print(f"[yellow]Move {root_key} to offline storage now;[/] it is needed only to rotate keys.")


@site.command("voice")
@click.pass_context
def site_voice(ctx: click.Context) -> None:
    """Speak the site's voice-warning texts (voice/warning.toml) into WAV clips with espeak-ng."""
    s = _site(ctx)
    try:
        with spinner("speaking the warnings"):
            made = make_voice_clips(s)
    except SiteError as exc:
        fail(str(exc))
    for path in made:
        click.echo(str(path))


# -- unit ------------------------------------------------------------------------------------------


@cli.group()
def unit() -> None:
    """Add a unit, write its SD card, verify it, update it."""


@unit.command("add")
@click.argument("name")
@click.option(
    "--csr",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Sign this certificate request made on the unit instead of generating its private key here.",
)
@click.pass_context
def unit_add(ctx: click.Context, name: str, csr: Path | None) -> None:
    """Give unit NAME its own id, client certificate, command key and config."""
    s = _site(ctx)
    try:
        made = add_unit(s, name, csr)
    except (SiteError, OSError) as exc:
        fail(str(exc))
    console.print(f"unit [bold]{made.name}[/] added: id {made.id}, key fingerprint {made.fingerprint[:16]}…")
    click.echo(made.id)


@unit.command("write")
@click.argument("name")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--ssh-key", "ssh_keys", multiple=True, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--wifi-ssid")
@click.option("--wifi-password")
@click.option("--wifi-country", default="SE", show_default=True)
@click.option("--modem-apn", help="APN of the 4G modem's SIM.")
@click.option(
    "--release",
    "release_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A release artifact to install offline at first boot.",
)
@click.pass_context
def unit_write(
    ctx: click.Context,
    name: str,
    target: Path,
    ssh_keys: tuple[str, ...],
    wifi_ssid: str | None,
    wifi_password: str | None,
    wifi_country: str,
    modem_apn: str | None,
    release_file: Path | None,
) -> None:
    """Write unit NAME's cloud-init seed onto the boot partition mounted at TARGET, then verify it."""
    s = _site(ctx)
    if not wifi_ssid and not modem_apn:
        console.print("[yellow]no --wifi-ssid and no --modem-apn: the unit will use Ethernet only[/]")
    try:
        u = load_unit(s, name)
        keys = [line.strip() for k in ssh_keys for line in Path(k).read_text().splitlines() if line.strip()]
        if not keys or not all(k.startswith(("ssh-", "ecdsa-", "sk-")) for k in keys):
            fail("--ssh-key must be an OpenSSH public key file (ssh-ed25519 ...)")
        net = cloudinit.Network(wifi_ssid, wifi_password, wifi_country, modem_apn)
        files = cloudinit.render(u, net, keys, release_file)
        with Progress(TextColumn("{task.description}"), BarColumn(), console=console) as bar:
            task = bar.add_task(f"writing to {target}", total=1)
            hashes = cloudinit.write_and_verify(target, files)
            bar.update(task, completed=1)
    except (SiteError, OSError) as exc:
        fail(str(exc))
    table = Table("file", "sha256 (written = read back)")
    for rel, digest in hashes.items():
        table.add_row(rel, digest[:16] + "…")
    console.print(table)
    console.print(f"[green]{len(hashes)} files written to {target} and read back identical[/]")


@unit.command("verify")
@click.argument("name")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for the unit's answers.")
@click.option("--mqtt-port", type=int, help="Override the site's MQTT port (e.g. a test broker).")
@click.pass_context
def unit_verify(ctx: click.Context, name: str, timeout: float, mqtt_port: int | None) -> None:
    """Ask unit NAME over MQTT for its birth record and run its self-test; pass/fail report."""
    from provisioning import remote

    s = _site(ctx)
    try:
        u = load_unit(s, name)
        with spinner(f"asking {u.id} over MQTT"):
            checks = asyncio.run(remote.verify(u, timeout=timeout, port=mqtt_port))
    except (SiteError, OSError) as exc:
        fail(str(exc))
    table = Table("check", "result", "detail")
    for check in checks:
        table.add_row(check.name, "[green]pass[/]" if check.ok else "[red]FAIL[/]", check.detail)
    console.print(table)
    ok = all(c.ok for c in checks)
    click.echo(f"{u.name}: {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


@unit.command("update")
@click.argument("name")
@click.option("--version", "version", required=True)
@click.option("--timeout", default=1800.0, show_default=True, help="Seconds to wait for the unit's final report.")
@click.option("--mqtt-port", type=int, help="Override the site's MQTT port.")
@click.pass_context
def unit_update(ctx: click.Context, name: str, version: str, timeout: float, mqtt_port: int | None) -> None:
    """Tell unit NAME to update to VERSION and follow its progress until its final report."""
    from provisioning import remote

    s = _site(ctx)
    try:
        u = load_unit(s, name)
        if version not in {i.custom.get("version") for i in s.repository().target_names().values() if i.custom}:
            fail(f"release {version} is not published in this site's repository; `release publish` it first")
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"), console=console
        ) as bar:
            task = bar.add_task(f"{u.name} → {version}", total=1.0, state="sent")

            def show(status: dict) -> None:
                bar.update(task, completed=float(status.get("progress", 0)), state=str(status.get("state", "")))

            report = asyncio.run(remote.update(u, version, show, timeout=timeout, port=mqtt_port))
    except (SiteError, OSError, TimeoutError) as exc:
        fail(str(exc) or "no final report from the unit in time")
    click.echo(report.get("message", str(report)))
    sys.exit(0 if report.get("outcome") == "success" else 1)


# -- release ---------------------------------------------------------------------------------------


@cli.group("release")
def release_group() -> None:
    """Build release artifacts and publish them to the site's update repository."""


@release_group.command("build")
@click.option("--project", type=click.Path(file_okay=False, exists=True, path_type=Path), default=Path("."))
@click.option("--model", "models", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"))
@click.option("--host-platform", is_flag=True, help="Wheels for this machine instead of the Pi (linux aarch64).")
@click.option("--find-links", multiple=True, type=click.Path(path_type=Path), help="Extra wheel folders.")
@click.option("--no-index", is_flag=True, help="Use only --find-links (offline).")
@click.option("--no-build-isolation", is_flag=True)
def release_build(
    project: Path,
    models: tuple[Path, ...],
    out: Path,
    host_platform: bool,
    find_links: tuple[Path, ...],
    no_index: bool,
    no_build_isolation: bool,
) -> None:
    """Build parkvakt-<version>.tar.gz: the project wheel, every dependency wheel, the model, a manifest."""
    try:
        with spinner("building wheels"):
            built = release.build(
                project,
                out,
                list(models),
                platform=None if host_platform else release.PI_PLATFORM,
                find_links=list(find_links),
                no_index=no_index,
                no_build_isolation=no_build_isolation,
            )
    except release.ReleaseError as exc:
        fail(str(exc))
    console.print(f"{built.name} {built.version}: {len(built.manifest['files'])} files")
    click.echo(str(built.artifact))


@release_group.command("publish")
@click.argument("artifact", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--allow-downgrade", is_flag=True, help="Sign an exception so units on a newer release accept it.")
@click.option("--export", type=click.Path(file_okay=False, path_type=Path), help="Also copy the repository here.")
@click.pass_context
def release_publish(ctx: click.Context, artifact: Path, allow_downgrade: bool, export: Path | None) -> None:
    """Add ARTIFACT to the site's TUF repository (targets, snapshot, timestamp)."""
    s = _site(ctx)
    try:
        manifest = release.read_manifest(artifact)
        version = str(manifest["version"])
        if artifact.name != f"parkvakt-{version}.tar.gz":
            fail(f"{artifact.name} holds version {version}; expected parkvakt-{version}.tar.gz")
        custom: dict[str, object] = {"version": version}
        if allow_downgrade:
            custom["allow_downgrade"] = True
        with spinner("signing targets, snapshot and timestamp"):
            info = s.repository().add_target(artifact, artifact.name, custom)
            if export:
                s.repository().export(export)
    except (release.ReleaseError, OSError, KeyError) as exc:
        fail(str(exc))
    console.print(f"published {artifact.name}: {info.length} bytes, sha256 {info.hashes['sha256'][:16]}…")
    if export:
        console.print(f"repository exported to {export}")


@release_group.command("refresh")
@click.pass_context
def release_refresh(ctx: click.Context) -> None:
    """Re-sign what is about to expire (run daily from cron: units refuse expired metadata)."""
    s = _site(ctx)
    try:
        roles = s.repository().refresh()
    except (FileNotFoundError, OSError) as exc:
        fail(str(exc))
    click.echo(f"re-signed: {', '.join(roles)}")


@release_group.command("rotate")
@click.argument("role", type=click.Choice(["root", "targets", "snapshot", "timestamp"]))
@click.pass_context
def release_rotate(ctx: click.Context, role: str) -> None:
    """Replace ROLE's key (needs the offline root key); units follow without re-provisioning."""
    s = _site(ctx)
    try:
        s.repository().rotate(role)
    except FileNotFoundError as exc:
        fail(str(exc))
    click.echo(f"{role} key rotated")


def main() -> None:
    cli()
