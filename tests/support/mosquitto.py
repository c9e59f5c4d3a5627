"""A real mosquitto broker for tests, on free ports, with a PKI generated per test session.

Use it from any test folder::

    from tests.support.mosquitto import Mosquitto, make_pki

    def test_something(tmp_path):
        with Mosquitto(tmp_path / "broker") as broker:
            ...  # broker.port (plain), broker.tls_port (TLS), broker.mtls_port (mTLS)
            broker.stop()      # an outage: no client can take its ports meanwhile (see free_port)
            broker.start()     # back on the same ports, persistent sessions kept

or take the ``mosquitto`` fixture (function scope; needs ``tests.support.mosquitto`` listed in a
``conftest.py`` as ``pytest_plugins``, or import the fixture there).

Three listeners, all on 127.0.0.1:

* ``port``: plain MQTT; anonymous unless ``passwords`` is given.
* ``tls_port``: TLS with the generated server certificate (SAN ``localhost`` and ``127.0.0.1``);
  clients verify it against ``pki.ca_cert``. Anonymous unless ``passwords`` is given.
* ``mtls_port``: TLS that *requires* a client certificate signed by the same CA
  (``require_certificate``, ``use_identity_as_username``); ``pki.client_cert``/``pki.client_key``
  is one (CN ``client``); ``make_client_cert`` issues more.

``passwords`` (``{user: password}``) is hashed into a password file with ``mosquitto_passwd``.
Persistence is on (in the work folder), so a subscriber with ``clean_session=False`` keeps its
session and queued QoS 1 messages across ``stop()``/``start()``. The broker's log is
``workdir/mosquitto.log``; ``log_text()`` returns it for assertion messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")

requires_mosquitto = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed (apt: mosquitto)")


@dataclass(frozen=True)
class Pki:
    """Paths of a generated CA and the server and client certificates it signed (PEM)."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _issue(
    subject: str,
    ca_cert: x509.Certificate | None,
    ca_key: ec.EllipticCurvePrivateKey | None,
    *,
    is_ca: bool = False,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(ca_cert.subject if ca_cert is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    signer = ca_key if ca_key is not None else key
    return builder.sign(signer, hashes.SHA256()), key


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_pki(directory: Path) -> Pki:
    """A fresh CA with a server certificate for localhost/127.0.0.1 and a client certificate (CN ``client``)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _issue("Parkvakt test CA", None, None, is_ca=True)
    server_cert, server_key = _issue("localhost", ca_cert, ca_key, server=True)
    client_cert, client_key = _issue("client", ca_cert, ca_key)
    pki = Pki(
        directory=directory,
        ca_cert=directory / "ca.crt",
        ca_key=directory / "ca.key",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        client_cert=directory / "client.crt",
        client_key=directory / "client.key",
    )
    _write_cert(pki.ca_cert, ca_cert)
    _write_key(pki.ca_key, ca_key)
    _write_cert(pki.server_cert, server_cert)
    _write_key(pki.server_key, server_key)
    _write_cert(pki.client_cert, client_cert)
    _write_key(pki.client_key, client_key)
    return pki


def make_client_cert(pki: Pki, common_name: str, directory: Path | None = None) -> tuple[Path, Path]:
    """Another client certificate signed by ``pki``'s CA; returns ``(cert, key)`` paths."""
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    cert, key = _issue(common_name, ca_cert, ca_key)
    out = directory or pki.directory
    cert_path, key_path = out / f"{common_name}.crt", out / f"{common_name}.key"
    _write_cert(cert_path, cert)
    _write_key(key_path, key)
    return cert_path, key_path


def _ephemeral_range() -> tuple[int, int]:
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    return 32768, 60999


_handed_out: set[int] = set()


def free_port() -> int:
    """A free port *outside* the kernel's ephemeral range, never the same one twice in a session.

    A broker that is stopped for an outage and started again needs its ports back. A port the
    kernel handed out by ``bind(0)`` is an ephemeral one, and while the broker is down the kernel
    may give it to a client as its source port, or a client reconnecting to it may connect to
    itself (TCP simultaneous open); either way the restart fails with "Address already in use".
    Ports below the ephemeral range are never handed out that way.

    A port is free here only until its broker binds it, so one broker's three listeners (or a
    stopped broker's ports) could be picked again by chance; the set of ports already handed out
    rules that out.
    """
    low, high = _ephemeral_range()
    candidates = list(range(10_000, low)) if low > 11_000 else list(range(high + 1, 65_536))
    candidates = [port for port in candidates if port not in _handed_out]
    for port in random.sample(candidates, k=min(200, len(candidates))):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port outside the ephemeral range")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Mosquitto:
    """One mosquitto process with plain, TLS and mTLS listeners; see the module docstring."""

    def __init__(
        self,
        workdir: Path,
        *,
        passwords: dict[str, str] | None = None,
        pki: Pki | None = None,
        max_queued_messages: int = 200_000,
    ) -> None:
        if MOSQUITTO is None:
            pytest.skip("mosquitto is not installed (apt: mosquitto)")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.pki = pki or make_pki(workdir / "pki")
        self.passwords = dict(passwords or {})
        self.port = free_port()
        self.tls_port = free_port()
        self.mtls_port = free_port()
        self.config_path = workdir / "mosquitto.conf"
        self.log_path = workdir / "mosquitto.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config(max_queued_messages)

    def _write_config(self, max_queued_messages: int) -> None:
        auth = ["allow_anonymous true"]
        if self.passwords:
            if MOSQUITTO_PASSWD is None:
                pytest.skip("mosquitto_passwd is not installed (apt: mosquitto)")
            pwfile = self.workdir / "passwd"
            pwfile.write_text("")
            pwfile.chmod(0o600)
            for user, password in self.passwords.items():
                subprocess.run([MOSQUITTO_PASSWD, "-b", str(pwfile), user, password], check=True, capture_output=True)
            auth = ["allow_anonymous false", f"password_file {pwfile}"]
        tls = [f"cafile {self.pki.ca_cert}", f"certfile {self.pki.server_cert}", f"keyfile {self.pki.server_key}"]
        lines = [
            "per_listener_settings true",
            # as root, mosquitto would switch to its own user, who cannot read the test's files
            *(["user root"] if os.geteuid() == 0 else []),
            "persistence true",
            f"persistence_location {self.workdir}/",
            f"max_queued_messages {max_queued_messages}",
            "max_inflight_messages 100",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            f"log_dest file {self.log_path}",
            f"listener {self.port} 127.0.0.1",
            *auth,
            f"listener {self.tls_port} 127.0.0.1",
            *auth,
            *tls,
            f"listener {self.mtls_port} 127.0.0.1",
            "allow_anonymous true",
            "require_certificate true",
            "use_identity_as_username true",
            *tls,
        ]
        self.config_path.write_text("\n".join(lines) + "\n")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart after ``stop``) on the same ports; returns once every listener accepts."""
        if self.running:
            return
        assert MOSQUITTO is not None
        self._proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self._proc.returncode}: {err}\n{self.log_text()}")
            if all(_port_open(p) for p in (self.port, self.tls_port, self.mtls_port)):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not open its ports within {timeout} s\n{self.log_text()}")

    def stop(self, *, kill: bool = False) -> None:
        """End the broker: SIGTERM (saves persistent sessions) or, with ``kill``, SIGKILL (a crash)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGKILL)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A running broker for one test (plain, TLS and mTLS listeners; see ``Mosquitto``)."""
    with Mosquitto(tmp_path / "mosquitto") as broker:
        yield broker
