#!/usr/bin/env bash
# Makes sure a program the tests need is installed, from the Debian/Ubuntu archive, only when it is missing.
# Usage: scripts/ensure-debian-package.sh PROGRAM PACKAGE
#   PROGRAM  the executable's path (/usr/bin/chromium) or name (zsh)
#   PACKAGE  the Debian package that brings it
# Needs root (or sudo) and the package archive; says what to run by hand otherwise.
set -euo pipefail

PROGRAM="$1"
PACKAGE="$2"

found() { [ -x "$PROGRAM" ] || command -v "$PROGRAM" >/dev/null 2>&1; }

if found; then
    echo "==> $PACKAGE present: $(command -v "$PROGRAM" || echo "$PROGRAM")"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $PROGRAM is missing and apt-get is not available; install the $PACKAGE package" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: installing $PACKAGE needs root; run: apt-get install -y $PACKAGE" >&2
        exit 1
    fi
fi

echo "==> installing $PACKAGE from the Debian archive (apt-get)"
# Another install may hold dpkg's lock (two suites starting side by side): wait for it, up to 10 minutes.
LOCK_WAIT=(-o DPkg::Lock::Timeout=600)
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get "${LOCK_WAIT[@]}" update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get "${LOCK_WAIT[@]}" install -y -qq --no-install-recommends "$PACKAGE"
found
