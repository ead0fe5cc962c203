#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the UI check (`make ui-check`).
# The check drives this system browser through Playwright's Python package with
# executable_path=/usr/bin/chromium, so Playwright never downloads a browser of its own.
# Installs only when the browser is missing; needs root (or sudo) and the Debian/Ubuntu package archive.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
"$(dirname "$0")/ensure-debian-package.sh" "$CHROMIUM" chromium >/dev/null
echo "==> chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
