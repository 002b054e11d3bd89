#!/usr/bin/env bash
# Installs every package gorgon_mpi needs to build, run and test on Debian 12.
# Idempotent: packages already present are left alone. Uses sudo when not root.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev
  libboost-mpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libgtest-dev libgmock-dev
  libcurl4-openssl-dev libssl-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libjs-chart.js chromium
  python3 python3-h5py python3-numpy python3-pandas
  slurm-wlm slurm-wlm-basic-plugins munge libpmix-dev
  nginx wrk openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: not root and sudo is missing; install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
