"""Calls grpc.health.v1.Health/Check with Python grpcio, a real gRPC implementation.

Usage: health_check.py PROTO_ROOT TARGET [SERVICE [CA_FILE]]
With CA_FILE the channel is TLS, trusting that CA only. Prints the serving status name (e.g. SERVING), or the gRPC status code name on error.
"""
import os
import shutil
import sys
import tempfile

import grpc
from grpc_tools import protoc


def main() -> int:
    proto_root, target = sys.argv[1], sys.argv[2]
    service = sys.argv[3] if len(sys.argv) > 3 else ""
    ca_file = sys.argv[4] if len(sys.argv) > 4 else None
    out = tempfile.mkdtemp(prefix="fedtrain-health-")
    # The generated module may not live under "grpc/": that name is the grpcio package itself. The proto's
    # package (grpc.health.v1), and so the RPC path, does not depend on the file's location.
    os.makedirs(os.path.join(out, "fedtrain_health"))
    shutil.copy(os.path.join(proto_root, "grpc/health/v1/health.proto"), os.path.join(out, "fedtrain_health"))
    code = protoc.main(["protoc", f"-I{out}", f"--python_out={out}", f"--grpc_python_out={out}",
                        os.path.join(out, "fedtrain_health", "health.proto")])
    if code != 0:
        print("protoc failed", file=sys.stderr)
        return 2
    sys.path.insert(0, out)
    from fedtrain_health import health_pb2, health_pb2_grpc  # noqa: E402  (generated above)

    if ca_file:
        with open(ca_file, "rb") as ca:
            channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca.read()))
    else:
        channel = grpc.insecure_channel(target)
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        except grpc.RpcError as error:
            print(error.code().name)
            return 0
        print(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
