"""The real UART driver against an emulated module on a real pseudo-terminal."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from hw.sensors import mlx90640 as proto
from hw.sensors.uart import Mlx90640UartSource
from tests.support.emulator import module_emulator


def frame_number(pixels: np.ndarray) -> int:
    return round(float(pixels[-1, -1]) * 100)


def read_frames(source: Mlx90640UartSource, count: int, budget_s: float = 20.0) -> list:
    frames = []
    end = time.monotonic() + budget_s
    while len(frames) < count and time.monotonic() < end:
        frame = source.read(timeout=0.5)
        if frame is not None:
            frames.append(frame)
    return frames


def test_clean_stream_arrives_intact_in_scene_orientation(tmp_path: Path) -> None:
    with module_emulator(tmp_path) as (port, _):
        source = Mlx90640UartSource(str(port), rate_hz=8, queue_depth=256)
        frames = read_frames(source, 20)
        source.close()
    assert len(frames) == 20
    numbers = [frame_number(f.pixels) for f in frames]
    assert numbers == list(range(numbers[0], numbers[0] + 20)), "frames lost or reordered"
    first = frames[0]
    assert first.pixels.shape == (24, 32) and first.pixels.dtype == np.float32
    # the hot spot is at the top-left of the scene although the module sends it mirrored
    assert first.pixels[:3, :3].min() == pytest.approx(60.0)
    assert first.pixels[0, 31] == pytest.approx(20.0, abs=0.01)
    assert first.pixels[5, 0] == pytest.approx(10.0, abs=0.01)
    assert first.ambient == pytest.approx(31.25)
    assert [f.seq for f in frames] == list(range(1, 21))
    assert source.health().frames_rejected == 0


def test_configures_the_module_on_open(tmp_path: Path) -> None:
    with module_emulator(tmp_path) as (port, _):
        source = Mlx90640UartSource(str(port), rate_hz=4, emissivity=0.93, queue_depth=256)
        assert read_frames(source, 2)
        source.close()
    log = (tmp_path / "commands.log").read_text().split()
    sent = [bytes.fromhex(log[i] + log[i + 1]) for i in range(0, len(log), 2)]
    assert sent[:3] == [b"\x25\x03", b"\x45\x5d", b"\x35\x02"]  # 4 Hz, ε = 0.93, continuous


def test_split_writes_garbage_and_bad_checksums(tmp_path: Path) -> None:
    script = [{"frames": 30, "split": True, "garbage": True, "corrupt": [3, 10, 11, 25]}, {"exit": True}]
    with module_emulator(tmp_path, script=script) as (port, proc):
        source = Mlx90640UartSource(str(port), rate_hz=8, queue_depth=256)
        frames = read_frames(source, 26, budget_s=15)
        proc.wait(timeout=10)
        source.read(timeout=0.2)
        health = source.health()
        source.close()
    numbers = [frame_number(f.pixels) for f in frames]
    assert numbers == [n for n in range(30) if n not in (3, 10, 11, 25)]
    assert all(f.pixels[:3, :3].min() == pytest.approx(60.0) for f in frames)
    assert health.errors_by_reason.get("bad-checksum") == 4
    assert health.frames_rejected == 4
    assert health.bytes_discarded > 0


def test_silent_port_is_noticed_and_frames_resume(tmp_path: Path) -> None:
    script = [{"frames": 5}, {"silence": 1.0}, {"frames": 5}, {"exit": True}]
    with module_emulator(tmp_path, script=script) as (port, _):
        source = Mlx90640UartSource(str(port), rate_hz=8, queue_depth=256)
        before = read_frames(source, 5)
        silent_seen = False
        after = []
        end = time.monotonic() + 10
        while len(after) < 5 and time.monotonic() < end:
            frame = source.read(timeout=0.1)
            if frame is None and not source.health().connected:
                silent_seen = True
            elif frame is not None:
                after.append(frame)
        health = source.health()
        source.close()
    assert len(before) == 5 and len(after) == 5
    assert silent_seen, "driver never noticed the silence"
    assert health.errors_by_reason.get("silent", 0) >= 1
    assert "silent or unplugged" in (health.last_error or "")
    assert health.reconnects >= 1
    # silence is noticed within two frame periods: the driver's own threshold
    assert source.silence_s == pytest.approx(2 / 8)


def test_unplugged_port_reconnects_when_module_returns(tmp_path: Path) -> None:
    script = [{"frames": 5}, {"unplug": 1.5}, {"frames": 20}, {"exit": True}]
    with module_emulator(tmp_path, script=script) as (port, _):
        source = Mlx90640UartSource(str(port), rate_hz=8, queue_depth=256, backoff_initial_s=0.1, backoff_max_s=0.4)
        frames = read_frames(source, 5)
        while not frames or frame_number(frames[-1].pixels) < 24:
            frame = source.read(timeout=5)
            assert frame is not None, "frames did not come back after the module was plugged in again"
            frames.append(frame)
        health = source.health()
        source.close()
    numbers = [frame_number(f.pixels) for f in frames]
    assert numbers[:5] == [0, 1, 2, 3, 4]
    resumed = numbers[5:]
    # what the module sent while the port was gone is gone; from the reconnect on, nothing is lost
    assert resumed == list(range(resumed[0], 25)) and resumed[0] <= 7
    assert health.reconnects >= 1
    assert health.errors_by_reason.get("port-error", 0) >= 1
    assert health.connected


def test_missing_port_never_raises(tmp_path: Path) -> None:
    source = Mlx90640UartSource(str(tmp_path / "no-such-tty"), rate_hz=8, backoff_initial_s=0.05)
    assert source.read(timeout=0.3) is None
    health = source.health()
    assert not health.connected
    assert "cannot open" in (health.last_error or "")
    assert health.errors_by_reason["open-failed"] >= 1


def test_socket_url_is_accepted(tmp_path: Path) -> None:
    """serial_for_url lets the same driver read a module bridged over TCP (ser2net)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    frame = np.full((24, 32), 21.5, dtype=np.float32)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(12)
            conn.sendall(proto.encode_frame(frame) * 3)
            time.sleep(0.5)

    threading.Thread(target=serve, daemon=True).start()
    source = Mlx90640UartSource(f"socket://127.0.0.1:{server.getsockname()[1]}", rate_hz=8, queue_depth=16)
    got = read_frames(source, 3, budget_s=5)
    source.close()
    server.close()
    assert len(got) == 3
    assert np.allclose(got[0].pixels, 21.5)
