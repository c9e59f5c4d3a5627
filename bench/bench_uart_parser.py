"""Throughput of the MLX90640 frame parser against the module's fastest wire rate.

    .venv/bin/python bench/bench_uart_parser.py [--frames 3000] [--repeat 5]

At 460800 baud (8N1) the module can send at most 46,080 bytes/s (~29.8 frames/s). The parser
must keep up with 100× that on one core. Baseline in the same run: the least any parser must do
with the same bytes, a header search plus a numpy view of each frame, with no checks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

from hw.sensors import mlx90640 as proto

WIRE_BYTES_PER_S = 460800 / 10


def make_stream(n_frames: int, *, garbage: bool, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(n_frames):
        if garbage:
            parts.append(bytes(rng.integers(0, 0x59, size=int(rng.integers(0, 64)), dtype=np.uint8)))
        parts.append(proto.encode_frame(rng.normal(20, 5, (24, 32)).astype(np.float32)))
    return b"".join(parts)


def chunked(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos, i = [], 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        out.append(data[pos : pos + n])
        pos += n
        i += 1
    return out


def run_parser(chunks: list[bytes]) -> int:
    parser = proto.FrameParser()
    n = 0
    for chunk in chunks:
        n += len(parser.feed(chunk))
    return n


def run_baseline(chunks: list[bytes]) -> int:
    buf = bytearray()
    n = 0
    for chunk in chunks:
        buf += chunk
        pos = 0
        while True:
            start = buf.find(proto.HEADER, pos)
            if start < 0 or len(buf) - start < proto.FRAME_BYTES:
                break
            np.frombuffer(buf, dtype="<i2", count=768, offset=start + 4)
            n += 1
            pos = start + proto.FRAME_BYTES
        del buf[:pos]
    return n


def measure(fn: Callable[[list[bytes]], int], chunks: list[bytes], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(chunks)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(2)
    # a 20 ms read at 460800 baud returns ~920 bytes; vary it the way a real port does
    sizes = [rng.randint(64, 2048) for _ in range(97)]
    print(f"{'case':<34} {'MB/s':>8} {'frames/s':>10} {'x 460800 baud':>14}")
    for garbage in (False, True):
        data = make_stream(args.frames, garbage=garbage)
        chunks = chunked(data, sizes)
        assert run_parser(chunks) == args.frames
        for name, fn in (("parser", run_parser), ("baseline: find + view, no checks", run_baseline)):
            if garbage and fn is run_baseline:
                continue
            secs = measure(fn, chunks, args.repeat)
            rate = len(data) / secs
            label = f"{name}{' (junk between frames)' if garbage else ''}"
            print(f"{label:<34} {rate / 1e6:>8.2f} {args.frames / secs:>10.0f} {rate / WIRE_BYTES_PER_S:>14.0f}")


if __name__ == "__main__":
    main()
