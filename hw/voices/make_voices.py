"""Generate the default voice warnings with espeak-ng, reproducibly.

    python -m hw.voices.make_voices [OUT_DIR]

Writes ``warning_sv.wav`` and ``warning_en.wav`` (16-bit mono PCM, espeak-ng's 22.05 kHz) into
``OUT_DIR`` (default: this folder) and prints each file's SHA-256. The same espeak-ng version
gives the same bytes. The WAVs (about 0.5 MB together) are not committed: the release build and
``./dev.sh`` run this script, and espeak-ng is in dev.sh's APT_PACKAGES.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORDS_PER_MINUTE = 140
PITCH = 40
WARNINGS: dict[str, tuple[str, str]] = {
    "warning_sv": ("sv", "Varning. Området är kamerabevakat. Larmet har gått till väktare. Lämna området."),
    "warning_en": ("en-gb", "Warning. This area is under surveillance. Security has been alerted. Leave the area."),
}


def make_voices(out_dir: Path = HERE) -> dict[str, Path]:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt install espeak-ng)")
    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    for name, (voice, text) in WARNINGS.items():
        path = out_dir / f"{name}.wav"
        tmp = path.with_suffix(".wav.tmp")
        cmd = [espeak, "-v", voice, "-s", str(WORDS_PER_MINUTE), "-p", str(PITCH), "-w", str(tmp), text]
        subprocess.run(cmd, check=True, capture_output=True)
        tmp.replace(path)
        made[name] = path
    return made


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else HERE
    try:
        made = make_voices(out_dir)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"make_voices: {exc}", file=sys.stderr)
        return 1
    for name, path in made.items():
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}  ({name})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
