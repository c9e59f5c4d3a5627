"""A site: one security company's installation (its CA, update repository, unit template, units).

::

    <site>/site.toml                 name, MQTT broker, update repository URL, time zone
    <site>/ca/ca.key  ca/ca.crt      the site CA for MQTT mTLS (key 0600)
    <site>/ca/broker.{crt,key}       the MQTT broker's server certificate (for mosquitto's listener)
    <site>/ca/operator.{crt,key}     the technicians' client certificate (`unit verify`, `unit update`)
    <site>/offline/root.pem          TUF root key: move it to offline storage after `site init`
    <site>/tuf/keys/*.pem            TUF targets, snapshot, timestamp keys (0600)
    <site>/tuf/repo/                 the update repository to serve or export
    <site>/templates/unit.toml       the config every new unit starts from ($placeholders)
    <site>/voice/warning.toml        the voice-warning texts; `site voice` speaks them with espeak-ng
    <site>/units/<name>/             one folder per unit (see provisioning/unit.py)
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from provisioning.keys import cert_pem, make_ca, new_private_key, private_pem, sign_leaf, write_private, write_public
from provisioning.tuf_repo import SiteRepository

UNIT_TEMPLATE = """\
# Parkvakt unit configuration, made by `parkvakt-provision unit add` from the site template.
# Reference: docs/architecture.md and firmware/config/. Validate with `parkvakt check-config`.

[unit]
id = "$unit_id"
name = "$unit_name"
site = "$site"
timezone = "$timezone"

[mqtt]
host = "$mqtt_host"
port = $mqtt_port
ca = "/etc/parkvakt/tls/ca.crt"
cert = "/etc/parkvakt/tls/client.crt"
key = "/etc/parkvakt/tls/client.key"
command_key = "/etc/parkvakt/command.key"

[update]
repository_url = "$repository_url"
"""

VOICE_TEXTS = """\
# The deterrence voice warnings; `parkvakt-provision site voice` turns them into WAV clips.
[warning_sv]
voice = "sv"
text = "Varning. Området är kamerabevakat. Larmet har gått till väktare. Lämna området."

[warning_en]
voice = "en-gb"
text = "Warning. This area is under surveillance. Security has been alerted. Leave the area."
"""


class SiteError(Exception):
    pass


@dataclass(frozen=True)
class Site:
    path: Path
    name: str
    mqtt_host: str
    mqtt_port: int
    repository_url: str
    timezone: str

    @property
    def ca_key(self) -> Path:
        return self.path / "ca" / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.path / "ca" / "ca.crt"

    @property
    def units_dir(self) -> Path:
        return self.path / "units"

    @property
    def template(self) -> Path:
        return self.path / "templates" / "unit.toml"

    @property
    def voice_dir(self) -> Path:
        return self.path / "voice"

    def repository(self) -> SiteRepository:
        return SiteRepository(self.path / "tuf", self.path / "offline" / "root.pem")


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def init_site(
    path: Path, name: str, mqtt_host: str, mqtt_port: int, repository_url: str, timezone: str = "Europe/Stockholm"
) -> Site:
    path = Path(path)
    if (path / "site.toml").exists():
        raise SiteError(f"{path} already holds a site; refusing to overwrite its keys")
    path.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca(name)
    write_private(path / "ca" / "ca.key", private_pem(ca_key))
    write_public(path / "ca" / "ca.crt", cert_pem(ca_cert))
    broker_key = new_private_key()
    broker = sign_leaf(ca_key, ca_cert, broker_key.public_key(), mqtt_host, [mqtt_host])
    write_private(path / "ca" / "broker.key", private_pem(broker_key))
    write_public(path / "ca" / "broker.crt", cert_pem(broker))
    operator_key = new_private_key()
    operator = sign_leaf(ca_key, ca_cert, operator_key.public_key(), f"operator-{name}", None)
    write_private(path / "ca" / "operator.key", private_pem(operator_key))
    write_public(path / "ca" / "operator.crt", cert_pem(operator))
    SiteRepository.create(path / "tuf", path / "offline" / "root.pem")
    (path / "templates").mkdir(exist_ok=True)
    (path / "templates" / "unit.toml").write_text(UNIT_TEMPLATE)
    (path / "voice").mkdir(exist_ok=True)
    (path / "voice" / "warning.toml").write_text(VOICE_TEXTS, encoding="utf-8")
    (path / "units").mkdir(exist_ok=True)
    (path / "site.toml").write_text(
        f"name = {_toml_string(name)}\n"
        f"mqtt_host = {_toml_string(mqtt_host)}\n"
        f"mqtt_port = {int(mqtt_port)}\n"
        f"repository_url = {_toml_string(repository_url.rstrip('/'))}\n"
        f"timezone = {_toml_string(timezone)}\n"
    )
    return load_site(path)


def load_site(path: Path) -> Site:
    path = Path(path)
    try:
        data = tomllib.loads((path / "site.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteError(f"{path} is not a site (no site.toml); run `parkvakt-provision site init` first") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"{path / 'site.toml'}: {exc}") from None
    try:
        return Site(
            path=path,
            name=str(data["name"]),
            mqtt_host=str(data["mqtt_host"]),
            mqtt_port=int(data["mqtt_port"]),
            repository_url=str(data["repository_url"]),
            timezone=str(data.get("timezone", "Europe/Stockholm")),
        )
    except (KeyError, ValueError) as exc:
        raise SiteError(f"{path / 'site.toml'}: missing or bad key {exc}") from None


def make_voice_clips(site: Site) -> list[Path]:
    """Speak the site's warning texts with espeak-ng into ``<site>/voice/<name>.wav``."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SiteError("espeak-ng is not installed (apt install espeak-ng)")
    try:
        texts = tomllib.loads((site.voice_dir / "warning.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteError(f"{site.voice_dir / 'warning.toml'}: {exc}") from None
    made = []
    for clip, spec in texts.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("text"), str):
            raise SiteError(f'{site.voice_dir / "warning.toml"}: [{clip}] needs text = "..."')
        out = site.voice_dir / f"{clip}.wav"
        cmd = [espeak, "-v", str(spec.get("voice", "en")), "-s", "140", "-w", str(out), spec["text"]]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SiteError(f"espeak-ng failed for {clip}: {done.stderr.strip()}")
        made.append(out)
    return made
