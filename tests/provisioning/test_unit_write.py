"""`unit write`: a cloud-init seed that cloud-init itself accepts, holding exactly the unit's files."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from firmware.update import install
from tests.provisioning.conftest import run
from tests.update.conftest import cached_release

CLOUD_INIT = shutil.which("cloud-init")
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture
def card(tmp_path: Path, site_dir: Path) -> tuple[Path, Path, Path]:
    """A unit added to the site, its written boot partition, and the bundled release."""
    assert run("--site", site_dir, "unit", "add", "north-gate").exit_code == 0
    built = cached_release("1.0.0")
    key = tmp_path / "tech.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMm1xkZZvJjYh7f0Wl4f0Sn5cU2n5Q0Zq9H8y0Kq7p1x tech@laptop\n")
    boot = tmp_path / "bootfs"
    boot.mkdir()
    result = run(
        "--site", site_dir, "unit", "write", "north-gate", boot, "--ssh-key", key,
        "--wifi-ssid", "Lot 7", "--wifi-password", "correct horse", "--modem-apn", "internet.telia.se",
        "--release", built.artifact,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "read back identical" in result.output
    return site_dir / "units" / "north-gate", boot, built.artifact


@pytest.mark.skipif(CLOUD_INIT is None, reason="cloud-init is not installed (apt: cloud-init, in dev.sh)")
def test_user_data_passes_cloud_init_schema(card: tuple[Path, Path, Path]) -> None:
    _, boot, _ = card
    done = subprocess.run(
        [CLOUD_INIT, "schema", "--config-file", str(boot / "user-data")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid cloud-config" in done.stdout


def test_network_config_is_understood_by_cloud_init(card: tuple[Path, Path, Path]) -> None:
    _, boot, _ = card
    probe = (
        "import sys, yaml\n"
        "from cloudinit.net.network_state import parse_net_config_data\n"
        "state = parse_net_config_data(yaml.safe_load(open(sys.argv[1]))['network'])\n"
        "print(sorted(i['name'] for i in state.iter_interfaces()))\n"
    )
    done = subprocess.run([SYSTEM_PYTHON, "-c", probe, str(boot / "network-config")], capture_output=True, text=True)
    if "No module named 'cloudinit'" in done.stderr:
        pytest.skip("cloud-init's Python package is not installed (apt: cloud-init)")
    assert done.returncode == 0, done.stderr
    assert "'eth0'" in done.stdout  # cloud-init 22.4 passes wifis through to netplan unparsed
    net = yaml.safe_load((boot / "network-config").read_text())["network"]
    assert net["wifis"]["wlan0"]["access-points"] == {"Lot 7": {"password": "correct horse"}}


def test_written_files_read_back_identical_to_the_units_files(card: tuple[Path, Path, Path]) -> None:
    unit_dir, boot, artifact = card
    doc = yaml.safe_load((boot / "user-data").read_text())
    assert (boot / "user-data").read_text().startswith("#cloud-config\n")
    files = {}
    for entry in doc["write_files"]:
        data = base64.b64decode(entry["content"]) if entry.get("encoding") == "b64" else entry["content"].encode()
        files[entry["path"]] = (data, entry["permissions"])
    expected = {
        "/etc/parkvakt/unit.toml": unit_dir / "unit.toml",
        "/etc/parkvakt/command.key": unit_dir / "command.key",
        "/etc/parkvakt/tls/client.key": unit_dir / "tls" / "client.key",
        "/etc/parkvakt/tls/client.crt": unit_dir / "tls" / "client.crt",
        "/etc/parkvakt/tls/ca.crt": unit_dir / "tls" / "ca.crt",
        "/var/lib/parkvakt-update/tuf/root.json": unit_dir / "tuf" / "root.json",
    }
    for dest, src in expected.items():
        assert files[dest][0] == src.read_bytes(), dest
    assert files["/etc/parkvakt/command.key"][1] == "0600"
    assert files["/etc/parkvakt/tls/client.key"][1] == "0600"
    assert (
        "apn=internet.telia.se" in files["/etc/NetworkManager/system-connections/parkvakt-4g.nmconnection"][0].decode()
    )
    # the bundled release is byte-identical and the first-boot script checks its hash
    assert (boot / "parkvakt" / artifact.name).read_bytes() == artifact.read_bytes()
    script = files["/usr/local/sbin/parkvakt-bootstrap"][0].decode()
    assert hashlib.sha256(artifact.read_bytes()).hexdigest() in script
    assert subprocess.run(["sh", "-n"], input=script, text=True).returncode == 0
    assert doc["runcmd"] == [["/usr/local/sbin/parkvakt-bootstrap"]]
    # technicians log in with their key only: no password anywhere
    [user] = doc["users"]
    assert user["lock_passwd"] is True and doc["ssh_pwauth"] is False
    assert user["ssh_authorized_keys"][0].startswith("ssh-ed25519 ")
    meta = yaml.safe_load((boot / "meta-data").read_text())
    assert meta["instance-id"] == (unit_dir / "unit.toml").read_text().split('id = "')[1].split('"')[0]
    assert meta["local-hostname"] == "north-gate"


def test_unit_write_refuses_a_missing_target_and_a_non_ssh_key(site_dir: Path, tmp_path: Path) -> None:
    assert run("--site", site_dir, "unit", "add", "gate").exit_code == 0
    key = tmp_path / "k.pub"
    key.write_text("not a key\n")
    boot = tmp_path / "boot"
    boot.mkdir()
    bad_key = run("--site", site_dir, "unit", "write", "gate", boot, "--ssh-key", key)
    assert bad_key.exit_code == 1 and "OpenSSH public key" in bad_key.output
    assert list(boot.iterdir()) == []
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMm1xkZZvJjYh7f0Wl4f0Sn5cU2n5Q0Zq9H8y0Kq7p1x t@l\n")
    missing = run("--site", site_dir, "unit", "write", "gate", tmp_path / "nope", "--ssh-key", key)
    assert missing.exit_code == 1 and "not a mounted boot partition folder" in missing.output


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt: espeak-ng)")
def test_site_voice_clips_reach_the_unit_byte_for_byte(site_dir: Path, tmp_path: Path) -> None:
    texts = site_dir / "voice" / "warning.toml"
    texts.write_text('[warning_sv]\nvoice = "sv"\ntext = "Lämna parkeringen."\n')
    spoken = run("--site", site_dir, "site", "voice")
    assert spoken.exit_code == 0, spoken.output
    wav = site_dir / "voice" / "warning_sv.wav"
    assert wav.read_bytes()[:4] == b"RIFF"
    assert run("--site", site_dir, "unit", "add", "gate").exit_code == 0
    config = (site_dir / "units" / "gate" / "unit.toml").read_text()
    assert 'clips = ["/etc/parkvakt/voice/warning_sv.wav"]' in config
    key = tmp_path / "k.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMm1xkZZvJjYh7f0Wl4f0Sn5cU2n5Q0Zq9H8y0Kq7p1x t@l\n")
    boot = tmp_path / "boot"
    boot.mkdir()
    assert run("--site", site_dir, "unit", "write", "gate", boot, "--ssh-key", key).exit_code == 0
    entries = {e["path"]: e for e in yaml.safe_load((boot / "user-data").read_text())["write_files"]}
    clip = entries["/etc/parkvakt/voice/warning_sv.wav"]
    assert clip["encoding"] == "b64"
    assert base64.b64decode(clip["content"]) == wav.read_bytes()
    if CLOUD_INIT:
        done = subprocess.run([CLOUD_INIT, "schema", "--config-file", str(boot / "user-data")], capture_output=True)
        assert done.returncode == 0, done.stdout


def test_first_boot_script_from_the_card_installs_the_bundled_release(
    card: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """The install half of the written first-boot script, run for real under a scratch root."""
    _, boot, _ = card
    doc = yaml.safe_load((boot / "user-data").read_text())
    script = next(e["content"] for e in doc["write_files"] if e["path"] == "/usr/local/sbin/parkvakt-bootstrap")
    root = tmp_path / "root"
    (root / "boot").mkdir(parents=True)
    (root / "boot" / "firmware").symlink_to(boot)
    done = subprocess.run(
        ["sh", "-c", script], env={"PATH": "/usr/bin:/bin", "PARKVAKT_ROOT": str(root)},
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "release 1.0.0 installed under" in done.stdout
    install_root = root / "opt" / "parkvakt"
    assert install.current_version(install_root) == "1.0.0"
    assert install.is_installed(install_root, "1.0.0")  # the agent recognises it as a whole release
    python = install_root / "current" / "venv" / "bin" / "python"
    ran = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('pvsvc'))"], capture_output=True, text=True
    )
    assert ran.stdout.strip() == "1.0.0"


def test_first_boot_script_refuses_a_release_altered_on_the_card(card: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, boot, artifact = card
    stored = boot / "parkvakt" / artifact.name
    stored.write_bytes(stored.read_bytes() + b"x")
    doc = yaml.safe_load((boot / "user-data").read_text())
    script = next(e["content"] for e in doc["write_files"] if e["path"] == "/usr/local/sbin/parkvakt-bootstrap")
    root = tmp_path / "root"
    (root / "boot").mkdir(parents=True)
    (root / "boot" / "firmware").symlink_to(boot)
    done = subprocess.run(["sh", "-c", script], env={"PATH": "/usr/bin:/bin", "PARKVAKT_ROOT": str(root)},
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "FAILED" in done.stdout  # sha256sum -c
    assert not (root / "opt").exists()
