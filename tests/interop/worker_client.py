#!/usr/bin/env python3
"""Python grpcio (gRPC C-core) as a FedTrain worker: runs one case against a real coordinator.

Usage: worker_client.py --protos PROTO_ROOT --target 127.0.0.1:PORT --worker ID --credential TOKEN CASE

Cases: round (Register, Heartbeat, GetAssignment, DownloadModel, an upload refused at its header, then an accepted
update), gzip (compressed calls accepted, one inflating too far refused), unauthenticated, unimplemented, too_large,
deadline. Exits 0 when the case passes; otherwise prints what differed and exits 1.
"""
import argparse
import hashlib
import struct
import sys

import grpc

from fedtrain_stubs import generate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--credential", required=True)
    parser.add_argument("case")
    args = parser.parse_args()
    generate(args.protos)
    from fedtrain.v1 import federation_pb2 as pb
    from fedtrain.v1 import model_pb2
    from fedtrain.v1 import federation_pb2_grpc as rpc

    auth = (("authorization", "Bearer " + args.credential),)

    def expect(condition, what):
        if not condition:
            raise AssertionError(what)

    def expect_error(call, codes, what):
        codes = codes if isinstance(codes, tuple) else (codes,)
        try:
            call()
        except grpc.RpcError as error:
            expect(error.code() in codes, f"{what}: expected {codes}, got {error.code()} {error.details()!r}")
            print(f"{what}: {error.code().name} {error.details()}")
            return error
        raise AssertionError(f"{what}: expected {codes}, but the call succeeded")

    def register_request(version="py-grpcio"):
        return pb.RegisterRequest(
            worker_id=args.worker, version=version,
            data=pb.DataSummary(example_count=100, label_histogram=[10] * 10),
            capabilities=pb.Capabilities(device="cpu", threads=1))

    # A proxy from the environment must not divert loopback calls.
    with grpc.insecure_channel(args.target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        stub = rpc.CoordinatorStub(channel)
        case = args.case

        if case == "round":
            registered = stub.Register(register_request(), metadata=auth, timeout=10)
            expect(registered.run_id and registered.max_message_bytes > 0, f"register: {registered}")
            beat = stub.Heartbeat(pb.HeartbeatRequest(worker_id=args.worker, run_id=registered.run_id, phase="idle"),
                                  metadata=auth, timeout=10)
            expect(beat.known, "heartbeat: the coordinator does not know the worker")

            outcome = stub.GetAssignment(pb.AssignmentRequest(worker_id=args.worker, run_id=registered.run_id, wait_seconds=20),
                                         metadata=auth, timeout=30)
            expect(outcome.WhichOneof("outcome") == "assignment", f"assignment: {outcome}")
            assignment = outcome.assignment

            chunks = list(stub.DownloadModel(pb.DownloadRequest(
                worker_id=args.worker, run_id=assignment.run_id, round=assignment.round,
                model_version=assignment.model_version), metadata=auth, timeout=30))
            expect(chunks and chunks[0].WhichOneof("content") == "header", "download: no header first")
            header = chunks[0].header
            model = b"".join(c.data for c in chunks[1:])
            expect(all(c.WhichOneof("content") == "data" for c in chunks[1:]), "download: a second header")
            expect(len(model) == header.total_bytes == 4 * header.parameter_count == 4 * assignment.parameter_count,
                   f"download: {len(model)} bytes, header {header.total_bytes}, {assignment.parameter_count} parameters")
            expect(hashlib.sha256(model).digest() == header.sha256, "download: the bytes do not match the header's SHA-256")
            print(f"downloaded {len(chunks) - 1} chunks, {len(model)} bytes")

            delta = struct.pack(f"<{assignment.parameter_count}f", *([0.001] * assignment.parameter_count))
            chunk_bytes = min(256 * 1024, registered.max_message_bytes // 2)

            def upload(model_version):
                yield pb.UpdateChunk(header=pb.UploadHeader(
                    worker_id=args.worker, run_id=assignment.run_id, round=assignment.round,
                    model_version=model_version, example_count=100,
                    payload=model_pb2.PayloadHeader(
                        total_bytes=len(delta), parameter_count=assignment.parameter_count,
                        sha256=hashlib.sha256(delta).digest(), chunk_bytes=chunk_bytes)))
                for offset in range(0, len(delta), chunk_bytes):
                    yield pb.UpdateChunk(data=delta[offset:offset + chunk_bytes])

            refused = expect_error(lambda: stub.UploadUpdate(upload(assignment.model_version + 7), metadata=auth, timeout=30),
                                   (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT), "stale upload")
            expect(f"version {assignment.model_version + 7}" in refused.details(), f"stale upload: {refused.details()!r}")
            ack = stub.UploadUpdate(upload(assignment.model_version), metadata=auth, timeout=30)
            expect(ack.accepted, f"upload not accepted: {ack.reason}")
            print("upload accepted")

        elif case == "gzip":
            registered = stub.Register(register_request("gzip " * 200), metadata=auth, timeout=10,
                                       compression=grpc.Compression.Gzip)
            expect(registered.run_id, f"register: {registered}")
            beat = stub.Heartbeat(pb.HeartbeatRequest(worker_id=args.worker, run_id=registered.run_id),
                                  metadata=auth, timeout=10, compression=grpc.Compression.Gzip)
            expect(beat.known, "heartbeat: the coordinator does not know the worker")
            # 1 MiB of one letter compresses about a thousandfold: refused for its ratio, which shows grpcio did compress.
            bomb = expect_error(lambda: stub.Register(register_request("x" * (1024 * 1024)), metadata=auth, timeout=10,
                                                      compression=grpc.Compression.Gzip),
                                grpc.StatusCode.RESOURCE_EXHAUSTED, "gzip bomb")
            expect("inflates more than" in bomb.details(), f"gzip bomb: {bomb.details()!r}")

        elif case == "unauthenticated":
            expect_error(lambda: stub.Heartbeat(pb.HeartbeatRequest(worker_id=args.worker), timeout=10),
                         grpc.StatusCode.UNAUTHENTICATED, "no credential")

        elif case == "unimplemented":
            missing = channel.unary_unary(
                "/fedtrain.v1.Coordinator/NoSuchMethod",
                request_serializer=pb.HeartbeatRequest.SerializeToString,
                response_deserializer=pb.HeartbeatResponse.FromString)
            expect_error(lambda: missing(pb.HeartbeatRequest(worker_id=args.worker), metadata=auth, timeout=10),
                         grpc.StatusCode.UNIMPLEMENTED, "unknown method")

        elif case == "too_large":
            expect_error(lambda: stub.Register(register_request("x" * (5 * 1024 * 1024)), metadata=auth, timeout=10),
                         grpc.StatusCode.RESOURCE_EXHAUSTED, "5 MiB message")

        elif case == "deadline":
            stub.Register(register_request(), metadata=auth, timeout=10)
            expect_error(lambda: stub.GetAssignment(pb.AssignmentRequest(worker_id=args.worker, wait_seconds=30),
                                                    metadata=auth, timeout=1),
                         grpc.StatusCode.DEADLINE_EXCEEDED, "long poll past its deadline")

        else:
            raise ValueError(f"unknown case {case}")
    print(f"{args.case}: passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
