#!/usr/bin/env bash
# Set up everything Parkvakt needs on a Debian 12 / Raspberry Pi OS machine, then run one job.
#   ./dev.sh demo [ARGS...]   the simulated parking lot at night, in the terminal
#   ./dev.sh test [ARGS...]   the whole test suite (what CI runs)
# Idempotent: apt and pip run only when something is missing or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(python3 python3-venv python3-dev gcc pkg-config libsystemd-dev mosquitto espeak-ng alsa-utils sox systemd cloud-init)
VENV=.venv

need_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
    echo "dev.sh: installing ${need_apt[*]} with apt" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

PYTHON=${PYTHON:-python3}
stamp="$VENV/.parkvakt-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "dev.sh: installing Python dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q -e ".[dev]" >&2
    echo "$want" > "$stamp"
fi
# the default voice warnings are generated, not committed (docs/deterrence.md, Voice warnings)
if [ ! -f hw/voices/warning_sv.wav ] || [ ! -f hw/voices/warning_en.wav ]; then
    "$VENV/bin/python" -m hw.voices.make_voices >&2
fi

job=${1:-}
shift || true
case "$job" in
    demo)
        exec "$VENV/bin/parkvakt" demo "$@"
        ;;
    test)
        set +e
        "$VENV/bin/python" -m pytest "$@"
        rc=$?
        set -e
        # pytest exits 5 when it collected no test; that is not a failure of the code under test
        if [ "$rc" -eq 5 ]; then echo "dev.sh: no tests collected" >&2; exit 0; fi
        exit "$rc"
        ;;
    *)
        echo "usage: ./dev.sh demo|test [ARGS...]" >&2
        exit 2
        ;;
esac
