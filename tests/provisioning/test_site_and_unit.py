"""`site init` and `unit add`: per-unit identity, no shared secrets, no private key readable by others."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from firmware.config.schema import load_config
from provisioning.keys import make_csr, new_private_key, private_pem
from tests.provisioning.conftest import run

PRIVATE = ["ca/ca.key", "ca/broker.key", "ca/operator.key", "offline/root.pem"] + [
    f"tuf/keys/{role}.pem" for role in ("targets", "snapshot", "timestamp")
]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def all_key_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and (p.suffix in (".key", ".pem") or p.name == "command.key")]


def test_site_init_writes_every_private_key_owner_only_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        result = run("site", "init", tmp_path / "s", "--name", "s", "--mqtt-host", "localhost",
                     "--repository-url", "http://127.0.0.1:1/repo")  # fmt: skip
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    for rel in PRIVATE:
        assert mode(tmp_path / "s" / rel) == 0o600, rel
    assert "offline storage" in result.output


def test_site_init_refuses_to_overwrite_a_site(site_dir: Path) -> None:
    before = (site_dir / "ca" / "ca.key").read_bytes()
    result = run("site", "init", site_dir, "--name", "x", "--mqtt-host", "h", "--repository-url", "https://x")
    assert result.exit_code == 1
    assert "already holds a site" in result.output
    assert (site_dir / "ca" / "ca.key").read_bytes() == before


def test_unit_add_gives_each_unit_its_own_identity_and_valid_config(site_dir: Path) -> None:
    old = os.umask(0)
    try:
        a = run("--site", site_dir, "unit", "add", "north-gate")
        b = run("--site", site_dir, "unit", "add", "south-gate")
    finally:
        os.umask(old)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    units = site_dir / "units"
    ids = [json.loads((units / n / "unit.json").read_text())["id"] for n in ("north-gate", "south-gate")]
    assert ids[0] != ids[1] and ids[0].startswith("north-gate-")
    for name in ("north-gate", "south-gate"):
        for key in all_key_files(units / name):
            assert mode(key) == 0o600, key
    # nothing secret is shared between units
    for rel in ("command.key", "tls/client.key"):
        assert (units / "north-gate" / rel).read_bytes() != (units / "south-gate" / rel).read_bytes()
    # the certificate names the unit and chains to the site CA
    ca = x509.load_pem_x509_certificate((site_dir / "ca" / "ca.crt").read_bytes())
    cert = x509.load_pem_x509_certificate((units / "north-gate" / "tls" / "client.crt").read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ids[0]
    cert.verify_directly_issued_by(ca)
    # the config validates with the unit's own schema and carries the site's settings
    cfg = load_config(units / "north-gate" / "unit.toml")
    assert cfg.unit.id == ids[0]
    assert (cfg.mqtt.host, cfg.mqtt.port) == ("mqtt.acme.example", 8883)
    assert cfg.update.repository_url == "https://updates.acme.example/parkvakt"
    text = (units / "north-gate" / "unit.toml").read_text()
    assert "password" not in text
    assert tomllib.loads(text)["mqtt"]["command_key"] == "/etc/parkvakt/command.key"


def test_unit_add_with_a_csr_keeps_the_private_key_on_the_unit(site_dir: Path, tmp_path: Path) -> None:
    key = new_private_key()
    csr = tmp_path / "unit.csr"
    from cryptography.hazmat.primitives import serialization

    csr.write_bytes(make_csr(key, "whatever").public_bytes(serialization.Encoding.PEM))
    result = run("--site", site_dir, "unit", "add", "kiosk", "--csr", csr)
    assert result.exit_code == 0, result.output
    folder = site_dir / "units" / "kiosk"
    assert not (folder / "tls" / "client.key").exists()
    cert = x509.load_pem_x509_certificate((folder / "tls" / "client.crt").read_bytes())
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.public_numbers() == key.public_key().public_numbers()
    assert private_pem(key) not in b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_unit_add_rejects_a_forged_csr_and_a_duplicate_name(site_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csr"
    bad.write_text("-----BEGIN CERTIFICATE REQUEST-----\nZm9v\n-----END CERTIFICATE REQUEST-----\n")
    result = run("--site", site_dir, "unit", "add", "gate", "--csr", bad)
    assert result.exit_code == 1 and "not a PEM certificate request" in result.output
    assert not (site_dir / "units" / "gate").exists()
    assert run("--site", site_dir, "unit", "add", "gate").exit_code == 0
    again = run("--site", site_dir, "unit", "add", "gate")
    assert again.exit_code == 1 and "already exists" in again.output


def test_commands_outside_a_site_say_so(tmp_path: Path) -> None:
    result = run("--site", tmp_path, "unit", "add", "gate")
    assert result.exit_code == 1
    assert "is not a site (no site.toml)" in result.output


def test_unit_add_reports_a_broken_site_template_and_writes_nothing(site_dir: Path) -> None:
    template = site_dir / "templates" / "unit.toml"
    template.write_text(template.read_text() + "\n[sensor]\nrate_hz = -4\nwarp = 9\n")
    result = run("--site", site_dir, "unit", "add", "gate")
    assert result.exit_code == 1
    assert "sensor.warp: unknown key" in result.output
    assert "sensor.rate_hz" in result.output
    assert not (site_dir / "units" / "gate").exists()
