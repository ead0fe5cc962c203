#!/usr/bin/env bash
# Makes sure Redis is installed for the distributed deployment test (`make integration-distributed`), whose
# Celery broker it is. The test starts its own redis-server on 127.0.0.1 and a free port, with no persistence,
# and stops it; nothing here starts a service.
# Installs only when the program is missing; needs root (or sudo) and the Debian/Ubuntu package archive.
set -euo pipefail

"$(dirname "$0")/ensure-debian-package.sh" redis-server redis-server >/dev/null
echo "==> redis-server present: $(redis-server --version)"
