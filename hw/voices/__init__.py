"""Default voice warnings, generated with espeak-ng by ``python -m hw.voices.make_voices``."""
