"""cloud-init NoCloud seed for a freshly flashed Raspberry Pi OS card: the unit's whole first boot.

Raspberry Pi OS (Bookworm and later) runs cloud-init from the boot partition (FAT, mounted at
``/boot/firmware`` on the Pi). ``unit write`` puts there:

* ``meta-data``: instance id (the unit id) and hostname;
* ``network-config``: Ethernet and Wi-Fi (netplan v2, NetworkManager renderer); a 4G modem gets a
  NetworkManager connection file through ``write_files``;
* ``user-data``: hostname, the technicians' account with SSH key only (no password anywhere),
  packages, the unit's ``/etc/parkvakt`` files (``write_files``) and a first-boot script that
  installs the bundled release offline and enables the service;
* ``parkvakt/parkvakt-<version>.tar.gz``: that release (optional; otherwise install it yourself).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from provisioning.unit import Unit, unit_files

BOOT_MOUNT = "/boot/firmware"
PACKAGES = ["python3-venv", "alsa-utils"]
TECHNICIAN = "technician"

UPDATE_SERVICE = """\
# Parkvakt update agent (docs/updates.md). Runs as root because it installs into /opt/parkvakt and
# restarts parkvakt.service, which the unprivileged daemon cannot. At boot it finishes an update a
# power cut interrupted; parkvakt-update.path starts it for each request the daemon writes.
[Unit]
Description=Parkvakt update agent
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'exec "$(readlink -f /opt/parkvakt/current)/venv/bin/python" -m firmware.update \\
    --config /etc/parkvakt/unit.toml serve'
Environment=PARKVAKT_STATE_DIR=/var/lib/parkvakt
StateDirectory=parkvakt-update
StateDirectoryMode=0700
UMask=0022
NoNewPrivileges=yes
PrivateTmp=yes
TimeoutStartSec=1h

[Install]
WantedBy=multi-user.target
"""

UPDATE_PATH = """\
# Starts parkvakt-update.service when the daemon leaves an update request.
[Unit]
Description=Parkvakt update requests from the daemon

[Path]
PathExists=/var/lib/parkvakt/update/request.json
Unit=parkvakt-update.service

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class Network:
    wifi_ssid: str | None = None
    wifi_password: str | None = None
    country: str = "SE"
    modem_apn: str | None = None
    modem_device: str = "cdc-wdm0"


def bootstrap_script(version: str, sha256: str) -> str:
    """The first-boot installer. ``PARKVAKT_ROOT`` (unset on a unit) runs only its install half
    under a scratch folder, which is how the tests and a curious technician try it on a laptop."""
    rel = f"$ROOT/opt/parkvakt/releases/{version}"
    return f"""\
#!/bin/sh
# Parkvakt first boot: install release {version} from the boot partition, offline, and start it.
set -eu
ROOT="${{PARKVAKT_ROOT:-}}"
artifact="$ROOT{BOOT_MOUNT}/parkvakt/parkvakt-{version}.tar.gz"
echo "{sha256}  $artifact" | sha256sum -c -
rm -rf "{rel}"
mkdir -p "{rel}"
tar -xzf "$artifact" -C "{rel}"
# built exactly as the update agent builds a release (firmware/update/install.py): pip runs from its wheel
pip_wheel=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pip"])' "{rel}/manifest.json")
requirements=$(python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["requirements"])' "{rel}/manifest.json")
python3 -m venv --without-pip "{rel}/venv"
"{rel}/venv/bin/python" "{rel}/$pip_wheel/pip" install --quiet --no-index --find-links "{rel}/wheels" $requirements
echo "{version}" > "{rel}/INSTALLED"
ln -sfn "releases/{version}" "$ROOT/opt/parkvakt/.current.tmp"
mv -T "$ROOT/opt/parkvakt/.current.tmp" "$ROOT/opt/parkvakt/current"
if [ -n "$ROOT" ]; then
    echo "release {version} installed under $ROOT; users and services left alone"
    exit 0
fi
id parkvakt >/dev/null 2>&1 || useradd --system --home-dir /var/lib/parkvakt --shell /usr/sbin/nologin parkvakt
for g in gpio video dialout i2c audio; do getent group "$g" >/dev/null && usermod -aG "$g" parkvakt; done
unit_file=$(find "{rel}/venv" -path '*/provisioning/systemd/parkvakt.service' | head -n 1)
cp "$unit_file" /etc/systemd/system/parkvakt.service
chgrp parkvakt /etc/parkvakt/command.key /etc/parkvakt/tls/client.key 2>/dev/null || true
chmod 0640 /etc/parkvakt/command.key /etc/parkvakt/tls/client.key 2>/dev/null || true
mkdir -p /var/lib/parkvakt/update
chown -R parkvakt:parkvakt /var/lib/parkvakt
chown -R root:root /var/lib/parkvakt-update
chmod 0700 /var/lib/parkvakt-update
systemctl daemon-reload
systemctl enable parkvakt-update.service parkvakt-update.path
systemctl start parkvakt-update.path
systemctl enable --now parkvakt.service
"""


def _file_entry(path: str, data: bytes, permissions: str) -> dict:
    try:
        text = data.decode("utf-8")
        if "\0" in text:
            raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL")
        return {"path": path, "permissions": permissions, "owner": "root:root", "content": text}
    except UnicodeDecodeError:
        content = base64.b64encode(data).decode()
        return {"path": path, "permissions": permissions, "owner": "root:root", "encoding": "b64", "content": content}


SECRET_FILES = {"/etc/parkvakt/command.key", "/etc/parkvakt/tls/client.key"}


def modem_connection(apn: str) -> str:
    """A NetworkManager keyfile for the 4G modem (netplan v2 in cloud-init has no modem section)."""
    return (
        "[connection]\nid=parkvakt-4g\ntype=gsm\nautoconnect=true\n\n"
        f"[gsm]\napn={apn}\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n"
    )


def user_data(unit: Unit, ssh_keys: list[str], release: tuple[str, str] | None, net: Network) -> dict:
    """The cloud-config; ``release`` is ``(version, sha256)`` of the bundled artifact, if any."""
    files = [
        _file_entry(dest, src.read_bytes(), "0600" if dest in SECRET_FILES else "0644")
        for dest, src in unit_files(unit).items()
    ]
    files.append(_file_entry("/etc/systemd/system/parkvakt-update.service", UPDATE_SERVICE.encode(), "0644"))
    files.append(_file_entry("/etc/systemd/system/parkvakt-update.path", UPDATE_PATH.encode(), "0644"))
    if net.modem_apn:
        nm = "/etc/NetworkManager/system-connections/parkvakt-4g.nmconnection"
        files.append(_file_entry(nm, modem_connection(net.modem_apn).encode(), "0600"))
    doc: dict = {
        "hostname": unit.name,
        "manage_etc_hosts": True,
        "disable_root": True,
        "ssh_pwauth": False,
        "users": [
            {
                "name": TECHNICIAN,
                "gecos": "Parkvakt technician",
                "groups": ["sudo", "adm"],
                "shell": "/bin/bash",
                "lock_passwd": True,
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "ssh_authorized_keys": ssh_keys,
            }
        ],
        "package_update": True,
        "packages": PACKAGES,
        "timezone": unit.site.timezone,
        "write_files": files,
    }
    if release is not None:
        version, sha = release
        doc["write_files"].append(
            _file_entry("/usr/local/sbin/parkvakt-bootstrap", bootstrap_script(version, sha).encode(), "0755")
        )
        doc["runcmd"] = [["/usr/local/sbin/parkvakt-bootstrap"]]
    return doc


def network_config(net: Network) -> dict:
    network: dict = {"version": 2, "renderer": "NetworkManager"}
    if net.wifi_ssid:
        network["wifis"] = {
            "wlan0": {
                "dhcp4": True,
                "optional": True,
                "regulatory-domain": net.country,
                "access-points": {net.wifi_ssid: {"password": net.wifi_password} if net.wifi_password else {}},
            }
        }
    network["ethernets"] = {"eth0": {"dhcp4": True, "optional": True}}
    return {"network": network}


def render(unit: Unit, net: Network, ssh_keys: list[str], release: Path | None) -> dict[str, bytes]:
    """Every file to put on the boot partition, by relative path."""
    bundled = None
    out: dict[str, bytes] = {}
    if release is not None:
        data = release.read_bytes()
        version = release.name.removeprefix("parkvakt-").removesuffix(".tar.gz")
        bundled = (version, hashlib.sha256(data).hexdigest())
        out[f"parkvakt/{release.name}"] = data
    dump = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, "width": 1000}
    out["user-data"] = ("#cloud-config\n" + yaml.safe_dump(user_data(unit, ssh_keys, bundled, net), **dump)).encode()
    out["meta-data"] = yaml.safe_dump({"instance-id": unit.id, "local-hostname": unit.name}, **dump).encode()
    out["network-config"] = yaml.safe_dump(network_config(net), **dump).encode()
    return out


def write_and_verify(target: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write each file (fsync'd), read every one back and compare; returns path → sha256."""
    if not target.is_dir():
        raise FileNotFoundError(f"{target} is not a mounted boot partition folder")
    hashes: dict[str, str] = {}
    for rel, data in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        hashes[rel] = hashlib.sha256(data).hexdigest()
    bad = [rel for rel, digest in hashes.items() if hashlib.sha256((target / rel).read_bytes()).hexdigest() != digest]
    if bad:
        raise OSError(f"read back differs from what was written: {', '.join(bad)} (bad card?)")
    return hashes
