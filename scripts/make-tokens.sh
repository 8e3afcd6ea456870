#!/usr/bin/env bash
# Makes the two bearer tokens of a deployment (README.md "Security"): DIR/client-token and
# DIR/worker-token, 32 random bytes as hex each, mode 0600 (sweepd and the clients refuse
# token files that group or others can read). Existing files are kept: to rotate a
# token, delete its file, run this again and restart sweepd.
# Usage: scripts/make-tokens.sh [DIR]   (default: secrets, as docker-compose.yml expects)
set -euo pipefail
DIR="${1:-secrets}"
mkdir -p "$DIR"
chmod 700 "$DIR"
umask 077
for name in client-token worker-token; do
  if [ -e "$DIR/$name" ]; then
    echo "make-tokens: $DIR/$name exists, kept"
  else
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$DIR/$name"
    echo >> "$DIR/$name"
    echo "make-tokens: wrote $DIR/$name"
  fi
done
