"""The hardware-in-the-loop rig's side of the unit's wires (see ``hil/`` and ``hw/rig/WIRING.md``)."""
