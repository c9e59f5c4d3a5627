"""``eval --plot``: time-to-detect distribution and a timeline per recording, as one PNG.

Drawn with Pillow (already a runtime dependency) rather than matplotlib: a few boxes and lines
do not need a plotting stack on the unit.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from firmware.evaluation.matching import SCORED_TYPES, RecordingResult

COLOURS: dict[str, tuple[int, int, int]] = {
    "fire": (214, 39, 40),
    "person": (31, 119, 180),
    "vehicle": (44, 160, 44),
    "motion": (150, 150, 150),
    "tamper": (148, 103, 189),
    "trouble": (140, 86, 75),
}
WIDTH = 1000
HIST_H = 260
ROW_H = 18
MARGIN = 60
NAME_W = 170
MAX_TIMELINES = 200


def _histogram(draw: ImageDraw.ImageDraw, results: list[RecordingResult], top: int) -> None:
    ttd = {
        t: [lb.time_to_detect for r in results for lb in r.labels if lb.type == t and lb.time_to_detect is not None]
        for t in SCORED_TYPES
    }
    values = [v for vs in ttd.values() for v in vs]
    draw.text((MARGIN, top), "time to detect (event t - label start), s", fill=(0, 0, 0))
    x0, y0, x1, y1 = MARGIN, top + 20, WIDTH - MARGIN, top + HIST_H - 30
    draw.line([(x0, y1), (x1, y1)], fill=(0, 0, 0))
    draw.line([(x0, y0), (x0, y1)], fill=(0, 0, 0))
    if not values:
        draw.text((x0 + 10, y0 + 10), "no detections", fill=(0, 0, 0))
        return
    hi = max(1.0, max(values))
    lo = min(0.0, min(values))
    bins = 40
    width = (hi - lo) / bins
    counts = {t: [0] * bins for t in SCORED_TYPES}
    for t, vs in ttd.items():
        for v in vs:
            counts[t][min(bins - 1, int((v - lo) / width))] += 1
    peak = max(sum(c[i] for c in counts.values()) for i in range(bins)) or 1
    bar_w = (x1 - x0) / bins
    for i in range(bins):
        base = y1
        for t in SCORED_TYPES:
            n = counts[t][i]
            if not n:
                continue
            h = (y1 - y0) * n / peak
            draw.rectangle([x0 + i * bar_w + 1, base - h, x0 + (i + 1) * bar_w - 1, base], fill=COLOURS[t])
            base -= h
    for k in range(6):
        v = lo + (hi - lo) * k / 5
        x = x0 + (x1 - x0) * k / 5
        draw.text((x - 8, y1 + 4), f"{v:.1f}", fill=(0, 0, 0))
    draw.text((x0 - 40, y0), str(peak), fill=(0, 0, 0))
    for j, t in enumerate(SCORED_TYPES):
        draw.rectangle([x1 - 120, y0 + j * 16, x1 - 110, y0 + j * 16 + 10], fill=COLOURS[t])
        draw.text((x1 - 104, y0 + j * 16 - 2), t, fill=(0, 0, 0))


def _timelines(draw: ImageDraw.ImageDraw, results: list[RecordingResult], top: int) -> None:
    draw.text(
        (MARGIN, top), "timeline per recording: labels as bars, event starts as ticks (x = false alarm)", fill=(0, 0, 0)
    )
    x0, x1 = MARGIN + NAME_W, WIDTH - MARGIN
    for row, r in enumerate(results[:MAX_TIMELINES]):
        y = top + 20 + row * ROW_H
        draw.text((MARGIN, y + 2), r.name[:26], fill=(0, 0, 0))
        scale = (x1 - x0) / max(r.duration_s, 1e-6)
        draw.line([(x0, y + ROW_H / 2), (x1, y + ROW_H / 2)], fill=(200, 200, 200))
        for lb in r.labels:
            draw.rectangle([x0 + lb.start * scale, y + 5, x0 + lb.end * scale, y + ROW_H - 5], fill=COLOURS[lb.type])
        false = set(r.false_alarms)
        for type_, t in r.starts:
            x = x0 + t * scale
            colour = COLOURS.get(type_, (0, 0, 0))
            if (type_, t) in false:
                draw.line([(x - 4, y + 2), (x + 4, y + ROW_H - 2)], fill=colour, width=2)
                draw.line([(x - 4, y + ROW_H - 2), (x + 4, y + 2)], fill=colour, width=2)
            else:
                draw.line([(x, y + 1), (x, y + ROW_H - 1)], fill=colour, width=2)


def render(results: list[RecordingResult], path: Path) -> None:
    rows = min(len(results), MAX_TIMELINES)
    height = HIST_H + 40 + rows * ROW_H + 40
    image = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    _histogram(draw, results, 10)
    _timelines(draw, results, HIST_H + 20)
    image.save(path, format="PNG")
