#!/usr/bin/env bash
# Installs the Debian packages FedTrain needs, once: libtorch (training), Fashion-MNIST (data), and for the
# tests Python grpcio (a real gRPC peer) and PostgreSQL (a real database server the tests start themselves). Safe to run repeatedly; does nothing when all are present.
set -euo pipefail

runtime=(libtorch-dev dataset-fashion-mnist cmake g++)
testing=(python3-grpcio python3-grpc-tools python3-protobuf postgresql)

wanted=("${runtime[@]}")
if [[ "${1:-}" == "--tests" ]]; then
  wanted+=("${testing[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
