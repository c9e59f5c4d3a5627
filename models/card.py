"""MODEL_CARD.md, written by ``models/train.py`` from the figures of the run that made the model,
so the card always describes the committed file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from firmware.pipeline.model import LABELS
from firmware.pipeline.patch import (
    DELTA_FULL_SCALE_C,
    DELTA_SCALE_C,
    MIN_WINDOW_PX,
    PATCH_SIZE,
    WINDOW_MARGIN,
)
from models.dataset import FPS, MAX_PER_CLASS_PER_RUN, RESOLUTIONS, SCENARIO_NAMES


def _table(matrix: list[list[int]]) -> str:
    head = "| true \\ predicted | " + " | ".join(LABELS) + " |"
    rule = "|---" * (len(LABELS) + 1) + "|"
    rows = [
        f"| **{label}** | " + " | ".join(str(v) for v in row) + " |" for label, row in zip(LABELS, matrix, strict=True)
    ]
    return "\n".join([head, rule, *rows])


def _per_class(per_class: dict[str, dict[str, float]]) -> str:
    lines = ["| class | precision | recall | held-out patches |", "|---|---|---|---|"]
    for label in LABELS:
        m = per_class[label]
        lines.append(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['support']} |")
    return "\n".join(lines)


def _real(real: dict[str, Any] | None) -> str:
    if real is None:
        return "The real recording (`../shared/data/real/mlx90641-warmup.npz`) was absent when this model was trained."
    if not real.get("frames"):
        return f"`{real['recording']}`: no blob above the foreground threshold was found, so nothing was classified."
    share = ", ".join(f"{label} {100 * v:.0f} %" for label, v in real["predicted_share"].items())
    return (
        f"`{real['recording']}` (Melexis MLX90641, 16×12, indoors; a seated person about 2–3 °C above the room, "
        f"half outside the left edge of the frame): on {real['frames']} frames after the person enters, the model "
        f"says {share}."
    )


def _reproduced(note: str | None) -> str:
    return f"\n\nChecked {note}" if note else ""


def _by_resolution(by_resolution: dict[str, Any] | None) -> str:
    if not by_resolution:
        return ""
    head = "| frame | accuracy | " + " | ".join(f"{label} recall" for label in LABELS) + " |"
    rule = "|---" * (len(LABELS) + 2) + "|"
    rows = [
        f"| {size} | {m['accuracy']:.3f} | " + " | ".join(f"{m['recall'][label]:.3f}" for label in LABELS) + " |"
        for size, m in by_resolution.items()
    ]
    return "By frame size (the same held-out runs):\n\n" + "\n".join([head, rule, *rows]) + "\n\n"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} {counts[label]}" for label in LABELS)


def render_card(report: dict[str, Any]) -> str:
    m = report["metrics"]
    every = sum(k for _, k in RESOLUTIONS)
    resolutions = ", ".join(f"{w}×{h} ({n} of every {every} runs)" for (h, w), n in RESOLUTIONS)
    train, held = report["train"], report["held_out"]
    seeds = (
        f"training seeds {train['seeds'][0]}–{train['seeds'][1]} (the first {train['runs']} used), "
        f"held-out seeds {held['seeds'][0]}–{held['seeds'][1]} (the first {held['runs']} used)"
    )
    value = f"asinh(Δ / {DELTA_SCALE_C} °C) / asinh({DELTA_FULL_SCALE_C} / {DELTA_SCALE_C})"
    return f"""# Parkvakt thermal object classifier — model card

| | |
|---|---|
| version | `{report["version"]}` (also in the file: TFLite metadata `parkvakt_version`) |
| file | `models/parkvakt.tflite`, {report["size_bytes"]} bytes |
| sha256 | `{report["sha256"]}` |
| labels | `models/labels.txt`: {", ".join(LABELS)} (output index order) |
| trained with | TensorFlow {report["tensorflow"]}, `models/train.py`, {report["train_seconds"]} s on this machine |
| data | {report["simulator"]}, {seeds} |

## Intended use

One opinion among several on what a tracked warm blob is, for the Parkvakt detection pipeline
(`firmware/pipeline`): it is combined with the track's physics (size for its place in the
image, temperature, speed, shape over time) and, for fire, with growth, persistence and
flicker. It is **not** meant to raise an alarm on its own, it knows nothing about motion or
time, and it has never seen a real outdoor scene. A missing or corrupt model is reported as a
`trouble` event and the unit runs on rules alone.

## Input and output

- Input: `[N, {PATCH_SIZE}, {PATCH_SIZE}, 1]` int8 (the runtime quantises; call
  `Classifier.predict(patches)` with float32 `[N, {PATCH_SIZE}, {PATCH_SIZE}]`). A patch is made by
  `firmware.pipeline.patch.extract_patch(pixels, background, bbox)`, the same function in training
  and on the unit: a square window {WINDOW_MARGIN}× the bbox's longer side (at least {MIN_WINDOW_PX} px)
  centred on it, resampled by area averaging, value = `{value}`
  where Δ is °C above the background; outside the frame counts as background. No absolute
  temperature reaches the model, so it does not depend on ambient.
- Output: `[N, {len(LABELS)}]` int8 softmax, dequantised and renormalised by `predict` to float32
  probabilities over {", ".join(LABELS)}.
- Batch size is dynamic; the runtime grows its input tensor to the next power of two.

## Data

Simulator scenarios {", ".join(f"`{n}`" for n in SCENARIO_NAMES)},
rendered at {FPS:g} Hz at {resolutions}.

For each frame, a background is learnt per pixel (exponential average, τ 60 s, not
learning under tracked objects: a stand-in for the pipeline's model, kept in `models/dataset.py`
so retraining does not depend on pipeline tuning). Each ground-truth object gets the bbox a blob
detector would draw (pixels more than 1.2 °C from the background near it), jittered by up to
~15 %, then `extract_patch`:

- **person**: every visible person (walking, loitering, with or without umbrella, near a barbecue);
- **vehicle**: cars while they move or run their engine (the simulator's label rule);
- **fire**: car fires once flames break out (a smouldering engine bay is left to the fire physics);
- **other**: cats, birds, barbecues, and foreground that belongs to no object (rain streaks,
  sun and cloud on roofs and asphalt, ghosts of cars that left, sensor noise and drift), plus
  plain background windows.

At most {MAX_PER_CLASS_PER_RUN} patches per class per run, chosen at random over the run. Training
patches are also mirrored left-right.

- training set: {_counts(train["counts"])} patches (before mirroring);
- held-out set: {_counts(held["counts"])} patches.

## Model and quantisation

Three 3×3 convolutions (8, 16, 32 channels, ReLU, two 2×2 max-pools), global average pooling,
dense 32, dense {len(LABELS)} softmax; trained with Adam and class weights balancing the classes.
Full-integer int8 post-training quantisation (weights, activations, input and output) with a
representative set of 500 training patches (TFLite builtins int8 only).

## Metrics on held-out simulator seeds

Patch accuracy {100 * m["accuracy"]:.1f} %, through the int8 model and the firmware's own loader.

{_per_class(m["per_class"])}

{_by_resolution(report.get("by_resolution"))}Confusion matrix (rows: truth, columns: model's top class):

{_table(m["confusion"])}

These are per-patch figures. Incident-level recall, false alarms per hour and time to detect of
the whole pipeline (model plus physics) are measured by `parkvakt eval` on seeds ≥ 1000 and
reported in `docs/performance.md`.

## Real sensor data

{_real(report.get("real_data"))}

## Limitations

- Trained on simulated frames only. The simulator's persons, cars and fires are boxes with
  physically based temperatures and mixed-pixel radiometry, not real silhouettes; the first real
  recordings from an outdoor unit are needed before trusting the model's margins.
- Real low-contrast scenes (the MLX90641 indoor recording: a person 2–3 °C above a warm room,
  cut by the frame edge) are far from the night-time outdoor lot the model mostly saw.
- One frame at a time: it cannot see flicker or growth; the fire detector's physics supply those.
- At 32×24 a distant person is 1–2 pixels wide and a small fire a single hot pixel: there the
  patch carries little shape and the physics matter more than the model. The smallest frames are
  the weakest (table above): at 16×12 a young fire looks much like a running engine.

## Reproducing

    python3 -m venv .venv-train && .venv-train/bin/pip install -e '.[train]'
    .venv-train/bin/python -m models.train          # rewrites the .tflite, .sha256, labels.txt, MODEL_CARD.md
    .venv-train/bin/python -m models.train --check  # retrains in a temporary folder, compares the hash

Data generation is seeded (scenario, seed and shape fix every frame and every sampled patch).
TensorFlow runs with `enable_op_determinism`, one thread and a fixed seed ({report["seed"]}), so on
the same CPU architecture, TensorFlow version ({report["tensorflow"]}) and simulator code the
float weights and therefore the int8 file come out **bit-identical** (checked with `--check`).
Another TensorFlow version or CPU (different oneDNN kernels) gives the same architecture and data
but weights equal only up to floating-point rounding, hence a different hash: `--check` then
says so, comparing the sha256 of the training patches and labels with the one in
`training-report.json`. The data depend on the simulator's code that renders frames and ground
truth (`hw/sim` but `suite.py` and `labels.py`, which only write evaluation suites and their
labels), fingerprinted above: a change there changes the patches and so the weights; retrain and
commit the new model, card and report together when that happens.{_reproduced(report.get("reproduced"))}
"""


def _sections(text: str) -> dict[str, str]:
    """``## heading`` → the section's text (heading included)."""
    parts = text.split("\n## ")
    return {part.split("\n", 1)[0]: "## " + part for part in parts[1:]}


def write_card(report: dict[str, Any], path: Path) -> None:
    """Render the card; sections others added to the existing card (e.g. the pipeline's own
    evaluation) are carried over at the end, unchanged."""
    card = render_card(report)
    if path.exists():
        ours = _sections(card)
        kept = [text for heading, text in _sections(path.read_text(encoding="utf-8")).items() if heading not in ours]
        if kept:
            card = card.rstrip("\n") + "\n\n" + "\n".join(t.rstrip("\n") + "\n" for t in kept)
    path.write_text(card, encoding="utf-8")
