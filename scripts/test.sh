#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): install what is missing, build
# with tests and warnings as errors, run every test.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" -DSWEEP_BUILD_TESTS=ON -DSWEEP_WERROR=ON -DSWEEP_TESTING=ON
cd "${BUILD_DIR:-$ROOT/build}"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
