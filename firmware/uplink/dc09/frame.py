"""Building and parsing DC-09 messages and the receiver's ACK, NAK and DUH answers.

On the wire a message is ``LF CRC 0LLL "TOKEN"SEQ Rrcvr Lline #acct [data][x…]_HH:MM:SS,MM-DD-YYYY CR``:
CRC is CRC-16/ARC and ``0LLL`` the length, both in upper-case hex over the span from the first
``"`` to before CR. With a key the token gets a ``*`` and everything after ``[`` is encrypted
(see ``crypto``). Timestamps are UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from firmware.uplink.dc09 import crypto
from firmware.uplink.dc09.crc import crc16_arc

LF = b"\n"
CR = b"\r"
MAX_SPAN = 0xFFF
TIMESTAMP_FORMAT = "%H:%M:%S,%m-%d-%Y"
MESSAGE_TOKENS = frozenset({"SIA-DCS", "ADM-CID", "NULL"})
ANSWER_TOKENS = frozenset({"ACK", "NAK", "DUH", "RSP"})

_HEX = re.compile(r"[0-9A-Fa-f]+")
_HEADER = re.compile(
    r'"(?P<enc>\*)?(?P<token>[A-Z][A-Z-]*)"(?P<seq>\d{4})'
    r"(?:R(?P<receiver>[0-9A-Fa-f]{1,6}?))?"
    r"(?:L(?P<line>[0-9A-Fa-f]{1,6}?))?"
    r"(?:#(?P<account>[0-9A-Fa-f]{3,16})|A0)?"
    r"\[(?P<rest>.*)",
    re.DOTALL,
)
# receivers write the fields of a NAK in varying order (``R0L0A0``, ``L0R0A0``); only its time matters
_ANY_NAK = re.compile(r'"(?P<token>NAK)"(?P<seq>\d{4})[0-9A-Za-z#]*\[(?P<rest>.*)', re.DOTALL)
_EXTENDED = re.compile(r"\[([^\[\]]*)\]")
_TIMESTAMP = re.compile(r"_(\d{2}:\d{2}:\d{2},\d{2}-\d{2}-\d{4})")


class FrameError(ValueError):
    """Bytes that are not a valid DC-09 message; the text says what is wrong."""


@dataclass(frozen=True)
class Message:
    """One DC-09 message or answer. ``data`` is the text between ``[`` and ``]``."""

    token: str
    seq: int
    account: str | None
    receiver: str | None = "0"
    line: str | None = "0"
    data: str = ""
    extended: tuple[str, ...] = ()
    timestamp: dt.datetime | None = None
    encrypted: bool = False


def format_timestamp(when: dt.datetime) -> str:
    return "_" + when.astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT)


def _check_field(name: str, value: str | None, lo: int, hi: int) -> None:
    if value is not None and not (lo <= len(value) <= hi and _HEX.fullmatch(value)):
        raise ValueError(f"{name} must be {lo} to {hi} hex digits, not {value!r}")


def _check_text(name: str, value: str) -> None:
    if not value.isascii() or not value.isprintable() or "[" in value or "]" in value:
        raise ValueError(f"{name} must be printable ASCII without '[' or ']': {value!r}")


def build(msg: Message, key: bytes | None = None, *, pad: str | None = None) -> bytes:
    """The framed bytes of ``msg``; encrypted (``*`` token) when ``msg.encrypted``, which needs ``key``."""
    if not 0 <= msg.seq <= 9999:
        raise ValueError(f"sequence must be 0000-9999, not {msg.seq}")
    _check_field("account", msg.account, 3, 16)
    _check_field("receiver", msg.receiver, 1, 6)
    _check_field("line", msg.line, 1, 6)
    _check_text("data", msg.data)
    for x in msg.extended:
        _check_text("extended data", x)
    header = f'"{"*" if msg.encrypted else ""}{msg.token}"{msg.seq:04d}'
    header += f"R{msg.receiver}" if msg.receiver is not None else ""
    header += f"L{msg.line}" if msg.line is not None else ""
    header += f"#{msg.account}" if msg.account is not None else ""
    body = msg.data + "]" + "".join(f"[{x}]" for x in msg.extended)
    body += format_timestamp(msg.timestamp) if msg.timestamp is not None else ""
    if msg.encrypted:
        if key is None:
            raise ValueError("an encrypted message needs a key")
        if msg.timestamp is None:
            raise ValueError("an encrypted message must carry a timestamp")
        body = crypto.seal(body, key, pad)
    span = (header + "[" + body).encode("ascii")
    if len(span) > MAX_SPAN:
        raise ValueError(f"message is {len(span)} bytes, longer than {MAX_SPAN}")
    return LF + f"{crc16_arc(span):04X}{len(span):04X}".encode("ascii") + span + CR


def _parse_body(body: str) -> tuple[str, tuple[str, ...], dt.datetime | None]:
    close = body.find("]")
    if close < 0:
        raise FrameError("data field has no closing ']'")
    data, pos, extended = body[:close], close + 1, []
    while (m := _EXTENDED.match(body, pos)) is not None:
        extended.append(m.group(1))
        pos = m.end()
    timestamp = None
    if pos < len(body):
        m = _TIMESTAMP.fullmatch(body, pos)
        if m is None:
            raise FrameError(f"unexpected text after the data: {body[pos:]!r}")
        try:
            timestamp = dt.datetime.strptime(m.group(1), TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError as exc:
            raise FrameError(f"impossible timestamp {m.group(1)!r}") from exc
    return data, tuple(extended), timestamp


def parse(raw: bytes, key: bytes | None = None) -> Message:
    """Check CRC and length, decrypt with ``key`` when the token has ``*``, and split the fields."""
    frame = raw.removeprefix(LF).removesuffix(CR)
    if len(frame) < 9:
        raise FrameError(f"too short for a DC-09 message: {raw!r}")
    try:
        text = frame.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FrameError("not ASCII") from exc
    crc_text, len_text, span = text[:4], text[4:8], text[8:]
    if not (_HEX.fullmatch(crc_text) and _HEX.fullmatch(len_text)):
        raise FrameError(f"no CRC and length in front: {text[:8]!r}")
    if int(len_text, 16) != len(span):
        raise FrameError(f"length field says {int(len_text, 16)}, message has {len(span)}")
    if int(crc_text, 16) != crc16_arc(span.encode("ascii")):
        raise FrameError(f"CRC mismatch: sent {crc_text}, computed {crc16_arc(span.encode('ascii')):04X}")
    m = _HEADER.fullmatch(span)
    if m is None:
        nak = _ANY_NAK.fullmatch(span)
        if nak is None:
            raise FrameError(f"not a DC-09 message: {span!r}")
        data, extended, timestamp = _parse_body(nak["rest"])
        return Message("NAK", int(nak["seq"]), None, None, None, data, extended, timestamp)
    encrypted = m["enc"] is not None
    rest = m["rest"]
    if encrypted:
        if key is None:
            raise FrameError("encrypted message but no key for this account")
        try:
            rest = crypto.unseal(rest, key)
        except crypto.DecryptError as exc:
            raise FrameError(str(exc)) from exc
    data, extended, timestamp = _parse_body(rest)
    return Message(
        token=m["token"],
        seq=int(m["seq"]),
        account=m["account"],
        receiver=m["receiver"],
        line=m["line"],
        data=data,
        extended=extended,
        timestamp=timestamp,
        encrypted=encrypted,
    )
