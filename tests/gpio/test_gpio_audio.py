"""Voice warnings: espeak-ng clips played by the real ``aplay`` (ALSA's null device), amplifier on only
while playing."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from gpiozero import DigitalOutputDevice
from gpiozero.pins.mock import MockFactory

from hw.audio import AudioPlayer, scaled_wav
from hw.voices.make_voices import make_voices

pytestmark = pytest.mark.skipif(
    shutil.which("aplay") is None or shutil.which("espeak-ng") is None,
    reason="needs aplay (alsa-utils) and espeak-ng, both in dev.sh's APT_PACKAGES",
)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_voices(tmp_path_factory.mktemp("voices"))


def player_with_amp(**kwargs) -> tuple[AudioPlayer, object]:
    factory = MockFactory()
    amp = DigitalOutputDevice(16, pin_factory=factory)
    kwargs.setdefault("device", "null")
    kwargs.setdefault("warmup_s", 0.01)
    player = AudioPlayer(amplifier_on=amp.on, amplifier_off=amp.off, **kwargs)
    return player, factory.pin(16)


def test_voice_clips_are_generated_reproducibly(voices: dict[str, Path], tmp_path: Path) -> None:
    again = make_voices(tmp_path)
    assert set(voices) == {"warning_sv", "warning_en"}
    for name, path in voices.items():
        assert path.read_bytes() == again[name].read_bytes()
        with wave.open(str(path)) as w:
            assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
            assert 2.0 < w.getnframes() / w.getframerate() < 10.0  # a sentence, not silence


def test_clips_play_with_the_amplifier_on_only_around_playback(voices: dict[str, Path]) -> None:
    player, amp_pin = player_with_amp()
    assert player.play([voices["warning_sv"], voices["warning_en"]]) is True
    player.wait(10)
    assert player.stats.played == 2, player.stats
    assert player.stats.errors == 0
    assert [s.state for s in amp_pin.states] == [False, True, False]


def test_a_second_request_while_playing_is_dropped_and_counted(voices: dict[str, Path]) -> None:
    player, _ = player_with_amp(warmup_s=0.3)
    assert player.play([voices["warning_sv"]]) is True
    assert player.play([voices["warning_en"]]) is False
    player.wait(10)
    assert (player.stats.played, player.stats.dropped_busy) == (1, 1)


def test_missing_or_broken_clips_are_reported_and_the_amplifier_ends_off(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF\x00\x00not a wav at all")
    player, amp_pin = player_with_amp()
    player.play([tmp_path / "nope.wav", garbage])
    player.wait(10)
    assert player.stats.errors_by_reason == {"missing_clip": 1, "bad_clip": 1}
    assert "garbage.wav is not a usable WAV" in (player.stats.last_error or "")
    assert amp_pin.state is False


def test_a_failing_player_is_reported(voices: dict[str, Path]) -> None:
    player, amp_pin = player_with_amp(device="no-such-alsa-device")
    player.play([voices["warning_en"]])
    player.wait(10)
    assert player.stats.errors_by_reason == {"player_failed": 1}
    assert "aplay failed on warning_en.wav" in (player.stats.last_error or "")
    assert amp_pin.state is False


def test_volume_scales_the_samples(voices: dict[str, Path], tmp_path: Path) -> None:
    half = tmp_path / "half.wav"
    half.write_bytes(scaled_wav(voices["warning_en"], 0.5))

    def samples(path: Path) -> np.ndarray:
        with wave.open(str(path)) as w:
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int32)

    full, scaled = samples(voices["warning_en"]), samples(half)
    assert len(full) == len(scaled)
    assert abs(np.abs(scaled).max() - np.abs(full).max() * 0.5) <= 1


def test_policy_health_names_missing_clips_and_counts_audio_errors(tmp_path: Path) -> None:
    from firmware.config import parse_config
    from firmware.events import Event
    from firmware.policy import build_policy

    config = parse_config(
        {
            "unit": {"id": "t"},
            "deterrence": {
                "ladder": [{"output": "voice"}],
                "quiet_hours": [],
                "voice": {"clips": [str(tmp_path / "gone.wav")], "device": "null"},
            },
        }
    )
    policy = build_policy(config, pin_factory=MockFactory(), play_audio=True)
    try:
        actions = policy.on_event(Event(type="person", phase="start", t=0.0, incident="p"))
        assert [a.output for a in actions] == ["voice"]
        assert policy.audio is not None
        policy.audio.wait(10)
        health = policy.health()
        assert health["missing_clips"] == [str(tmp_path / "gone.wav")]
        assert health["audio"]["errors_by_reason"] == {"missing_clip": 1}
        assert health["outputs"]["floodlight"] == "off"
    finally:
        policy.close()
