#!/usr/bin/env python3
"""A grpcio (gRPC C-core) server implementing fedtrain.v1.Coordinator, the peer for FedTrain's own gRPC client.

Usage: coordinator_server.py --protos PROTO_ROOT [--gzip]

It listens on 127.0.0.1 on a free port, prints "PORT <n>" once it serves, and stops when its stdin closes, so it
never outlives the tests. With --gzip every response message is gzip-compressed. Behaviour, by request:
  Register:      run_id describes the request: "<worker_id>;key=value" for every x-* metadata entry (sorted, -bin
                 values as hex); heartbeat_interval_seconds is the call's remaining deadline, rounded up (0: none,
                 or over an hour).
                 Worker "fail" is answered NOT_FOUND with a message that needs percent-encoding.
  GetAssignment: holds the call wait_seconds (or until it ends), then answers "none".
  DownloadModel: a header, then `round` data chunks of 1 MiB, chunk i filled with byte i.
  UploadUpdate:  counts the data chunks and bytes and hashes them; a header whose worker_id is "refuse" is answered
                 FAILED_PRECONDITION as soon as it arrives, before the rest of the stream is read.
"""
import argparse
import hashlib
import math
import sys
import time
from concurrent import futures

import grpc

from fedtrain_stubs import generate

MIB = 1024 * 1024
FAIL_MESSAGE = "naïve ✓ 100% done\nline 2"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    generate(args.protos)
    from fedtrain.v1 import federation_pb2 as pb
    from fedtrain.v1 import model_pb2
    from fedtrain.v1 import federation_pb2_grpc as rpc

    class Coordinator(rpc.CoordinatorServicer):
        def Register(self, request, context):
            if request.worker_id == "fail":
                context.abort(grpc.StatusCode.NOT_FOUND, FAIL_MESSAGE)
            parts = sorted((key, value.hex() if key.endswith("-bin") else value)
                           for key, value in context.invocation_metadata() if key.startswith("x-"))
            remaining = context.time_remaining()  # huge, not None, when the client set no deadline
            return pb.RegisterResponse(
                run_id=";".join([request.worker_id] + [f"{key}={value}" for key, value in parts]),
                heartbeat_interval_seconds=0 if remaining is None or remaining > 3600 else math.ceil(remaining),
                max_message_bytes=4 * MIB)

        def GetAssignment(self, request, context):
            until = time.monotonic() + request.wait_seconds
            while time.monotonic() < until and context.is_active():
                time.sleep(0.01)
            return pb.AssignmentResponse(none=pb.NoAssignment(reason="no round"))

        def DownloadModel(self, request, context):
            chunks = [bytes([i & 0xFF]) * MIB for i in range(request.round)]
            sha = hashlib.sha256(b"".join(chunks)).digest()
            yield pb.ModelChunk(header=model_pb2.PayloadHeader(
                total_bytes=len(chunks) * MIB, parameter_count=len(chunks) * MIB // 4, sha256=sha, chunk_bytes=MIB))
            for chunk in chunks:
                yield pb.ModelChunk(data=chunk)

        def UploadUpdate(self, request_iterator, context):
            count, total, sha = 0, 0, hashlib.sha256()
            for chunk in request_iterator:
                if chunk.WhichOneof("content") == "header":
                    if chunk.header.worker_id == "refuse":
                        context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                      f"Refused at the header: model version {chunk.header.model_version} is stale.")
                    continue
                count += 1
                total += len(chunk.data)
                sha.update(chunk.data)
            return pb.UploadAck(accepted=True, reason=f"{count} chunks, {total} bytes, sha256 {sha.hexdigest()}")

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        compression=grpc.Compression.Gzip if args.gzip else None)
    rpc.add_CoordinatorServicer_to_server(Coordinator(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()  # Returns at EOF: the tests closed our stdin, or ended.
    server.stop(grace=None)


if __name__ == "__main__":
    main()
