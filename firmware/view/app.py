"""The textual live view: the heatmap on the left, what the unit knows and does on the right.

Keys: arrows move the cursor (its temperature is shown), mouse over the image does the same,
``space`` pauses, ``+``/``-`` zoom, ``q`` quits.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from firmware.view.heatmap import CLASS_COLOURS, ZONE_COLOURS, Heatmap, colour_bar
from firmware.view.snapshot import ViewSnapshot

OUTPUT_ON = {"on", "pulse", "blink", "strobe", "play"}


class ThermalImage(Static):
    """The heatmap; knows its scale so mouse positions map back to sensor pixels."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.scale = 2
        self.auto_scale = True

    def fit_scale(self, shape: tuple[int, int]) -> int:
        if not self.auto_scale:
            return self.scale
        h, w = shape
        cols, lines = max(1, self.size.width), max(1, self.size.height - 1)
        self.scale = max(1, min(8, cols // w, (lines * 2) // h))
        return self.scale

    def on_mouse_move(self, event: events.MouseMove) -> None:
        app = self.app
        if isinstance(app, ViewApp) and app.snapshot is not None:
            app.cursor = (int(event.y * 2 // self.scale), int(event.x // self.scale))
            app.redraw()


class ViewApp(App[None]):
    TITLE = "Parkvakt live view"
    CSS = """
    #image { width: 2fr; height: 1fr; }
    #side { width: 1fr; min-width: 44; height: 1fr; }
    #info, #outputs, #tracks, #events { border: round $primary; height: auto; padding: 0 1; }
    #events { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        Binding("space", "pause", "pause"),
        Binding("plus,equals_sign", "zoom(1)", "zoom in"),
        Binding("minus", "zoom(-1)", "zoom out"),
        Binding("up", "move(-1,0)", show=False),
        Binding("down", "move(1,0)", show=False),
        Binding("left", "move(0,-1)", show=False),
        Binding("right", "move(0,1)", show=False),
    ]

    def __init__(self, title: str = "", *, on_pause: object = None) -> None:
        super().__init__()
        if title:
            self.sub_title = title
        self.snapshot: ViewSnapshot | None = None
        self.cursor: tuple[int, int] | None = None
        self.paused = False
        self.summary: str | None = None
        self._on_pause = on_pause

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield ThermalImage(id="image")
            with Vertical(id="side"):
                yield Static(id="info")
                yield Static(id="outputs")
                yield Static(id="tracks")
                yield Static(id="events")
        yield Footer()

    # called from the engine thread through call_from_thread
    def show(self, snapshot: ViewSnapshot) -> None:
        self.snapshot = snapshot
        if self.cursor is None:
            h, w = snapshot.pixels.shape
            self.cursor = (h // 2, w // 2)
        self.redraw()

    def show_summary(self, text: str) -> None:
        self.summary = text
        self.redraw()

    def redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        image = self.query_one(ThermalImage)
        scale = image.fit_scale(snap.pixels.shape)
        heat = Heatmap(snap.pixels, scale=scale, overlays=snap.overlays(self.cursor))
        bar = Text.assemble(*[(s.text, s.style) for s in colour_bar(heat.lo, heat.hi, width=min(32, heat.size[0]))])
        image.update(Group(heat, bar))
        self.query_one("#info", Static).update(self._info(snap))
        self.query_one("#outputs", Static).update(self._outputs(snap))
        self.query_one("#tracks", Static).update(self._tracks(snap))
        self.query_one("#events", Static).update(self._events(snap))

    def _info(self, snap: ViewSnapshot) -> Text:
        row, col, hot = snap.hottest
        text = Text()
        text.append(f"{snap.source}\n", style="bold")
        h, w = snap.pixels.shape
        text.append(f"frame {snap.seq}  t={snap.t:.1f} s  {snap.fps:.1f} fps  {w}×{h}\n")
        text.append("hottest ", style="bold")
        text.append(f"{hot:6.1f} °C at ({col},{row})\n", style="white")
        if self.cursor is not None:
            at = snap.temperature_at(*self.cursor)
            if at is not None:
                text.append("cursor  ", style="bold green")
                text.append(f"{at:6.1f} °C at ({self.cursor[1]},{self.cursor[0]})\n")
        armed = {True: ("ARMED", "bold red"), False: ("disarmed", "green"), None: ("no policy", "dim")}[snap.armed]
        text.append("policy  ")
        text.append(armed[0], style=armed[1])
        if snap.zones:
            text.append("\nzones   ")
            for i, (name, _) in enumerate(snap.zones):
                r, g, b = ZONE_COLOURS[i % len(ZONE_COLOURS)]
                text.append(f"▭ {name} ", style=f"rgb({r},{g},{b})")
        if snap.masks:
            text.append(f"\nmasks   {len(snap.masks)} (dimmed, never processed)", style="grey62")
        if self.paused:
            text.append("\nPAUSED", style="bold yellow")
        if self.summary:
            text.append("\n" + self.summary, style="bold")
        return text

    def _outputs(self, snap: ViewSnapshot) -> Text:
        text = Text()
        if not snap.outputs:
            return Text("outputs: all off", style="dim")
        for name, state in sorted(snap.outputs.items()):
            on = state.split(" ", 1)[0] in OUTPUT_ON
            text.append(f"{name:<12}")
            text.append(f"● {state}\n" if on else f"○ {state}\n", style="bold red" if on else "dim")
        return text

    def _tracks(self, snap: ViewSnapshot) -> Text:
        text = Text()
        if not snap.tracks:
            text.append("no tracks", style="dim")
        for tr in snap.tracks:
            r, g, b = CLASS_COLOURS.get(tr.label, CLASS_COLOURS["other"])
            text.append(f"#{tr.id:<3} {tr.label:<8}", style=f"bold rgb({r},{g},{b})")
            text.append(f" {tr.peak_c:6.1f} °C  at ({tr.box[0]},{tr.box[1]})\n")
        return text

    def _events(self, snap: ViewSnapshot) -> Text:
        text = Text()
        for line in snap.events[-12:]:
            style = "bold red" if ("fire" in line or "siren" in line) else "yellow" if "→" in line else ""
            text.append(line + "\n", style=style)
        return text or Text("no events yet", style="dim")

    def action_pause(self) -> None:
        self.paused = not self.paused
        if callable(self._on_pause):
            self._on_pause(self.paused)
        self.redraw()

    def action_zoom(self, delta: int) -> None:
        image = self.query_one(ThermalImage)
        image.auto_scale = False
        image.scale = max(1, min(8, image.scale + delta))
        self.redraw()

    def action_move(self, drow: int, dcol: int) -> None:
        if self.snapshot is None or self.cursor is None:
            return
        h, w = self.snapshot.pixels.shape
        self.cursor = (min(h - 1, max(0, self.cursor[0] + drow)), min(w - 1, max(0, self.cursor[1] + dcol)))
        self.redraw()
