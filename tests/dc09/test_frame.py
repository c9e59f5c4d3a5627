"""Framing, CRC and encryption of DC-09 messages, checked against vectors made by other code."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.uplink.dc09 import crypto, frame
from firmware.uplink.dc09.crc import crc16_arc


# Frames captured from alarm panels (a PROSEC panel's NULL poll and periodic test, a PIMA panel's
# Contact ID report) as quoted in public DC-09 receiver sources; their CRC and length were computed
# by the panels' firmware, not by this code.
def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


PANEL_FRAMES = [
    (
        b'\nF68B003B"ADM-CID"0028L0#9757[#9757|1602 00 000]_20:59:45,02-20-2024\r',
        frame.Message("ADM-CID", 28, "9757", None, "0", "#9757|1602 00 000", (), _utc(2024, 2, 20, 20, 59, 45)),
    ),
    (
        b'\nB0970029"NULL"0000L000#0809[]_21:00:01,02-20-2024\r',
        frame.Message("NULL", 0, "0809", None, "000", "", (), _utc(2024, 2, 20, 21, 0, 1)),
    ),
    (
        b'\n1F180041"ADM-CID"0003R1L0#111111[#111111|1306 01 000]_16:58:04,09-04-2026\r',
        frame.Message("ADM-CID", 3, "111111", "1", "0", "#111111|1306 01 000", (), _utc(2026, 9, 4, 16, 58, 4)),
    ),
]


def test_crc16_arc_standard_check_value() -> None:
    # the catalogue check value of CRC-16/ARC (poly 0x8005 reflected, init 0, no xorout)
    assert crc16_arc(b"123456789") == 0xBB3D
    assert crc16_arc(b"") == 0


@pytest.mark.parametrize(("wire", "fields"), PANEL_FRAMES)
def test_panel_frames_parse_and_rebuild_byte_for_byte(wire: bytes, fields: frame.Message) -> None:
    assert frame.parse(wire) == fields
    assert frame.build(fields) == wire


def test_encrypted_null_from_pysiaalarm_suite_decrypts() -> None:
    # pysiaalarm tests/test_sia_package_cases.py, case_null: key "AAAAAAAAAAAAAAAA" (as ASCII bytes)
    wire = b'76D80055"*NULL"0000R0L0#AAAB[B4BC8B40D0E6D959D6BEA78E88CC0B2155741A3C44FBB96D476A3E557CAD64D9'
    msg = frame.parse(wire, b"AAAAAAAAAAAAAAAA")
    assert (msg.token, msg.account, msg.encrypted, msg.data) == ("NULL", "AAAB", True, "")
    assert msg.timestamp == dt.datetime(2020, 7, 5, 18, 24, 52, tzinfo=dt.UTC)


def test_a_nak_with_its_fields_in_another_order_is_still_a_nak() -> None:
    # pysiaalarm answers a message it cannot parse with "L0R0A0" where DC-09 has "R0L0A0"
    body = '"NAK"0000L0R0A0[]_07:35:51,11-21-2026'
    msg = frame.parse(b"\n" + f"{crc16_arc(body.encode()):04X}{len(body):04X}{body}".encode() + b"\r")
    assert (msg.token, msg.seq, msg.timestamp) == ("NAK", 0, _utc(2026, 11, 21, 7, 35, 51))


def test_damaged_frames_are_rejected_with_the_reason() -> None:
    good = PANEL_FRAMES[0][0]
    with pytest.raises(frame.FrameError, match="CRC mismatch"):
        frame.parse(good.replace(b"1602", b"1603"))
    with pytest.raises(frame.FrameError, match="length"):
        frame.parse(good.replace(b"000]", b"0000]"))
    with pytest.raises(frame.FrameError):
        frame.parse(b"\n\r")
    with pytest.raises(frame.FrameError):
        frame.parse(b"garbage \xff\xfe that is long enough")


def test_wrong_key_or_no_key_is_an_error_not_garbage() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    msg = frame.Message("SIA-DCS", 7, "1234", data="#1234|Nri1/BA001", timestamp=now, encrypted=True)
    wire = frame.build(msg, bytes(16))
    with pytest.raises(frame.FrameError, match="no key"):
        frame.parse(wire)
    with pytest.raises(frame.FrameError, match=r"wrong key|not a whole"):
        frame.parse(wire, b"\x01" * 16)


def test_same_message_encrypts_differently_each_time() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    msg = frame.Message("SIA-DCS", 7, "1234", data="#1234|Nri1/FA001", timestamp=now, encrypted=True)
    assert frame.build(msg, bytes(32)) != frame.build(msg, bytes(32))


def test_build_refuses_fields_a_receiver_would_misread() -> None:
    with pytest.raises(ValueError, match="sequence"):
        frame.build(frame.Message("SIA-DCS", 10000, "1234"))
    with pytest.raises(ValueError, match="account"):
        frame.build(frame.Message("SIA-DCS", 1, "12"))
    with pytest.raises(ValueError, match="data"):
        frame.build(frame.Message("SIA-DCS", 1, "123", data="a]b"))
    with pytest.raises(ValueError, match="key"):
        frame.build(frame.Message("SIA-DCS", 1, "123", timestamp=dt.datetime.now(dt.UTC), encrypted=True))
    with pytest.raises(ValueError, match="16, 24 or 32"):
        crypto.check_key(b"short")


hex_digits = st.text("0123456789ABCDEF", min_size=1, max_size=6)
data_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="[]"), max_size=80)
timestamps = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0, tzinfo=dt.UTC)
)


@given(
    token=st.sampled_from(["SIA-DCS", "ADM-CID", "NULL", "ACK", "DUH"]),
    seq=st.integers(0, 9999),
    account=st.text("0123456789ABCDEF", min_size=3, max_size=16),
    receiver=st.none() | hex_digits,
    line=st.none() | hex_digits,
    data=data_text,
    extended=st.lists(data_text, max_size=2).map(tuple),
    timestamp=st.none() | timestamps,
    key=st.none() | st.sampled_from([16, 24, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
)
def test_build_then_parse_gives_back_the_fields(
    token: str,
    seq: int,
    account: str,
    receiver: str | None,
    line: str | None,
    data: str,
    extended: tuple[str, ...],
    timestamp: dt.datetime | None,
    key: bytes | None,
) -> None:
    encrypted = key is not None
    if encrypted and timestamp is None:
        timestamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    msg = frame.Message(token, seq, account, receiver, line, data, extended, timestamp, encrypted)
    wire = frame.build(msg, key)
    assert wire.startswith(b"\n") and wire.endswith(b"\r")
    assert frame.parse(wire, key) == msg


def test_routing_sends_alarms_trouble_and_tests_but_not_vehicles_or_disarmed_persons() -> None:
    from firmware.events import Event
    from firmware.uplink.dc09.routing import dc09_wants

    for kind, phase in [
        ("fire", "start"),
        ("fire", "end"),
        ("tamper", "start"),
        ("trouble", "instant"),
        ("selftest", "instant"),
        ("person", "start"),
    ]:
        assert dc09_wants(Event(kind, phase, 0.0)), kind  # type: ignore[arg-type]
    assert not dc09_wants(Event("vehicle", "start", 0.0))
    assert not dc09_wants(Event("motion", "instant", 0.0))
    assert not dc09_wants(Event("person", "start", 0.0, detail={"armed": False}))
    assert not dc09_wants(Event("person", "start", 0.0), armed=False)  # the policy says disarmed
    assert dc09_wants(Event("person", "end", 0.0, detail={"armed": False}), armed=True)
    assert dc09_wants(Event("fire", "start", 0.0), armed=False)  # fire goes out armed or not
