"""A parking-lot simulator grounded in physics: the training and evaluation ground for detection.

Frames as a source (what the daemon, ``parkvakt demo`` and ``parkvakt run --source sim:NAME`` use)::

    from hw.sim.source import SimSource
    src = SimSource("car-fire", seed=3, seconds=120, realtime=False, shape=(24, 32), fps=8.0)
    frame = src.read()          # ThermalFrame (°C); raises hw.frame.EndOfStream at the end

Frames with per-frame ground truth (for training a classifier on object patches)::

    from hw.sim import Scenario
    sc = Scenario("people-and-cars", seed=42, shape=(24, 32))
    r = sc.render(seconds=60, fps=8.0)           # Rendered: frames [N,H,W] float32 °C,
                                                 # timestamps [N], ambient [N], truth
    for frame, objects in zip(r.frames, r.truth):
        for obj in objects:                      # GroundTruthObject
            rows, cols = obj.pixel_slice         # patch = frame[rows, cols]
            obj.cls                              # "person" | "vehicle" | "fire" | "animal" | "hotspot"
            obj.bbox                             # (x0, y0, x1, y1) float pixels, x = column, y = row
            obj.visible_fraction, obj.visible    # share of the silhouette in view; label rule
            obj.apparent_temp_c, obj.true_temp_c # what the sensor reads there vs the hottest surface
            obj.labelled                         # counts towards NAME.labels.json in this frame
    sc.labels(seconds=60)                        # the labels.json intervals (hw.recording.LabelEvent)
    sc.recording(seconds=60)                     # a hw.recording.Recording, ready for save_recording

``Scenario.chunks(...)`` yields the same in blocks (about a million pixels each) for long runs. ``SCENARIOS`` (in
``hw.sim.scenarios``) lists the names with a one-line description and natural length.

Seeds: **below 1000 for training, 1000 and above for evaluation** (``python -m hw.sim.suite``
writes the evaluation set from held-out seeds). A seed fixes the whole scene: weather, lot
layout, camera height and tilt, people, cars, fires, sensor noise. Only ``shape`` and the field
of view change how the same scene is sampled.

Classes: ``person`` (clothed ~28–33 °C), ``vehicle`` (every car; labelled only while moving or
running), ``fire`` (labelled from when flames break out), ``animal`` (cats, birds) and ``hotspot``
(a barbecue) — the last two and parked cars are nuisances the detector must not report. The
patch a departed car leaves on the asphalt and bushes swaying in the wind are background:
rendered, never in ``truth``.
Physics: ``docs/simulator.md``.
"""

from hw.sim.render import GroundTruthObject
from hw.sim.scenario import Rendered, Scenario, UnknownScenario
from hw.sim.scenarios import SCENARIOS

__all__ = ["SCENARIOS", "GroundTruthObject", "Rendered", "Scenario", "UnknownScenario"]
