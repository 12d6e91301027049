#!/usr/bin/env bash
# Installs the Debian packages FedTrain needs, once: libtorch (training), Fashion-MNIST and fortunes (data), and for
# the tests Python grpcio (a real gRPC peer), PyTorch (TorchScript fixtures, loading exported models), Chromium (the
# web page), Prometheus (promtool), PostgreSQL (a real database server the tests start themselves), Node.js, NumPy (writes
# the .npy files the array-format tests read) and statsmodels (for the classic CSV data sets it ships, which the table
# tests train on).
# Safe to run repeatedly; does nothing when all are present.
set -euo pipefail

runtime=(libtorch-dev dataset-fashion-mnist fortunes cmake g++)
testing=(python3-grpcio python3-grpc-tools python3-protobuf python3-torch python3-numpy python3-statsmodels chromium prometheus postgresql)

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

# Tools the tests need as commands, whichever package provides them: Node.js and npm build and check the web page
# and validate the Kubernetes manifests (Debian's packages unless a newer Node.js is already installed).
if [[ "${1:-}" == "--tests" ]]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if ! command -v kubectl >/dev/null 2>&1; then
    # The manifests use kustomize v5 (kubectl >= 1.27); Debian 12 only packages kubectl 1.20.
    echo "warning: kubectl is missing; the Kubernetes manifest tests need kubectl >= 1.27 on PATH" >&2
  fi
fi

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
