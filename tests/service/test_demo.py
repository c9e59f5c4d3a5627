"""``parkvakt demo --fast``: the README's first command, run as a user would (stdout not a terminal)."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_fast_ends_with_a_summary_showing_the_fire_alarm_and_the_outputs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "firmware.cli", "demo", "--fast"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Parkvakt demo summary" in out
    summary = out[out.index("Parkvakt demo summary") :]
    fire = re.search(r"FIRE ALARM: ([0-9.]+) s (after|before) it became visible", summary)
    assert fire, summary
    switched = re.findall(r"^\s+([0-9.]+) s\s+(\w+)\s+(\w+)", summary, flags=re.MULTILINE)
    assert ("siren", "on") in {(name, state) for _, name, state in switched}, summary
    assert ("floodlight", "on") in {(name, state) for _, name, state in switched}, summary
    stored = re.search(r"events stored in the outbox for the uplinks: (\d+)", summary)
    assert stored and int(stored.group(1)) > 0, summary
    # the live part printed the events as they happened, in plain lines
    assert re.search(r"^\s+[0-9.]+s event  fire start", out, flags=re.MULTILINE), out[:3000]
    assert re.search(r"^\s+[0-9.]+s output siren on", out, flags=re.MULTILINE)
