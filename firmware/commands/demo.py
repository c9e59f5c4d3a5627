"""``parkvakt demo``: a simulated parking lot at night through the real code path, in the terminal.

The simulator's ``demo`` scenario (a person loitering, a car arriving with a hot engine, then a
car fire) feeds the real pipeline and policy (``build_engine``) with gpiozero mock pins; events
go into a real outbox in a temporary state directory; no broker or hardware is needed. It ends
by itself with a summary (``--loop`` keeps it going). When stdout is not a terminal it prints
plain lines, so it works in CI and in tests.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from firmware.config import ConfigError, UnitConfig, load_config, parse_config

DEMO_SCENARIO = "demo"
DEMO_SEED = 1


def demo_config(state_dir: Path, *, realtime: bool) -> UnitConfig:
    """The demo unit: the simulated camera, the default policy, no uplink."""
    return parse_config(
        {
            "unit": {"id": "demo-1", "name": "Demo lot", "state_dir": str(state_dir)},
            "sensor": {"type": "sim", "scenario": DEMO_SCENARIO, "seed": DEMO_SEED, "realtime": realtime},
            "mqtt": {"enabled": False},
            "detection": {
                "zones": [
                    {"name": "lot", "polygon": [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], "loiter_s": 20},
                    # never processed: shows how a mask looks in the view (dimmed, grey edge)
                    {
                        "name": "neighbour-windows",
                        "kind": "mask",
                        "polygon": [[0.75, 0.0], [1.0, 0.0], [1.0, 0.12], [0.75, 0.12]],
                    },
                ]
            },
        },
        "<demo>",
    )


@click.command("demo")
@click.option("--loop", is_flag=True, help="start the story again when it ends")
@click.option("--fast", is_flag=True, help="as fast as the machine goes instead of in real time")
@click.option("--seconds", type=float, default=None, help="length of the story (default: the scenario's own)")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="use this unit config instead of the built-in demo unit",
)
def command(loop: bool, fast: bool, seconds: float | None, config_path: Path | None) -> None:
    """A simulated parking lot at night: person, car with a hot engine, car fire; live, then a summary."""
    with tempfile.TemporaryDirectory(prefix="parkvakt-demo-") as tmp:
        state_dir = Path(tmp)
        try:
            config = load_config(config_path) if config_path else demo_config(state_dir, realtime=not fast)
        except ConfigError as exc:
            click.echo(exc.report(), err=True)
            sys.exit(2)
        if config_path:
            config = config.model_copy(update={"sensor": config.sensor.model_copy(update={"realtime": not fast})})
        sys.exit(run_demo(config, state_dir, loop=loop, seconds=seconds))


def run_demo(config: UnitConfig, state_dir: Path, *, loop: bool, seconds: float | None) -> int:
    from gpiozero.pins.mock import MockFactory

    from firmware.engine import StepResult, build_engine
    from firmware.uplink.outbox import Outbox
    from firmware.view.runner import EngineRunner
    from firmware.view.snapshot import ViewState
    from firmware.view.summary import summarise
    from hw.sim.source import SimSource

    sensor = config.sensor
    engine = build_engine(config, pin_factory=MockFactory())
    state = ViewState(config.detection.zones, f"sim: {sensor.scenario} (seed {sensor.seed})")
    outbox: dict[str, Any] = {}

    def open_source() -> SimSource:
        return SimSource(sensor.scenario, seed=sensor.seed, seconds=seconds, realtime=sensor.realtime)

    def store(result: StepResult) -> None:
        # the outbox is SQLite: open it in the thread that uses it
        if "box" not in outbox:
            outbox["box"] = Outbox(state_dir / "outbox.sqlite", unit=config.unit.id)
        for event in result.events:
            outbox["box"].put(event, sinks=("mqtt",))

    def stored() -> int:
        return outbox["box"].depth() if "box" in outbox else 0

    labels = open_source().scenario.labels(seconds)
    interactive = sys.stdout.isatty()
    if not interactive:
        from firmware.view.plain import PlainPrinter

        printer = PlainPrinter()

        def on_result(result: StepResult) -> None:
            store(result)
            printer.on_result(result)

        runner = EngineRunner(
            open_source, engine, state, on_snapshot=printer.on_snapshot, on_result=on_result, loop=loop
        )
        try:
            record = runner.run_here()
        except KeyboardInterrupt:
            record = runner.record
        finally:
            _close(engine)
        click.echo(summarise(record, labels, stored_events=stored(), state_dir=state_dir))
        return 0

    from firmware.view.app import ViewApp

    app = ViewApp("demo: a parking lot at night (simulated)", on_pause=None)
    runner = EngineRunner(
        open_source,
        engine,
        state,
        on_result=store,
        loop=loop,
        on_snapshot=lambda snap: app.call_from_thread(app.show, snap),
    )
    app._on_pause = lambda paused: runner.paused.set() if paused else runner.paused.clear()

    def watch_end() -> None:
        runner.done.wait()
        text = summarise(runner.record, labels, stored_events=stored(), state_dir=state_dir)
        app.call_from_thread(app.show_summary, text)
        app.call_from_thread(app.set_timer, 15.0, app.exit)

    def start() -> None:
        import threading

        runner.start()
        threading.Thread(target=watch_end, daemon=True).start()

    app.call_later(start)
    app.run()
    runner.stop()
    runner.join(5)
    _close(engine)
    click.echo(summarise(runner.record, labels, stored_events=stored(), state_dir=state_dir))
    return 0


def _close(engine: Any) -> None:
    close = getattr(engine.policy, "close", None)
    if close is not None:
        close()
