#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs are installed for the distributed deployment test
# (`make integration-distributed`), whose metadata database and Celery result backend it is. The test makes a
# throw-away cluster (initdb) in a temporary directory and runs it on 127.0.0.1 and a free port, as the
# `postgres` OS user when run as root, and stops it.
# Debian keeps initdb and postgres off PATH, under /usr/lib/postgresql/<major>/bin, so this script looks there
# itself. When it installs, it tells Debian's package not to create and start a cluster of its own.
# Installs only when the server is missing; needs root (or sudo) and the Debian/Ubuntu package archive.
set -euo pipefail

find_initdb() {
    if command -v initdb >/dev/null 2>&1; then
        command -v initdb
        return
    fi
    ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(find_initdb)" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    fi
    # No main cluster on port 5432: the test brings its own (postgresql-common reads this drop-in folder).
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/no-main-cluster.conf >/dev/null
    # ensure-debian-package.sh installs the package; its own check afterwards cannot see initdb off PATH.
    "$(dirname "$0")/ensure-debian-package.sh" /usr/lib/postgresql/initdb postgresql >/dev/null || true
fi

INITDB="$(find_initdb)"
if [ -z "$INITDB" ]; then
    echo "error: PostgreSQL's initdb is still missing; install the postgresql package" >&2
    exit 1
fi
if ! id postgres >/dev/null 2>&1; then
    echo "warning: no 'postgres' OS user; as root the test runs PostgreSQL as that user" >&2
fi
echo "==> postgresql present: $("$INITDB" --version) ($(dirname "$INITDB"))"
