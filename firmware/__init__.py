"""Parkvakt firmware: the daemon that turns thermal frames into deterrence and alarms."""

__version__ = "0.1.0"
