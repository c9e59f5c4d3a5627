"""The unit's birth record: what ``parkvakt-provision unit verify`` compares with the site's records.

``{"unit", "fingerprint", "config_sha256", "firmware", "model"}``: the unit id, the SHA-256 of its
client certificate's public key (same as ``provisioning.keys.fingerprint``), the SHA-256 of the
config file's bytes, the firmware version and the model's SHA-256. The uplink publishes it retained
on ``<prefix>/<unit>/birth`` and returns it from the ``status`` command.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from firmware import __version__
from firmware.config.schema import UnitConfig

BUNDLED_MODEL = Path(__file__).resolve().parents[2] / "models" / "parkvakt.tflite"


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def cert_fingerprint(cert_path: Path) -> str | None:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return None
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def birth_record(config_path: Path, cfg: UnitConfig) -> dict[str, Any]:
    model = Path(cfg.detection.model) if cfg.detection.model else BUNDLED_MODEL
    return {
        "unit": cfg.unit.id,
        "fingerprint": cert_fingerprint(cfg.mqtt.cert) if cfg.mqtt.cert else None,
        "config_sha256": _sha256(config_path),
        "firmware": __version__,
        "model": _sha256(model),
    }
