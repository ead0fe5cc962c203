#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the UI check (`make ui-check`).
# The check drives this system browser through Playwright's Python package with
# executable_path=/usr/bin/chromium, so Playwright never downloads a browser of its own.
# Installs only when the browser is missing; needs root (or sudo) and the Debian/Ubuntu package archive.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "==> chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $CHROMIUM is missing and apt-get is not available; install Chromium and set CHROMIUM=<path>" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: installing chromium needs root; run: apt-get install -y chromium" >&2
        exit 1
    fi
fi

echo "==> installing chromium from the Debian archive (apt-get)"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
"$CHROMIUM" --version
