"""A unit's identity and configuration: nothing shared with any other unit, no default password.

``<site>/units/<name>/``::

    unit.json          id, name, certificate fingerprint, creation time
    unit.toml          its config, made from the site template and validated with the unit's schema
    command.key        its own command HMAC key (0600)
    tls/ca.crt         the site CA
    tls/client.crt     its client certificate, signed by the site CA
    tls/client.key     its private key (0600); absent when the unit made its own key (``--csr``)
    tuf/root.json      the update repository's root metadata: the unit's trust anchor
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from firmware.config.schema import ConfigError, parse_config
from provisioning.keys import (
    cert_pem,
    fingerprint,
    load_private,
    make_csr,
    new_hmac_key,
    new_private_key,
    private_pem,
    sign_client,
    write_private,
    write_public,
)
from provisioning.site import Site, SiteError

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Unit:
    site: Site
    name: str
    id: str
    fingerprint: str

    @property
    def path(self) -> Path:
        return self.site.units_dir / self.name

    @property
    def config(self) -> Path:
        return self.path / "unit.toml"

    @property
    def command_key(self) -> Path:
        return self.path / "command.key"


def unit_files(unit: Unit) -> dict[str, Path]:
    """Where each of the unit's files goes on the unit → where it is in the site."""
    files = {
        "/etc/parkvakt/unit.toml": unit.config,
        "/etc/parkvakt/command.key": unit.command_key,
        "/etc/parkvakt/tls/ca.crt": unit.path / "tls" / "ca.crt",
        "/etc/parkvakt/tls/client.crt": unit.path / "tls" / "client.crt",
        "/var/lib/parkvakt-update/tuf/root.json": unit.path / "tuf" / "root.json",
    }
    if (unit.path / "tls" / "client.key").exists():
        files["/etc/parkvakt/tls/client.key"] = unit.path / "tls" / "client.key"
    for wav in sorted(unit.site.voice_dir.glob("*.wav")):
        files[f"/etc/parkvakt/voice/{wav.name}"] = wav
    return files


def _unique_id(site: Site, name: str) -> str:
    taken = {load_unit(site, p.name).id for p in site.units_dir.iterdir() if (p / "unit.json").exists()}
    while True:
        candidate = f"{name}-{secrets.token_hex(4)}"
        if candidate not in taken:
            return candidate


def render_config(site: Site, unit_id: str, name: str) -> str:
    try:
        template = string.Template(site.template.read_text(encoding="utf-8"))
        text = template.substitute(
            unit_id=unit_id,
            unit_name=name,
            site=site.name,
            timezone=site.timezone,
            mqtt_host=site.mqtt_host,
            mqtt_port=site.mqtt_port,
            repository_url=site.repository_url,
        )
    except (KeyError, ValueError) as exc:
        raise SiteError(f"{site.template}: unknown or bad placeholder {exc}") from None
    clips = sorted(site.voice_dir.glob("*.wav"))
    if clips:
        listed = ", ".join(f'"/etc/parkvakt/voice/{c.name}"' for c in clips)
        text += f"\n[deterrence.voice]\nclips = [{listed}]\n"
    try:
        parse_config(tomllib.loads(text), f"unit config from {site.template}")
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"{site.template}: not valid TOML after filling in: {exc}") from None
    except ConfigError as exc:
        raise SiteError(exc.report()) from None
    return text


def add_unit(site: Site, name: str, csr_path: Path | None = None) -> Unit:
    if not NAME.match(name):
        raise SiteError(f"unit name {name!r}: use 1-40 lower-case letters, digits and dashes")
    folder = site.units_dir / name
    if folder.exists():
        raise SiteError(f"unit {name} already exists in {site.path}; pick another name")
    unit_id = _unique_id(site, name)
    config = render_config(site, unit_id, name)
    ca_key = load_private(site.ca_key)
    ca_cert = x509.load_pem_x509_certificate(site.ca_cert.read_bytes())
    if csr_path is not None:
        try:
            csr = x509.load_pem_x509_csr(Path(csr_path).read_bytes())
        except (OSError, ValueError) as exc:
            raise SiteError(f"{csr_path}: not a PEM certificate request: {exc}") from None
    else:
        key = new_private_key()
        csr = make_csr(key, unit_id)
    try:
        cert = sign_client(ca_key, ca_cert, csr, unit_id)
    except ValueError as exc:
        raise SiteError(f"{csr_path}: {exc}") from None
    folder.mkdir(parents=True)
    if csr_path is None:
        write_private(folder / "tls" / "client.key", private_pem(key))
    write_public(folder / "tls" / "client.crt", cert_pem(cert))
    write_public(folder / "tls" / "ca.crt", site.ca_cert.read_bytes())
    write_private(folder / "command.key", (new_hmac_key() + "\n").encode())
    write_public(folder / "tuf" / "root.json", site.repository().root_bytes())
    (folder / "unit.toml").write_text(config, encoding="utf-8")
    unit = Unit(site, name, unit_id, fingerprint(cert))
    (folder / "unit.json").write_text(
        json.dumps(
            {
                "id": unit_id,
                "name": name,
                "fingerprint": unit.fingerprint,
                "key_made_on_unit": csr_path is not None,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n"
    )
    return unit


def load_unit(site: Site, name: str) -> Unit:
    try:
        data = json.loads((site.units_dir / name / "unit.json").read_text())
    except FileNotFoundError:
        raise SiteError(f"no unit {name} in {site.path}; add it with `parkvakt-provision unit add {name}`") from None
    except ValueError as exc:
        raise SiteError(f"{site.units_dir / name / 'unit.json'}: {exc}") from None
    return Unit(site, name, data["id"], data["fingerprint"])
