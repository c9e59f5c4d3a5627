"""The module's frame parser on arbitrary bytes: only valid frames come out, the rest is counted."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hw.sensors import mlx90640 as proto

pixel_arrays = arrays(np.float32, (24, 32), elements=st.floats(-40.0, 300.0, width=32))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=3200), max_size=6))
def test_arbitrary_bytes_yield_only_valid_frames(chunks: list[bytes]) -> None:
    parser = proto.FrameParser()
    for chunk in chunks:
        for frame in parser.feed(chunk):
            # whatever came out must survive a round trip through the module's own encoding
            again = proto.decode_frame(proto.encode_frame(frame.pixels, frame.module_temperature))
            assert not isinstance(again, str)
            assert np.array_equal(again.pixels, frame.pixels)
    assert parser.frames_ok >= 0 and parser.frames_rejected >= 0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(pixel_arrays, min_size=1, max_size=4),
    st.lists(st.binary(max_size=200).map(lambda b: b.replace(b"\x5a", b"")), min_size=5, max_size=5),
    st.lists(st.integers(1, 1600), min_size=1, max_size=20),
)
def test_valid_frames_survive_garbage_and_any_split(
    frames: list[np.ndarray], junk: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(junk[i % len(junk)] + proto.encode_frame(f) for i, f in enumerate(frames)) + junk[-1]
    parser = proto.FrameParser()
    out = []
    pos = 0
    for cut in cuts:
        out += parser.feed(stream[pos : pos + cut])
        pos += cut
    out += parser.feed(stream[pos:])
    assert len(out) == len(frames)
    for got, want in zip(out, frames, strict=True):
        assert np.allclose(got.pixels, want, atol=0.005)
    assert parser.frames_rejected == 0


def test_corrupted_and_truncated_frames_are_counted_and_skipped() -> None:
    good = proto.encode_frame(np.full((24, 32), 20.0, dtype=np.float32))
    bad = proto.encode_frame(np.full((24, 32), 99.0, dtype=np.float32), corrupt=True)
    truncated = good[:700]
    parser = proto.FrameParser()
    out = parser.feed(good + bad + truncated + good + b"\x5a\x5a\x07\x00" + good)
    assert len(out) == 3
    assert all(np.allclose(f.pixels, 20.0) for f in out)
    assert parser.rejected == {"bad-checksum": 2, "bad-length": 1}


def test_command_encoding_matches_module_manual() -> None:
    assert proto.baud_command(460800) == bytes.fromhex("A5 15 03 BD")
    assert proto.baud_command(9600) == bytes.fromhex("A5 15 01 BB")
    assert proto.rate_command(8) == bytes.fromhex("A5 25 04 CE")
    assert proto.rate_command(0.5) == bytes.fromhex("A5 25 00 CA")
    assert proto.mode_command(continuous=True) == bytes.fromhex("A5 35 02 DC")
    assert proto.mode_command(continuous=False) == bytes.fromhex("A5 35 01 DB")
    assert proto.emissivity_command(0.95) == bytes.fromhex("A5 45 5F 49")
    with pytest.raises(ValueError):
        proto.emissivity_command(1.5)


def test_checksum_over_a_hand_built_frame() -> None:
    """Build a frame byte by byte from the manual's description, independent of encode_frame."""
    words = [0x5A5A, 0x0602] + [2000] * 768 + [2500]
    total = sum(words) & 0xFFFF
    raw = b"".join(w.to_bytes(2, "little") for w in words) + total.to_bytes(2, "little")
    decoded = proto.decode_frame(raw)
    assert not isinstance(decoded, str)
    assert np.allclose(decoded.pixels, 20.0)
    assert decoded.module_temperature == pytest.approx(25.0)
    assert raw == proto.encode_frame(np.full((24, 32), 20.0, dtype=np.float32), 25.0)


def test_parser_says_how_much_of_a_frame_is_still_to_come() -> None:
    frame = proto.encode_frame(np.full((24, 32), 20.0, dtype=np.float32))
    parser = proto.FrameParser()
    assert parser.bytes_wanted() == 1
    parser.feed(frame[:600])
    assert parser.bytes_wanted() == proto.FRAME_BYTES - 600
    assert len(parser.feed(frame[600:])) == 1
    assert parser.bytes_wanted() == 1
