"""GPIO outputs and inputs over gpiozero, laid out by a board profile (``hw/boards/*.toml``)."""

from hw.board_profile import BoardProfile, BoardProfileError, InputSpec, OutputSpec, load_profile
from hw.gpio.failsafe import failsafe
from hw.gpio.inputs import InputChange, Inputs
from hw.gpio.outputs import Outputs, OutputState

__all__ = [
    "BoardProfile",
    "BoardProfileError",
    "InputChange",
    "InputSpec",
    "Inputs",
    "OutputSpec",
    "OutputState",
    "Outputs",
    "failsafe",
    "load_profile",
]
