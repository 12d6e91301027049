#!/usr/bin/env bash
# Builds what is missing or stale: the native trainer (CMake) and the .NET solution (Release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/build-native.sh"
dotnet build FedTrain.sln -c Release --nologo -v quiet -clp:ErrorsOnly "$@"
