"""Draw what ``parkvakt replay`` printed as a timeline: one lane per incident type and output.

    parkvakt replay REC.npz --config unit.toml > replay.jsonl
    python -m firmware.policy.timeline [--title=TEXT] replay.jsonl > timeline.svg   # --text: terminal

Input is replay's JSON lines (``kind`` = ``event`` or ``action``); output an SVG (no dependency)
or a plain-text chart. Used for the picture in ``docs/deterrence.md``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

LANE_H = 26
LEFT = 110
WIDTH = 900
COLOURS = {"person": "#4c78a8", "vehicle": "#72b7b2", "fire": "#e45756", "floodlight": "#f2cf5b",
           "strobe": "#b279a2", "siren": "#e45756", "voice": "#54a24b"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Bar:
    lane: str
    start: float
    end: float
    label: str = ""


def bars_from_lines(lines: Iterable[str]) -> tuple[list[Bar], float]:
    """Intervals per lane: incidents from start to end events, outputs from on to off actions."""
    open_at: dict[str, tuple[str, float]] = {}
    bars: list[Bar] = []
    end_t = 0.0
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        row = json.loads(line)
        t = float(row["t"])
        end_t = max(end_t, t)
        if row["kind"] == "event":
            key = f"event:{row['id']}"
            if row["phase"] == "start":
                open_at[key] = (row["type"], t)
            elif row["phase"] == "end" and key in open_at:
                lane, start = open_at.pop(key)
                bars.append(Bar(lane, start, t, "incident"))
        elif row["kind"] == "action":
            output, state = row["output"], row["state"]
            if output == "voice":
                bars.append(Bar("voice", t, t + 8.0, "warning"))
            elif state == "off" and output in open_at:
                _, start = open_at.pop(output)
                bars.append(Bar(output, start, t, ""))
            elif state != "off":
                open_at[output] = (output, t)
    for key, (lane, start) in open_at.items():
        bars.append(Bar(lane if key.startswith("event:") else key, start, end_t, "still on"))
    return bars, end_t


def lanes_of(bars: list[Bar]) -> list[str]:
    order = ["fire", "person", "vehicle", "motion", "tamper", "floodlight", "voice", "strobe", "siren"]
    present = {b.lane for b in bars}
    return [lane for lane in order if lane in present] + sorted(present - set(order))


def render_svg(bars: list[Bar], end_t: float, title: str = "") -> str:
    lanes = lanes_of(bars)
    span = max(end_t, 1.0)
    scale = (WIDTH - LEFT - 20) / span
    height = 40 + LANE_H * len(lanes) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-weight="bold">{escape(title)}</text>',
    ]
    for i, lane in enumerate(lanes):
        y = 30 + i * LANE_H
        out.append(f'<text x="10" y="{y + 16}">{escape(lane)}</text>')
        out.append(f'<line x1="{LEFT}" y1="{y + LANE_H - 2}" x2="{WIDTH - 20}" y2="{y + LANE_H - 2}" stroke="#ddd"/>')
        for bar in (b for b in bars if b.lane == lane):
            x, w = LEFT + bar.start * scale, max((bar.end - bar.start) * scale, 2.0)
            colour = COLOURS.get(lane, "#999")
            tip = f"{lane} {bar.start:.1f}-{bar.end:.1f} s"
            out.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{LANE_H - 10}" fill="{colour}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            out.append(f'<text x="{x + 2:.1f}" y="{y + 2}" font-size="9">{bar.start:.0f}</text>')
    axis_y = 30 + LANE_H * len(lanes) + 12
    step = 30 if span <= 400 else 60
    for s in range(0, int(span) + 1, step):
        x = LEFT + s * scale
        out.append(f'<text x="{x:.1f}" y="{axis_y}" text-anchor="middle" font-size="10">{s} s</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_text(bars: list[Bar], end_t: float, width: int = 72) -> str:
    span = max(end_t, 1.0)
    rows = []
    for lane in lanes_of(bars):
        cells = [" "] * width
        for bar in (b for b in bars if b.lane == lane):
            first = int(bar.start / span * (width - 1))
            last = max(first, int(bar.end / span * (width - 1)))
            for c in range(first, last + 1):
                cells[c] = "#" if lane != "voice" else ">"
        rows.append(f"{lane:>10} |{''.join(cells)}|")
    rows.append(f"{'':>10}  0 s{'':{width - 10}}{span:.0f} s")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    text = "--text" in argv
    titles = [a.removeprefix("--title=") for a in argv if a.startswith("--title=")]
    paths = [a for a in argv if not a.startswith("--")]
    if len(paths) != 1:
        print("usage: python -m firmware.policy.timeline [--text] [--title=TEXT] REPLAY.jsonl", file=sys.stderr)
        return 2
    try:
        with open(paths[0], encoding="utf-8") as f:
            bars, end_t = bars_from_lines(f)
    except (OSError, ValueError, KeyError) as exc:
        print(f"timeline: {paths[0]}: not replay output: {exc}", file=sys.stderr)
        return 1
    title = titles[0] if titles else paths[0]
    sys.stdout.write(render_text(bars, end_t) if text else render_svg(bars, end_t, title=title))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
