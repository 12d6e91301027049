#!/usr/bin/env python3
"""Loads a `fedtrain export` in PyTorch and compares its forward pass with the native trainer's logits.

usage: check_export.py STATE_DICT EXPECTED_JSON INPUTS_F32 LOGITS_F32 (--module PY_FILE | --torchscript PT_FILE)
                       [--shape C,H,W] [--tolerance T]

EXPECTED_JSON lists the flat buffer's tensors as [{"name": ..., "shape": [...]}, ...]; INPUTS_F32 holds float32
examples [n, C, H, W] and LOGITS_F32 the native trainer's float32 logits [n, classes] for them. Prints
max_abs_logit_difference=X and exits 0 when it is at most --tolerance, 1 otherwise.
"""
import argparse
import importlib.util
import json
import sys

import numpy as np
import torch


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state_dict")
    parser.add_argument("expected")
    parser.add_argument("inputs")
    parser.add_argument("logits")
    parser.add_argument("--module")
    parser.add_argument("--torchscript")
    parser.add_argument("--shape", default="1,28,28", help="one example's shape, C,H,W")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    state = torch.load(args.state_dict)
    with open(args.expected) as f:
        expected = json.load(f)
    for tensor in expected:
        if tensor["name"] not in state:
            print(f"state dict lacks {tensor['name']}; it has {sorted(state)}", file=sys.stderr)
            return 1
        if list(state[tensor["name"]].shape) != tensor["shape"]:
            print(f"{tensor['name']}: shape {list(state[tensor['name']].shape)}, expected {tensor['shape']}", file=sys.stderr)
            return 1

    if args.module:
        spec = importlib.util.spec_from_file_location("exported_model", args.module)
        source = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(source)
        model = source.FedTrainCnn()
        model.load_state_dict(state)  # strict: every name and shape must match the class
    else:
        model = torch.jit.load(args.torchscript)
        scripted = model.state_dict()
        if sorted(scripted) != sorted(state):
            print(f"TorchScript module holds {sorted(scripted)}, the state dict {sorted(state)}", file=sys.stderr)
            return 1
        for name, tensor in scripted.items():
            if not torch.equal(tensor, state[name]):
                print(f"{name} differs between the TorchScript module and the state dict", file=sys.stderr)
                return 1
    model.eval()

    native = torch.from_numpy(np.fromfile(args.logits, dtype="<f4"))
    inputs = torch.from_numpy(np.fromfile(args.inputs, dtype="<f4"))
    shape = [int(d) for d in args.shape.split(",")]
    with torch.no_grad():
        logits = model(inputs.reshape(-1, *shape))
    if logits.numel() != native.numel():
        print(f"PyTorch gives {logits.numel()} logits, the native trainer {native.numel()}", file=sys.stderr)
        return 1
    difference = (logits.reshape(-1) - native).abs().max().item()
    print(f"max_abs_logit_difference={difference:.3e}")
    return 0 if difference <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
