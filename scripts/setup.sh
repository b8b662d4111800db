#!/usr/bin/env bash
# Create .venv with logitwin and its dev tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "setup: $PY not found; logitwin needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi
# The VDA 5050 tests talk to a real MQTT broker (Debian's mosquitto); install it where we can.
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get install -y -q mosquitto >/dev/null 2>&1 ||
            (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q mosquitto >/dev/null 2>&1)) ||
            echo "setup: could not install mosquitto; the VDA 5050 tests will fail" >&2
    else
        echo "setup: mosquitto is missing (apt-get install mosquitto); the VDA 5050 tests need it" >&2
    fi
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
