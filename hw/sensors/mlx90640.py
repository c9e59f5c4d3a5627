"""The GY-MCU90640-style module's serial protocol: frame parsing and command encoding.

A frame is 1544 bytes: ``5A 5A``, the data length ``02 06`` (0x0602 little-endian), 768 pixels
as int16 LE in 0.01 °C, the module's own temperature (int16 LE, 0.01 °C), then a checksum: the
sum of the first 771 little-endian 16-bit words truncated to 16 bits, stored LE. Pixel 0 is the
top-RIGHT of the scene (the image arrives mirrored), in rows of 32.

Commands are 4 bytes ``A5 CMD VAL SUM8`` with ``SUM8 = (0xA5 + CMD + VAL) & 0xFF``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

ROWS: Final = 24
COLS: Final = 32
PIXELS: Final = ROWS * COLS
FRAME_BYTES: Final = 1544
HEADER: Final = b"\x5a\x5a"
LENGTH_FIELD: Final = b"\x02\x06"
_CHECKED_WORDS: Final = 771  # header, length, 768 pixels, module temperature

BAUD_CODES: Final = {9600: 0x01, 115200: 0x02, 460800: 0x03}
RATE_CODES: Final = {0.5: 0x00, 1.0: 0x01, 2.0: 0x02, 4.0: 0x03, 8.0: 0x04}
CMD_BAUD: Final = 0x15
CMD_RATE: Final = 0x25
CMD_MODE: Final = 0x35
CMD_EMISSIVITY: Final = 0x45
MODE_QUERY: Final = 0x01
MODE_CONTINUOUS: Final = 0x02

# the most bytes kept while hunting for a header; more than one frame of junk is discarded
_MAX_BUFFER: Final = 4 * FRAME_BYTES


@dataclass(frozen=True, slots=True)
class ModuleFrame:
    """One decoded frame, already in scene orientation (row 0 top, column 0 left)."""

    pixels: np.ndarray  # float32 [24, 32] °C
    module_temperature: float


def command(cmd: int, value: int) -> bytes:
    if not (0 <= cmd <= 0xFF and 0 <= value <= 0xFF):
        raise ValueError(f"command bytes out of range: {cmd:#x} {value:#x}")
    return bytes((0xA5, cmd, value, (0xA5 + cmd + value) & 0xFF))


def baud_command(baud: int) -> bytes:
    return command(CMD_BAUD, BAUD_CODES[baud])


def rate_command(rate_hz: float) -> bytes:
    return command(CMD_RATE, RATE_CODES[float(rate_hz)])


def mode_command(continuous: bool = True) -> bytes:
    return command(CMD_MODE, MODE_CONTINUOUS if continuous else MODE_QUERY)


def emissivity_command(emissivity: float) -> bytes:
    value = round(emissivity * 100)
    if not 1 <= value <= 100:
        raise ValueError(f"emissivity {emissivity} outside 0.01..1.00")
    return command(CMD_EMISSIVITY, value)


def parse_command(packet: bytes) -> tuple[int, int] | None:
    """``(cmd, value)`` of a 4-byte command packet, or ``None`` when it is not a valid one."""
    if len(packet) != 4 or packet[0] != 0xA5 or (0xA5 + packet[1] + packet[2]) & 0xFF != packet[3]:
        return None
    return packet[1], packet[2]


def checksum(words: np.ndarray) -> int:
    return int(words[:_CHECKED_WORDS].sum(dtype=np.uint32)) & 0xFFFF


def encode_frame(pixels: np.ndarray, module_temperature: float = 25.0, *, corrupt: bool = False) -> bytes:
    """Byte-exact module frame for scene-oriented ``pixels`` [24, 32] °C (what the module sends).

    ``corrupt=True`` flips the checksum, for emulating a damaged frame.
    """
    if pixels.shape != (ROWS, COLS):
        raise ValueError(f"pixels must be {ROWS}x{COLS}, got {pixels.shape}")
    raw = np.empty(_CHECKED_WORDS + 1, dtype="<u2")
    raw[0] = 0x5A5A
    raw[1] = 0x0602
    centi = np.clip(np.rint(pixels[:, ::-1] * 100.0), -32768, 32767).astype("<i2")
    raw[2 : 2 + PIXELS] = centi.reshape(-1).view("<u2")
    raw[2 + PIXELS] = np.array([round(module_temperature * 100)], dtype="<i2").view("<u2")[0]
    raw[_CHECKED_WORDS] = checksum(raw) ^ (0xFFFF if corrupt else 0)
    return raw.tobytes()


def decode_frame(frame: bytes | bytearray | memoryview) -> ModuleFrame | str:
    """The frame, or the reason it is rejected."""
    if len(frame) != FRAME_BYTES:
        return "bad-length"
    words = np.frombuffer(frame, dtype="<u2")
    if words[0] != 0x5A5A or words[1] != 0x0602:
        return "bad-header"
    if checksum(words) != int(words[_CHECKED_WORDS]):
        return "bad-checksum"
    signed = words.view("<i2")
    pixels = signed[2 : 2 + PIXELS].reshape(ROWS, COLS)[:, ::-1].astype(np.float32) * np.float32(0.01)
    return ModuleFrame(pixels=pixels, module_temperature=float(signed[2 + PIXELS]) * 0.01)


@dataclass
class FrameParser:
    """Incremental parser: feed it whatever the port gave, get whole valid frames back.

    It resynchronises on garbage and split reads. Bad frames are counted in ``rejected`` by
    reason and never raised; bytes skipped while hunting for a header are counted in
    ``bytes_discarded``.
    """

    frames_ok: int = 0
    bytes_discarded: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    _buf: bytearray = field(default_factory=bytearray, repr=False)

    @property
    def frames_rejected(self) -> int:
        return sum(self.rejected.values())

    def bytes_wanted(self) -> int:
        """How many more bytes complete the frame under way (1 when none is), so a reader can ask
        the port for the rest of a frame in one call instead of waking for every few bytes."""
        buf = self._buf
        if len(buf) >= 2 and buf[:2] == HEADER:
            return max(1, FRAME_BYTES - len(buf))
        return 1

    def reset(self) -> None:
        """Forget a partial frame (after a reconnect the rest of it will never come)."""
        self.bytes_discarded += len(self._buf)
        self._buf.clear()

    def _reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def feed(self, data: bytes | bytearray | memoryview) -> list[ModuleFrame]:
        buf = self._buf
        buf += data
        out: list[ModuleFrame] = []
        pos = 0
        while True:
            start = buf.find(HEADER, pos)
            if start < 0:
                # keep a trailing 0x5A: it may be the first half of the next header
                keep_from = len(buf) - 1 if buf.endswith(b"\x5a") else len(buf)
                self.bytes_discarded += keep_from - pos
                pos = keep_from
                break
            self.bytes_discarded += start - pos
            pos = start
            if len(buf) - pos < 4:
                break
            if buf[pos + 2 : pos + 4] != LENGTH_FIELD:
                if buf[pos + 2] == 0x5A:  # "5A 5A 5A 02 06": the header starts one byte later
                    self.bytes_discarded += 1
                else:
                    self._reject("bad-length")
                pos += 1
                continue
            if len(buf) - pos < FRAME_BYTES:
                break
            decoded = decode_frame(memoryview(buf)[pos : pos + FRAME_BYTES])
            if isinstance(decoded, str):
                # a damaged or truncated frame: the next header may lie inside it
                self._reject(decoded)
                pos += 2
                continue
            out.append(decoded)
            self.frames_ok += 1
            pos += FRAME_BYTES
        del buf[:pos]
        if len(buf) > _MAX_BUFFER:
            self.bytes_discarded += len(buf) - FRAME_BYTES
            del buf[: len(buf) - FRAME_BYTES]
        return out
