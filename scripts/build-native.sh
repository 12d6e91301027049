#!/usr/bin/env bash
# Builds the native trainer (Worker/native) into build/native/. Safe to rerun: configures once, then only
# rebuilds what changed (a no-op build takes well under a second).
#
#   scripts/build-native.sh [--test] [extra CMake configure args...]
#
# --test runs the C ABI tests (CTest) after building. Extra configure args, e.g. -DTorch_DIR=..., force a
# reconfigure; Torch_DIR in the environment does so only when it differs from the configured one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir="$repo/Worker/native"
build_dir="$repo/build/native"
cache="$build_dir/CMakeCache.txt"
jobs="${FEDTRAIN_BUILD_JOBS:-2}"

run_tests=0
configure_args=()
for arg in "$@"; do
  case "$arg" in
    --test) run_tests=1 ;;
    *) configure_args+=("$arg") ;;
  esac
done
if [[ -n "${Torch_DIR:-}" ]] && ! grep -qxF "Torch_DIR:PATH=$Torch_DIR" "$cache" 2>/dev/null; then
  configure_args+=("-DTorch_DIR=$Torch_DIR")
fi

if ! command -v cmake >/dev/null 2>&1; then
  echo "error: cmake not found; install it (Debian/Ubuntu: sudo apt-get install cmake g++)" >&2
  exit 1
fi

if [[ ! -f "$cache" || ${#configure_args[@]} -gt 0 ]]; then
  generator=()
  if [[ ! -f "$cache" ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
  fi
  if ! cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${generator[@]}" "${configure_args[@]}"; then
    echo "error: configuring the native trainer failed. If libtorch is missing: sudo apt-get install libtorch-dev," >&2
    echo "       or pass -DTorch_DIR=<libtorch>/share/cmake/Torch (or set Torch_DIR)." >&2
    exit 1
  fi
fi

cmake --build "$build_dir" -j"$jobs"

if [[ $run_tests -eq 1 ]]; then
  (cd "$build_dir" && ctest --output-on-failure)
fi
echo "native trainer: $build_dir/libfedtrain_trainer.so"
