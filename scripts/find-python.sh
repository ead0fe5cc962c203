#!/usr/bin/env bash
# Prints the path of a Python interpreter of the version asked for (`3.12`), for `make ... PYTHON_VERSION=3.12`.
# It looks on PATH, then in pyenv's versions (whose shims refuse a version that is not selected), then in
# /usr/local/bin and /usr/bin; it never downloads one. With no version it prints $PYTHON, or python3.
set -euo pipefail
want=${1:-}
if [[ -z $want ]]; then
	echo "${PYTHON:-python3}"
	exit 0
fi
works() {
	[[ -x $1 || -n $(command -v "$1" 2>/dev/null) ]] &&
		"$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null
}
candidates=()
[[ -n ${PYTHON:-} ]] && candidates+=("$PYTHON")
candidates+=("python$want")
root=${PYENV_ROOT:-$HOME/.pyenv}
command -v pyenv >/dev/null 2>&1 && root=$(pyenv root)
while IFS= read -r found; do
	candidates+=("$found")
done < <(ls -d "$root"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V -r)
candidates+=("/usr/local/bin/python$want" "/usr/bin/python$want")
for candidate in "${candidates[@]}"; do
	if works "$candidate"; then
		command -v "$candidate"
		exit 0
	fi
done
echo "error: no Python $want here. Install it (pyenv install $want, or your system's python$want package)," \
	"or give an interpreter: make ... PYTHON=/path/to/python$want" >&2
exit 1
