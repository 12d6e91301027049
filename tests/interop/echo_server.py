#!/usr/bin/env python3
"""A grpcio peer for the FedTrain.Rpc interop tests: the Echo test service, mirroring the C# test server.

Usage: echo_server.py --stubs DIR [--gzip]

DIR holds the modules generated from echo.proto (grpc_tools.protoc). The server listens on 127.0.0.1 on a
free port, prints "PORT <n>" once it serves, and stops when its stdin closes, so it never outlives the tests.
With --gzip every response message is gzip-compressed, whatever the client accepts.
"""
import argparse
import sys
import time
from concurrent import futures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc
    import echo_pb2
    import echo_pb2_grpc

    codes = {code.value[0]: code for code in grpc.StatusCode}

    def describe(text, metadata):
        # "text;key=value" for every x-* key, sorted; binary values as lower-case hex.
        parts = sorted(
            (key, value.hex() if key.endswith("-bin") else value)
            for key, value in metadata
            if key.startswith("x-"))
        return ";".join([text] + [f"{key}={value}" for key, value in parts])

    def fail_if_asked(request, context):
        if request.fail_code:
            context.set_trailing_metadata((
                ("x-error-detail", "detail-text"),
                ("x-error-bin", bytes([0x00, 0x01, 0xFE, 0xFF])),
            ))
            context.abort(codes[request.fail_code], request.fail_message)

    def delay(request, context):
        until = time.monotonic() + request.delay_ms / 1000
        while time.monotonic() < until and context.is_active():
            time.sleep(0.01)

    class Echo(echo_pb2_grpc.EchoServicer):
        def Unary(self, request, context):
            delay(request, context)
            fail_if_asked(request, context)
            metadata = context.invocation_metadata()
            trailers = [("x-served-by", "python")]
            trailers += [(key, value) for key, value in metadata if key == "x-trace-bin"]
            context.set_trailing_metadata(trailers)
            return echo_pb2.EchoMessage(
                text=describe(request.text, metadata), payload=request.payload, values=request.values)

        def ServerStream(self, request, context):
            delay(request, context)
            for i in range(request.response_count):
                if request.fail_code and i == request.fail_after:
                    fail_if_asked(request, context)
                yield echo_pb2.EchoMessage(count=i, payload=bytes([i & 0xFF]) * request.response_size)
            fail_if_asked(request, context)

        def ClientStream(self, request_iterator, context):
            count, total, texts = 0, 0, []
            for request in request_iterator:
                fail_if_asked(request, context)
                count += 1
                total += len(request.payload)
                texts.append(request.text)
            return echo_pb2.EchoMessage(count=count, total_bytes=total, text=",".join(texts))

        def Duplex(self, request_iterator, context):
            for i, request in enumerate(request_iterator):
                fail_if_asked(request, context)
                yield echo_pb2.EchoMessage(text=request.text, count=i)

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        compression=grpc.Compression.Gzip if args.gzip else None)
    echo_pb2_grpc.add_EchoServicer_to_server(Echo(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()  # Returns at EOF: the test run closed our stdin, or ended.
    server.stop(grace=None)


if __name__ == "__main__":
    main()
