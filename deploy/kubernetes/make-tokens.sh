#!/usr/bin/env bash
# Writes two random tokens (32 bytes, hex) into tokens/ next to this script, for the
# Secret of kustomization.yaml: client.token (sweep CLI) and worker.token (sweep-worker).
# Keeps existing files unless --force. tokens/ is ignored by git: keep it out of it.
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)/tokens"
mkdir -p "$DIR"
chmod 700 "$DIR"
for name in client worker; do
  file="$DIR/$name.token"
  if [ -s "$file" ] && [ "${1:-}" != "--force" ]; then
    echo "make-tokens: keeping $file (--force replaces it)"
    continue
  fi
  (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file")
  echo "make-tokens: wrote $file"
done
