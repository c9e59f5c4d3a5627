"""The encrypted part of a DC-09 message: AES-CBC with a zero IV, made unique by random padding.

Everything after the data field's ``[`` (data, ``]``, extended data and the mandatory
timestamp) is encrypted as ``<pad>|<body>``; the pad is random text that brings the length to a
multiple of 16 and, because the IV is fixed by the standard, is what makes two encryptions of
the same message differ. The result is sent as upper-case hex.
"""

from __future__ import annotations

import secrets
import string

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY_SIZES = (16, 24, 32)
BLOCK = 16
ZERO_IV = bytes(BLOCK)
_PAD_ALPHABET = string.ascii_letters + string.digits


class DecryptError(ValueError):
    """The hex text is not a ciphertext of this key (wrong key, damaged or forged message)."""


def check_key(key: bytes) -> bytes:
    if len(key) not in KEY_SIZES:
        raise ValueError(f"an AES key is 16, 24 or 32 bytes, not {len(key)}")
    return key


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(check_key(key)), modes.CBC(ZERO_IV))


def random_pad(body_length: int) -> str:
    """1 to 16 random characters (never ``|``, ``[`` or ``]``) so ``pad|body`` fills whole blocks."""
    n = BLOCK - (body_length + 1) % BLOCK
    return "".join(secrets.choice(_PAD_ALPHABET) for _ in range(n))


def seal(body: str, key: bytes, pad: str | None = None) -> str:
    """Encrypt ``<pad>|<body>``; ``pad`` is chosen at random unless a test fixes it."""
    pad = random_pad(len(body)) if pad is None else pad
    plain = f"{pad}|{body}".encode("ascii")
    if len(plain) % BLOCK:
        raise ValueError("pad does not fill the last block")
    enc = _cipher(key).encryptor()
    return (enc.update(plain) + enc.finalize()).hex().upper()


def unseal(cipher_hex: str, key: bytes) -> str:
    """Decrypt and drop the pad: the text after the first ``|`` that comes before the first ``]``.

    A receiver's encrypted ACK carries no data and some receivers pad it without a ``|``
    (``000…0]_HH:MM:SS,…``); then everything before the ``]`` is pad.
    """
    try:
        raw = bytes.fromhex(cipher_hex)
    except ValueError as exc:
        raise DecryptError("encrypted part is not hex") from exc
    if not raw or len(raw) % BLOCK:
        raise DecryptError(f"encrypted part is {len(raw)} bytes, not a whole number of AES blocks")
    dec = _cipher(key).decryptor()
    plain = dec.update(raw) + dec.finalize()
    try:
        text = plain.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptError("does not decrypt to text: wrong key or damaged message") from exc
    close = text.find("]")
    if close < 0:
        raise DecryptError("decrypted text has no ']': wrong key or damaged message")
    bar = text.find("|", 0, close)
    return text[bar + 1 :] if bar >= 0 else text[close:]
