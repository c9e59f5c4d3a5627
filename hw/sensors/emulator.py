"""An emulated GY-MCU90640 module: writes byte-exact frames to a serial port or a pseudo-terminal.

Used by the tests and the hardware-in-the-loop rig to drive the real UART driver. Run as a
process::

    python -m hw.sensors.emulator --pty --link /tmp/mlx0 --pattern --rate 8 [--script FAULTS.json]

With ``--pty`` it opens a pseudo-terminal and prints the path of its slave side (the unit's
"serial port") as the first line on stdout. A fault script is a JSON list of steps run in
order, after which it streams clean frames until the source ends:

- ``{"frames": N, "split": true, "garbage": true, "corrupt": [i, ...]}``: N frames, written in
  random small pieces, with random junk between frames, frames at the listed indices (0-based
  within the step) sent with a broken checksum;
- ``{"silence": S}``: send nothing for S seconds;
- ``{"unplug": S}``: close the port (the reader sees the device vanish), come back after S seconds
  on a new pty (``--link`` is repointed atomically);
- ``{"noise": S}``: S seconds of random bytes at the line rate and no valid frame;
- ``{"exit": true}``: stop.

Each step's start is printed on stdout as ``step NAME MONOTONIC_TIME``.

Commands the module receives (``A5 CMD VAL SUM``) are applied (rate, mode) and logged to
``--command-log`` as hex lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import sys
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from hw.sensors import mlx90640 as proto

_RATE_BY_CODE = {code: rate for rate, code in proto.RATE_CODES.items()}


def pattern_frames() -> Iterator[np.ndarray]:
    """Frames whose content tells where they came from and in what order.

    A hot 3×3 spot sits at the scene's top-left, a gradient runs left to right, and the
    bottom-right pixel holds the frame number × 0.01 °C (modulo 30000).
    """
    base = np.tile(np.linspace(10.0, 20.0, proto.COLS, dtype=np.float32), (proto.ROWS, 1))
    base[:3, :3] = 60.0
    k = 0
    while True:
        frame = base.copy()
        frame[-1, -1] = (k % 30000) * 0.01
        yield frame
        k += 1


def recording_frames(path: str, loop: bool) -> Iterator[np.ndarray]:
    from hw.recording import load_recording

    rec = load_recording(path)
    if rec.frames.shape[1:] != (proto.ROWS, proto.COLS):
        raise SystemExit(f"{path}: frames are {rec.frames.shape[1:]}, the MLX90640 module sends 24x32")
    while True:
        yield from rec.frames
        if not loop:
            return


def scenario_frames(name: str, seed: int) -> Iterator[np.ndarray]:
    from hw.frame import EndOfStream
    from hw.sim.source import SimSource

    source = SimSource(name, seed=seed, realtime=False, shape=(proto.ROWS, proto.COLS))
    while True:
        try:
            frame = source.read()
        except EndOfStream:
            return
        if frame is not None:
            yield frame.pixels


class ModuleEmulator:
    def __init__(
        self,
        frames: Iterator[np.ndarray],
        *,
        rate_hz: float,
        link: Path | None = None,
        command_log: Path | None = None,
        seed: int = 0,
    ) -> None:
        self.frames = frames
        self.rate_hz = rate_hz
        self.link = link
        self.command_log = command_log.open("a", buffering=1) if command_log else None
        self.rng = random.Random(seed)
        self.continuous = True
        self.queries = 0
        self._cmd_buf = bytearray()
        self._commands_seen = 0
        self.master: int | None = None
        self.slave_path = ""

    # --- the port ----------------------------------------------------------------------

    def open_pty(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)
        # our copy of the slave keeps the pty alive between readers; the driver opens its own
        self._slave_fd = slave
        self.master = master
        self.slave_path = os.ttyname(slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".tmp")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.slave_path)
            os.replace(tmp, self.link)
        return self.slave_path

    def unplug(self) -> None:
        if self.master is not None:
            os.close(self.master)
            os.close(self._slave_fd)
            self.master = None
        if self.link is not None:
            self.link.unlink(missing_ok=True)

    def _write(self, data: bytes) -> None:
        assert self.master is not None
        view = memoryview(data)
        while view:
            _, writable, _ = select.select([], [self.master], [], 1.0)
            if not writable:
                continue  # nobody is reading: a real module would overrun its own buffer too
            n = os.write(self.master, view)
            view = view[n:]

    def _poll_commands(self) -> None:
        if self.master is None:
            return
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 256)
            except OSError:
                return
            if not chunk:
                return
            self._cmd_buf += chunk
        buf = self._cmd_buf
        while len(buf) >= 4:
            start = buf.find(b"\xa5")
            if start < 0:
                buf.clear()
                break
            del buf[:start]
            if len(buf) < 4:
                break
            parsed = proto.parse_command(bytes(buf[:4]))
            if parsed is None:
                del buf[:1]
                continue
            del buf[:4]
            self._apply(*parsed)

    def _apply(self, cmd: int, value: int) -> None:
        self._commands_seen += 1
        if self.command_log:
            self.command_log.write(f"{cmd:02x} {value:02x}\n")
        if cmd == proto.CMD_RATE and value in _RATE_BY_CODE:
            self.rate_hz = max(self.rate_hz, _RATE_BY_CODE[value])
        elif cmd == proto.CMD_MODE:
            if value == proto.MODE_QUERY:
                self.continuous = False
                self.queries += 1
            elif value == proto.MODE_CONTINUOUS:
                self.continuous = True

    # --- streaming ---------------------------------------------------------------------

    def _send_frame(self, pixels: np.ndarray, *, split: bool, garbage: bool, corrupt: bool) -> None:
        data = proto.encode_frame(pixels, module_temperature=31.25, corrupt=corrupt)
        if garbage:
            junk = bytes(self.rng.choice(range(256)) for _ in range(self.rng.randint(1, 40)))
            data = junk.replace(b"\x5a", b"\x00") + data
        if not split:
            self._write(data)
            return
        pos = 0
        while pos < len(data):
            n = self.rng.randint(1, 300)
            self._write(data[pos : pos + n])
            pos += n
            time.sleep(self.rng.random() * 0.002)

    def stream(
        self, count: int | None, *, split: bool = False, garbage: bool = False, corrupt: frozenset[int] = frozenset()
    ) -> bool:
        """Send ``count`` frames (``None``: until the source ends); False when the source ran out."""
        sent = 0
        next_at = time.monotonic()
        while count is None or sent < count:
            self._poll_commands()
            if not self.continuous:
                if self.queries == 0:
                    time.sleep(0.005)
                    continue
                self.queries -= 1
            try:
                pixels = next(self.frames)
            except StopIteration:
                return False
            self._send_frame(pixels, split=split, garbage=garbage, corrupt=sent in corrupt)
            sent += 1
            next_at += 1.0 / self.rate_hz
            time.sleep(max(0.0, next_at - time.monotonic()))
        return True

    def wait_for_command(self) -> None:
        """Hold frames until the host has sent a command, i.e. has opened and configured the port."""
        while self._commands_seen == 0:
            self._poll_commands()
            time.sleep(0.005)

    def run(self, script: list[dict[str, Any]]) -> None:
        for step in script:
            name = next(iter(step))
            print(f"step {name} {time.monotonic():.6f}", flush=True)
            if "frames" in step:
                more = self.stream(
                    int(step["frames"]),
                    split=bool(step.get("split")),
                    garbage=bool(step.get("garbage")),
                    corrupt=frozenset(step.get("corrupt", [])),
                )
                if not more:
                    return
            elif "silence" in step:
                end = time.monotonic() + float(step["silence"])
                while time.monotonic() < end:
                    self._poll_commands()
                    time.sleep(0.01)
            elif "noise" in step:
                end = time.monotonic() + float(step["noise"])
                while time.monotonic() < end:
                    self._poll_commands()
                    self._write(self.rng.randbytes(proto.FRAME_BYTES // 8))
                    time.sleep(1.0 / self.rate_hz / 8)
            elif "unplug" in step:
                self.unplug()
                time.sleep(float(step["unplug"]))
                print(self.open_pty(), flush=True)
            elif step.get("exit"):
                return
            else:
                raise SystemExit(f"unknown script step {step}")
        self.stream(None)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="open a pseudo-terminal and print its path")
    where.add_argument("--port", help="write to this serial port or URL instead (e.g. a USB-UART on a rig)")
    ap.add_argument("--link", type=Path, help="keep a symlink to the pty here (survives unplug)")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--pattern", action="store_true", help="numbered test-pattern frames")
    what.add_argument("--recording", help="frames of a 24x32 recording (.npz)")
    what.add_argument("--scenario", help="frames of a simulator scenario")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--loop", action="store_true", help="repeat the recording")
    ap.add_argument("--rate", type=float, default=8.0, help="frames per second")
    ap.add_argument("--baud", type=int, default=460800)
    ap.add_argument("--script", type=Path, help="JSON fault script (see module docstring)")
    ap.add_argument("--command-log", type=Path)
    ap.add_argument("--wait-for-command", action="store_true", help="send nothing until the host configures us")
    args = ap.parse_args(argv)

    if args.pattern:
        frames = pattern_frames()
    elif args.recording:
        frames = recording_frames(args.recording, args.loop)
    else:
        frames = scenario_frames(args.scenario, args.seed)
    emu = ModuleEmulator(frames, rate_hz=args.rate, link=args.link, command_log=args.command_log, seed=args.seed)
    if args.pty:
        print(emu.open_pty(), flush=True)
    else:
        import serial

        port = serial.serial_for_url(args.port, baudrate=args.baud, timeout=0)
        emu.master = port.fileno()
    script = json.loads(args.script.read_text()) if args.script else []
    try:
        if args.wait_for_command:
            emu.wait_for_command()
        print(f"streaming {time.monotonic():.6f}", flush=True)
        emu.run(script)
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
