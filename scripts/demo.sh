#!/usr/bin/env bash
# The README's main command: install what is missing, build, and run a small sweep on the
# embedded default (in-process coordinator, local workers, a SQLite file), printing the
# results table.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" -DSWEEP_BUILD_TESTS=OFF
DB="${DB:-$ROOT/build/small.db}"
exec "$ROOT/build/bin/sweep" local "${1:-$ROOT/examples/small.yaml}" --db "$DB" --workers "${WORKERS:-2}"
