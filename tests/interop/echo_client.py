#!/usr/bin/env python3
"""A grpcio client for the FedTrain.Rpc interop tests: runs one case against the C# test server.

Usage: echo_client.py --stubs DIR --target 127.0.0.1:PORT CASE

Exits 0 when the case passes; otherwise prints what differed and exits 1.
"""
import argparse
import queue
import sys

MIB = 1024 * 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("case")
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)

    import grpc
    import echo_pb2
    import echo_pb2_grpc
    import health_pb2
    import health_pb2_grpc

    def expect(condition, what):
        if not condition:
            raise AssertionError(what)

    def expect_error(call, code, what):
        try:
            call()
        except grpc.RpcError as error:
            expect(error.code() == code, f"{what}: expected {code}, got {error.code()} {error.details()!r}")
            return error
        raise AssertionError(f"{what}: expected {code}, but the call succeeded")

    def channel(compression=None):
        # A proxy from the environment must not divert loopback calls.
        return grpc.insecure_channel(
            args.target, options=[("grpc.enable_http_proxy", 0)], compression=compression)

    with channel() as ch:
        echo = echo_pb2_grpc.EchoStub(ch)
        case = args.case

        if case == "health":
            health = health_pb2_grpc.HealthStub(ch)
            reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
            expect(reply.status == health_pb2.HealthCheckResponse.SERVING, f"status {reply.status}")
            expect_error(lambda: health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10),
                         grpc.StatusCode.NOT_FOUND, "unknown service")

        elif case == "unary":
            metadata = (("x-worker-id", "worker-7"), ("x-trace-bin", b"\x00\x01\x02\xfa"),
                        ("authorization", "Bearer py-token"))
            request = echo_pb2.EchoMessage(text="hello", payload=b"\x01\x02\x03", values=[1.5, -2.0])
            reply, call = echo.Unary.with_call(request, metadata=metadata, timeout=10)
            expect(reply.text == "hello;x-trace-bin=000102fa;x-worker-id=worker-7", f"text {reply.text!r}")
            expect(reply.payload == request.payload and list(reply.values) == [1.5, -2.0], "payload/values")
            trailers = dict(call.trailing_metadata())
            expect(trailers.get("x-served-by") == "csharp", f"trailers {trailers}")
            expect(trailers.get("x-trace-bin") == b"\x00\x01\x02\xfa", f"trailers {trailers}")

        elif case == "server_stream":
            replies = list(echo.ServerStream(echo_pb2.EchoMessage(response_count=10, response_size=MIB), timeout=30))
            expect([r.count for r in replies] == list(range(10)), "order")
            expect(all(len(r.payload) == MIB and r.payload[-1] == r.count for r in replies), "payloads")
            expect(list(echo.ServerStream(echo_pb2.EchoMessage(response_count=0), timeout=10)) == [], "empty stream")

        elif case == "server_stream_error":
            received = []
            stream = echo.ServerStream(echo_pb2.EchoMessage(
                response_count=10, response_size=10, fail_code=10, fail_message="stop", fail_after=3), timeout=10)

            def consume():
                for reply in stream:
                    received.append(reply.count)
            error = expect_error(consume, grpc.StatusCode.ABORTED, "error after three")
            expect(received == [0, 1, 2], f"received {received}")
            expect(error.details() == "stop", f"details {error.details()!r}")

        elif case == "client_stream":
            requests = (echo_pb2.EchoMessage(text=str(i), payload=bytes(MIB)) for i in range(10))
            reply = echo.ClientStream(requests, timeout=30)
            expect(reply.count == 10 and reply.total_bytes == 10 * MIB, f"count {reply.count} bytes {reply.total_bytes}")
            expect(reply.text == "0,1,2,3,4,5,6,7,8,9", f"text {reply.text!r}")

        elif case == "raw_client_stream":
            # The server lends each message's bytes to the handler (MapClientStreamingPayloads); gzip ones inflated.
            for compression in (None, grpc.Compression.Gzip):
                with channel(compression) as raw_channel:
                    raw = raw_channel.stream_unary("/fedtrain.testing.Echo/RawClientStream",
                                                   request_serializer=echo_pb2.EchoMessage.SerializeToString,
                                                   response_deserializer=echo_pb2.EchoMessage.FromString)
                    requests = (echo_pb2.EchoMessage(text=str(i), payload=bytes([i]) * MIB) for i in range(10))
                    reply = raw(requests, timeout=30)
                    expect(reply.count == 10 and reply.total_bytes == 10 * MIB,
                           f"{compression}: count {reply.count} bytes {reply.total_bytes}")
                    expect(reply.text == "0,1,2,3,4,5,6,7,8,9", f"{compression}: text {reply.text!r}")

        elif case == "duplex":
            outgoing = queue.Queue()
            outgoing.put(echo_pb2.EchoMessage(text="ping-0"))

            def requests():
                while (item := outgoing.get()) is not None:
                    yield item
            seen = []
            for reply in echo.Duplex(requests(), timeout=10):
                seen.append(reply.text)
                outgoing.put(None if reply.count == 4 else echo_pb2.EchoMessage(text=f"ping-{reply.count + 1}"))
            expect(seen == [f"ping-{i}" for i in range(5)], f"seen {seen}")

        elif case == "error":
            message = "naïve ✓ 100% done\nline 2"
            error = expect_error(
                lambda: echo.Unary(echo_pb2.EchoMessage(fail_code=5, fail_message=message), timeout=10),
                grpc.StatusCode.NOT_FOUND, "error")
            expect(error.details() == message, f"details {error.details()!r}")
            trailers = dict(error.trailing_metadata())
            expect(trailers.get("x-error-detail") == "detail-text", f"trailers {trailers}")
            expect(trailers.get("x-error-bin") == b"\x00\x01\xfe\xff", f"trailers {trailers}")

        elif case == "deadline":
            expect_error(lambda: echo.Unary(echo_pb2.EchoMessage(text="py-deadline", delay_ms=30000), timeout=0.3),
                         grpc.StatusCode.DEADLINE_EXCEEDED, "deadline")

        elif case == "unimplemented":
            missing = ch.unary_unary("/fedtrain.testing.Echo/Missing",
                                     request_serializer=echo_pb2.EchoMessage.SerializeToString,
                                     response_deserializer=echo_pb2.EchoMessage.FromString)
            expect_error(lambda: missing(echo_pb2.EchoMessage(), timeout=10), grpc.StatusCode.UNIMPLEMENTED, "unknown method")

        elif case == "too_large":
            expect_error(lambda: echo.Unary(echo_pb2.EchoMessage(payload=bytes(5 * MIB)), timeout=10),
                         grpc.StatusCode.RESOURCE_EXHAUSTED, "5 MiB request")

        elif case == "gzip_request":
            with channel(grpc.Compression.Gzip) as gz:
                reply = echo_pb2_grpc.EchoStub(gz).Unary(
                    echo_pb2.EchoMessage(text="squeezed", payload=bytes(MIB)), timeout=10)
                expect(reply.text == "squeezed" and len(reply.payload) == MIB, "gzip echo")

        else:
            raise SystemExit(f"unknown case {case!r}")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
