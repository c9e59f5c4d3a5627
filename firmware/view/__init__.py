"""The technicians' live view: a false-colour thermal image in the terminal with zones, tracks,
temperatures, output states and the last events.

``heatmap`` draws a frame (two pixel rows per text line with half blocks), ``snapshot`` gathers
what one refresh shows from the engine, ``runner`` feeds snapshots from a source through the real
engine, ``app`` is the textual UI (``parkvakt view``, ``parkvakt demo``), ``plain`` the line
output used when stdout is not a terminal.
"""
