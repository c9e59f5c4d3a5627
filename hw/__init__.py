"""Hardware layer: sensors, GPIO and audio drivers and board profiles.

Knows nothing of policy and imports nothing from ``firmware``.
"""
