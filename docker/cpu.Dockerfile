# syntax=docker/dockerfile:1
# FedTrain for CPUs: one image for both roles, `fedtrain coordinator ...` and `fedtrain worker ...`.
# Build from the repository root:  docker build -f docker/cpu.Dockerfile -t fedtrain:dev .

# 1. The native trainer against Debian's libtorch, as scripts/build-native.sh builds it.
FROM debian:bookworm-slim AS native
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake g++ ninja-build libtorch-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Worker/native/ Worker/native/
RUN cmake -S Worker/native -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDTRAIN_BUILD_TESTS=OFF \
    && cmake --build /build --target fedtrain_trainer

# 2. The CLI, self-contained so that the runtime image needs no .NET installation. The live page is already
#    built (Web/dist is committed), so no Node.js either.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS dotnet
WORKDIR /src
COPY . .
RUN dotnet publish Cli/FedTrain.Cli/FedTrain.Cli.csproj -c Release -r linux-x64 --self-contained -o /app

# 3. Runtime: libtorch's shared libraries, the Fashion-MNIST test set (the coordinator's default), the CLI.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libtorch1.13 dataset-fashion-mnist ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/fedtrain --create-home fedtrain
COPY --from=dotnet /app /opt/fedtrain
COPY --from=native /build/libfedtrain_trainer.so /opt/fedtrain/libfedtrain_trainer.so
ENV FEDTRAIN_NATIVE_LIB=/opt/fedtrain/libfedtrain_trainer.so \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
USER 10001:10001
WORKDIR /var/lib/fedtrain
# gRPC (workers, health probes) and HTTP (live page, /api, /metrics).
EXPOSE 50051 8080
ENTRYPOINT ["/opt/fedtrain/fedtrain"]
CMD ["--help"]
