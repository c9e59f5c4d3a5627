"""Policy tests drive time explicitly: ``clock`` is the policy time *and* the clock gpiozero's
MockPin stamps its state history with, so ``assert_states_and_times`` checks policy timings."""

from __future__ import annotations

from policy_rig import clock, make_rig

__all__ = ["clock", "make_rig"]
