#!/usr/bin/env bash
# Packs FedTrain for a machine without the .NET SDK (a GPU node, say): one self-contained, trimmed `fedtrain`
# executable for both roles, the native trainer's sources to build there against that machine's libtorch, a
# Fashion-MNIST subset and the scripts that build and run it. Prints the bundle's size (budget: 64 MiB).
#
#   scripts/publish.sh [OUT_DIR] [TRAIN_EXAMPLES]      (default: dist/fedtrain-linux-x64, 20000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist/fedtrain-linux-x64}
train=${2:-20000}

"$root/scripts/ensure-deps.sh"
rm -rf "$out"
mkdir -p "$out"
# The trimmer's output is cached per RID and not invalidated by a changed feature switch: start it afresh.
rm -rf "$root/Cli/FedTrain.Cli/obj/Release/net10.0/linux-x64"
# Partial trimming trims the framework only, so FedTrain's own types keep what System.Text.Json reflects over;
# the trimmer still warns about that reflection, hence warnings are not errors here.
dotnet publish "$root/Cli/FedTrain.Cli/FedTrain.Cli.csproj" -c Release -r linux-x64 --self-contained \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:TreatWarningsAsErrors=false -p:DebugType=none --nologo -v quiet -o "$out/bin"
mkdir -p "$out/native"
cp -r "$root/Worker/native/CMakeLists.txt" "$root/Worker/native/cmake" "$root/Worker/native/include" \
  "$root/Worker/native/src" "$root/Worker/native/bench" "$root/Worker/native/tests" "$out/native/"
python3 "$root/scripts/gpu/subset_fashion_mnist.py" /usr/share/datasets/fashion-mnist "$out/data" --train "$train" --test 2000
cp "$root/scripts/gpu/run-on-gpu.sh" "$root/bench/gpu/pytorch_eager.py" "$out/"
du -sh "$out" | awk '{print "bundle: " $2 " (" $1 ")"}'
