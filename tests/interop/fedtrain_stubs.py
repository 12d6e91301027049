"""Generates the Python modules of the fedtrain.v1 protos (messages and grpcio stubs) with grpc_tools.

Debian's python3-grpc-tools bundles a protoc that predates proto3's explicit `optional`, so the protos are copied
and that label dropped first: it changes only whether a scalar's presence is tracked, not its wire format, and
these peers never read the two fields that carry it (MetricsReport's global_loss and record_epsilon).
"""
import atexit
import os
import re
import shutil
import sys
import tempfile

from grpc_tools import protoc

PROTOS = ("federation.proto", "model.proto", "module.proto", "enrollment.proto")


def generate(proto_root):
    """Writes the generated modules into a fresh temporary folder (removed at exit), puts it on sys.path and returns it."""
    out = tempfile.mkdtemp(prefix="fedtrain-stubs-")
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    source = os.path.join(proto_root, "fedtrain", "v1")
    target = os.path.join(out, "fedtrain", "v1")
    os.makedirs(target)
    for name in PROTOS:
        with open(os.path.join(source, name), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(target, name), "w", encoding="utf-8") as f:
            f.write(re.sub(r"^(\s*)optional\s+", r"\1", text, flags=re.MULTILINE))
    code = protoc.main(["protoc", f"-I{out}", f"--python_out={out}", f"--grpc_python_out={out}"]
                       + [os.path.join(target, name) for name in PROTOS])
    if code != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with {code}")
    sys.path.insert(0, out)
    return out
