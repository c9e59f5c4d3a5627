"""``parkvakt eval PATH...``: recall, false alarms and time-to-detect over labelled recordings.

The matching rule is in :mod:`firmware.evaluation.matching`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from firmware.config import ConfigError, load_config, parse_config

EXIT_BAD_INPUT = 2


@click.command("eval")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="unit config (TOML)")
@click.option("--json", "as_json", is_flag=True, help="print the summary and per-recording results as JSON")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path, dir_okay=False), help="write a PNG here")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="recordings in parallel")
def command(
    paths: tuple[Path, ...], config_path: Path | None, as_json: bool, plot_path: Path | None, jobs: int
) -> None:
    """Evaluate detection on recordings (files, or folders searched for .npz with .labels.json)."""
    from firmware.evaluation.matching import RecordingResult
    from firmware.evaluation.metrics import summarise, table
    from firmware.evaluation.runner import EvalInputError, discover, evaluate

    try:
        config = load_config(config_path) if config_path else parse_config({"unit": {"id": "eval"}})
        files = discover(list(paths))
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except EvalInputError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    results: list[RecordingResult] = []
    failed: list[str] = []
    for path, result, problem in evaluate(files, config, jobs=jobs):
        if result is None:
            failed.append(f"{path}: {problem}")
            click.echo(f"{path}: skipped, cannot be evaluated: {problem}", err=True)
            continue
        results.append(result)
    if not results:
        click.echo("no recording could be evaluated", err=True)
        sys.exit(EXIT_BAD_INPUT)
    summary = summarise(results)
    if as_json:
        body = {
            "summary": summary.to_dict(),
            "recordings": [
                {
                    "name": r.name,
                    "duration_s": r.duration_s,
                    "labels": [
                        {
                            "type": lb.type,
                            "start": lb.start,
                            "end": lb.end,
                            "detected": lb.detected,
                            "ttd_s": lb.time_to_detect,
                        }
                        for lb in r.labels
                    ],
                    "false_alarms": [{"type": ty, "t": t} for ty, t in r.false_alarms],
                    "starts": [{"type": ty, "t": t} for ty, t in r.starts],
                }
                for r in results
            ],
            "failed": failed,
        }
        click.echo(json.dumps(body, indent=1))
    else:
        click.echo(table(summary))
    if plot_path is not None:
        from firmware.evaluation.plot import render

        render(results, plot_path)
    if failed:
        sys.exit(1)
