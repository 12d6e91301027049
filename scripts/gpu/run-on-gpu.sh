#!/usr/bin/env bash
# Runs on a GPU machine that has no .NET SDK, from a bundle made by scripts/publish.sh: builds the native trainer
# against the local PyTorch's libtorch (with CUDA), times training of the same CNN with our worker's trainer and
# with a plain PyTorch eager loop (same batch size and precision), then runs a small federation whose workers
# pick the GPU on their own (--device auto). Results go to OUT_DIR (default ./results).
#
#   ./run-on-gpu.sh [OUT_DIR]
# Needs: python3 with torch built for CUDA, cmake and a C++17 compiler.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/results}
mkdir -p "$out"

torch_dir=$(python3 -c 'import os, torch; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')
python3 -c 'import torch; assert torch.cuda.is_available(), "PyTorch sees no CUDA device"; print("GPU:", torch.cuda.get_device_name(0), "torch", torch.__version__)'
cmake -S "$here/native" -B "$here/build" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$torch_dir" -DFEDTRAIN_BUILD_TESTS=OFF >/dev/null
cmake --build "$here/build" -j"$(nproc)" --target fedtrain_trainer fedtrain_train_bench
export FEDTRAIN_NATIVE_LIB="$here/build/libfedtrain_trainer.so"

# Throughput: images per second, ours against PyTorch eager, for each batch size and precision.
for batch in 256 1024; do
  ours=$("$here/build/fedtrain_train_bench" ours 32,64 128 "$batch" 200 0 cuda)
  eager=$(python3 "$here/pytorch_eager.py" --batch "$batch" --steps 200 --device cuda --precision fp32)
  echo "$ours" >>"$out/train-ours.jsonl"
  echo "$eager" >>"$out/train-eager.jsonl"
  python3 - "$batch" "$ours" "$eager" <<'PY'
import json, sys
batch, ours, eager = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
ours_ips = batch * 1000.0 / ours["ms_per_step"]
print(f"cnn batch {batch}: ours {ours_ips:,.0f} img/s, pytorch eager {eager['images_per_second']:,.0f} img/s, ratio {ours_ips / eager['images_per_second']:.2f}")
PY
done | tee "$out/train.txt"

# A federation on this machine: coordinator and 2 workers, which pick CUDA themselves.
"$here/bin/fedtrain" demo --workers 2 --rounds 3 --data "$here/data" --out "$out/federation" | tee "$out/federation.txt"
grep -h "cuda" "$out/federation/logs/"*.log | head -5 || { echo "no worker reported a CUDA device" >&2; exit 1; }
