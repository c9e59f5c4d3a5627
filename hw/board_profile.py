"""Board profiles: which BCM pin drives which output and reads which input, from ``hw/boards/*.toml``.

A profile is loaded and checked whole; every fault is collected as ``(dotted.key, reason)`` so
``parkvakt check-config`` can print them all. Pins are BCM numbers 0..27 (the 40-pin header).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

BOARDS_DIR = Path(__file__).resolve().parent / "boards"
BCM_PINS = range(28)
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PROFILE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

InputKind = Literal["motion", "tamper", "feedback"]
Pull = Literal["up", "down", "none"]
Level = Literal["high", "low"]
SafeState = Literal["off", "on"]
INPUT_KINDS: tuple[str, ...] = ("motion", "tamper", "feedback")


@dataclass(frozen=True, slots=True)
class OutputSpec:
    name: str
    pin: int
    active_high: bool = True
    safe_state: SafeState = "off"
    feedback: str | None = None
    pwm: bool = False  # dimmable through a MOSFET or an LED driver's dim input; never on a relay


@dataclass(frozen=True, slots=True)
class InputSpec:
    """``active_when`` is the pin level that means "triggered" (motion seen, lid open, load powered)."""

    name: str
    kind: InputKind
    pin: int
    pull: Pull = "none"
    active_when: Level = "high"
    optional: bool = False


@dataclass(frozen=True, slots=True)
class BoardProfile:
    name: str
    description: str
    outputs: dict[str, OutputSpec]
    inputs: dict[str, InputSpec]
    source: Path | None = None

    def inputs_of_kind(self, kind: InputKind) -> list[InputSpec]:
        return [spec for spec in self.inputs.values() if spec.kind == kind]


class BoardProfileError(Exception):
    """A profile that cannot be used; ``problems`` holds one ``(dotted.key, reason)`` per fault."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("; ".join(reason if key.startswith("<") else f"{key}: {reason}" for key, reason in problems))


def available_profiles() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def resolve_profile(ref: str) -> Path:
    """A bundled profile name (``rpi4-relay-hat``) or a path to a ``.toml`` file."""
    if "/" in ref or ref.endswith(".toml"):
        return Path(ref)
    if not PROFILE_NAME_RE.match(ref):
        raise BoardProfileError(ref, [("<profile>", f"{ref!r} is neither a profile name nor a .toml path")])
    path = BOARDS_DIR / f"{ref}.toml"
    if not path.exists():
        known = ", ".join(available_profiles()) or "none"
        raise BoardProfileError(ref, [("<profile>", f"unknown board profile {ref!r} (bundled: {known})")])
    return path


def load_profile(ref: str) -> BoardProfile:
    path = resolve_profile(ref)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BoardProfileError(ref, [("<file>", f"cannot read {path}: {exc.strerror or exc}")]) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BoardProfileError(ref, [("<toml>", f"{path}: {exc}")]) from None
    return parse_profile(data, source=path)


def parse_profile(data: dict[str, Any], *, source: Path | None = None) -> BoardProfile:
    problems: list[tuple[str, str]] = []
    ref = str(source) if source else "<profile>"
    for key in sorted(set(data) - {"name", "description", "outputs", "inputs"}):
        problems.append((key, "unknown key"))
    name = data.get("name", source.stem if source else "")
    if not isinstance(name, str) or not PROFILE_NAME_RE.match(name):
        problems.append(("name", f"{name!r} is not a valid profile name"))
    outputs = {n: s for n, s in _parse_table(data, "outputs", _parse_output, problems)}
    inputs = {n: s for n, s in _parse_table(data, "inputs", _parse_input, problems)}
    if not outputs and not any(k == "outputs" for k, _ in problems):
        problems.append(("outputs", "a profile needs at least one output"))
    _check_pins_unique(outputs, inputs, problems)
    for out in outputs.values():
        if out.feedback is None:
            continue
        fb = inputs.get(out.feedback)
        if fb is None:
            problems.append((f"outputs.{out.name}.feedback", f"no input named {out.feedback!r}"))
        elif fb.kind != "feedback":
            problems.append((f"outputs.{out.name}.feedback", f"input {out.feedback!r} is a {fb.kind} input"))
    if problems:
        raise BoardProfileError(ref, problems)
    return BoardProfile(str(name), str(data.get("description", "")), outputs, inputs, source)


def _parse_table(data: dict[str, Any], table: str, parse: Any, problems: list[tuple[str, str]]) -> list[Any]:
    raw = data.get(table, {})
    if not isinstance(raw, dict):
        problems.append((table, "must be a table of named entries"))
        return []
    parsed = []
    for name, body in raw.items():
        key = f"{table}.{name}"
        if not NAME_RE.match(name):
            problems.append((key, "names are lower-case letters, digits and _"))
            continue
        if not isinstance(body, dict):
            problems.append((key, "must be a table"))
            continue
        spec = parse(name, body, key, problems)
        if spec is not None:
            parsed.append((name, spec))
    return parsed


def _pin(body: dict[str, Any], key: str, problems: list[tuple[str, str]]) -> int | None:
    pin = body.get("pin")
    if pin is None:
        problems.append((f"{key}.pin", "required key is missing"))
        return None
    if isinstance(pin, bool) or not isinstance(pin, int) or pin not in BCM_PINS:
        problems.append((f"{key}.pin", f"{pin!r} is not a BCM pin number 0..27"))
        return None
    return pin


def _choice(body: dict[str, Any], field: str, allowed: tuple[Any, ...], default: Any, key: str, problems: list) -> Any:
    value = body.get(field, default)
    if value not in allowed or isinstance(value, bool) != isinstance(default, bool):
        shown = ", ".join(repr(a) for a in allowed)
        problems.append((f"{key}.{field}", f"{value!r} is not one of {shown}"))
        return default
    return value


def _unknown(body: dict[str, Any], known: set[str], key: str, problems: list[tuple[str, str]]) -> None:
    for field in sorted(set(body) - known):
        problems.append((f"{key}.{field}", "unknown key"))


def _parse_output(name: str, body: dict[str, Any], key: str, problems: list[tuple[str, str]]) -> OutputSpec | None:
    _unknown(body, {"pin", "active_high", "safe_state", "feedback", "pwm"}, key, problems)
    pin = _pin(body, key, problems)
    active_high = _choice(body, "active_high", (True, False), True, key, problems)
    safe_state = _choice(body, "safe_state", ("off", "on"), "off", key, problems)
    pwm = _choice(body, "pwm", (True, False), False, key, problems)
    feedback = body.get("feedback")
    if feedback is not None and not isinstance(feedback, str):
        problems.append((f"{key}.feedback", "must be the name of an input"))
        feedback = None
    if pin is None:
        return None
    return OutputSpec(name, pin, active_high, safe_state, feedback, pwm)


def _parse_input(name: str, body: dict[str, Any], key: str, problems: list[tuple[str, str]]) -> InputSpec | None:
    _unknown(body, {"kind", "pin", "pull", "active_when", "optional"}, key, problems)
    pin = _pin(body, key, problems)
    if "kind" not in body:
        problems.append((f"{key}.kind", "required key is missing"))
        return None
    kind = _choice(body, "kind", INPUT_KINDS, "motion", key, problems)
    pull = _choice(body, "pull", ("up", "down", "none"), "none", key, problems)
    active_when = _choice(body, "active_when", ("high", "low"), "high", key, problems)
    optional = _choice(body, "optional", (True, False), False, key, problems)
    if pin is None:
        return None
    return InputSpec(name, kind, pin, pull, active_when, optional)


def _check_pins_unique(
    outputs: dict[str, OutputSpec], inputs: dict[str, InputSpec], problems: list[tuple[str, str]]
) -> None:
    owner: dict[int, str] = {}
    for key, pin in [(f"outputs.{n}", s.pin) for n, s in outputs.items()] + [
        (f"inputs.{n}", s.pin) for n, s in inputs.items()
    ]:
        if pin in owner:
            problems.append((f"{key}.pin", f"pin {pin} is used twice (also {owner[pin]})"))
        else:
            owner[pin] = key
