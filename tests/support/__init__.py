"""Helpers that start real components (mosquitto, pseudo-terminals, ...) for the tests."""
