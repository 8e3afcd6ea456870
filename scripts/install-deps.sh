#!/usr/bin/env bash
# Installs the Debian packages the project builds with, only those that are missing.
# Safe to re-run; works without a terminal (CI=true, no stdin).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libssl-dev
  libeigen3-dev libsqlite3-dev sqlite3 libspdlog-dev libyaml-cpp-dev nlohmann-json3-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev gnuplot-nox
  openssl  # the TLS tests make their certificates at run time (tests/integration/test_pki.h)
  python3  # the fault proxy of the chaos tests (tests/fault_proxy.py), stdlib only
  python3-grpcio python3-protobuf  # docs/python.md's example and its test (tests/python)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# kubectl renders deploy/kubernetes in the tests (8 MB). A kubectl from another source
# (e.g. Google's apt repository) serves as well and would conflict with Debian's.
if ! command -v kubectl >/dev/null 2>&1 &&
  ! dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q "install ok installed"; then
  missing+=(kubernetes-client)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
