"""``parkvakt sim``: write a simulated recording with its labels, or list the scenarios."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

EXIT_BAD_INPUT = 2
MAX_RECORDING_BYTES = 3 << 29  # 1.5 GiB of frames: one recording is held in memory while it is written


def _shape(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected HxW, e.g. 24x32") from None
    if (h, w) not in {(24, 32), (60, 80), (120, 160)}:
        raise click.BadParameter(f"{value!r}: supported shapes are 24x32, 60x80, 120x160")
    return h, w


@click.command("sim")
@click.argument("scenario", required=False)
@click.option("--list", "list_only", is_flag=True, help="list the scenarios and exit")
@click.option("--seconds", type=click.FloatRange(min=0.125), help="length (default: the scenario's own)")
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="< 1000 training, >= 1000 evaluation"
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="NAME.npz to write")
@click.option("--shape", default="24x32", show_default=True, callback=_shape, help="HxW")
@click.option("--fps", type=click.FloatRange(min=0.5, max=64.0), default=8.0, show_default=True)
def command(
    scenario: str | None,
    list_only: bool,
    seconds: float | None,
    seed: int,
    out: Path | None,
    shape: tuple[int, int],
    fps: float,
) -> None:
    """Simulate SCENARIO on the parking lot and write NAME.npz plus NAME.labels.json."""
    from hw.recording import save_labels, save_recording
    from hw.sim import SCENARIOS, Scenario, UnknownScenario

    if list_only:
        width = max(map(len, SCENARIOS))
        for name, spec in SCENARIOS.items():
            click.echo(f"{name:<{width}}  {spec.length_s:>5.0f} s  {spec.description}")
        return
    if not scenario or out is None:
        raise click.UsageError("give a SCENARIO and --out NAME.npz (or --list)")
    if out.suffix != ".npz":
        raise click.UsageError(f"--out {out}: the recording must end in .npz")
    try:
        sc = Scenario(scenario, seed=seed, shape=shape)
    except UnknownScenario as exc:
        click.echo(f"parkvakt sim: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    n_frames = sc.frame_count(seconds, fps)
    size = n_frames * shape[0] * shape[1] * 4
    if size > MAX_RECORDING_BYTES:
        raise click.UsageError(
            f"{n_frames} frames of {shape[1]}x{shape[0]} would need {size / 2**30:.1f} GiB "
            f"in memory; use fewer --seconds or a smaller --shape (or python -m hw.sim.suite, which writes hours)"
        )
    labels = sc.labels(seconds, fps=fps)
    rec = sc.recording(seconds, fps=fps)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        save_recording(out, rec)
        save_labels(out, labels)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(str(out) + ".tmp.npz").unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from exc
    kinds = ", ".join(f"{e.type} {e.start:g}-{'end' if e.end is None else f'{e.end:g}'} s" for e in labels) or "none"
    click.echo(
        f"{out}: {len(rec.frames)} frames {shape[1]}x{shape[0]} at {fps:g} Hz, {rec.duration:.1f} s; labels: {kinds}"
    )
