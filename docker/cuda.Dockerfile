# syntax=docker/dockerfile:1
# FedTrain for NVIDIA GPUs: the native trainer built against the CUDA libtorch of a PyTorch image. Meant for
# workers (`fedtrain worker --device cuda ...`); the coordinator runs the CPU image.
# Build from the repository root:  docker build -f docker/cuda.Dockerfile -t fedtrain-cuda:dev .
ARG PYTORCH_TAG=2.5.1-cuda12.4-cudnn9

# 1. The native trainer against the libtorch inside PyTorch (headers, libraries and CMake config ship with it).
FROM pytorch/pytorch:${PYTORCH_TAG}-devel AS native
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake g++ ninja-build \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Worker/native/ Worker/native/
RUN cmake -S Worker/native -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEDTRAIN_BUILD_TESTS=OFF \
        -DTorch_DIR="$(python -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')/Torch" \
    && cmake --build /build --target fedtrain_trainer

# 2. The CLI, self-contained, exactly as in the CPU image.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS dotnet
WORKDIR /src
COPY . .
RUN dotnet publish Cli/FedTrain.Cli/FedTrain.Cli.csproj -c Release -r linux-x64 --self-contained -o /app

# 3. Runtime: the matching PyTorch runtime image provides CUDA, cuDNN and libtorch's shared libraries.
FROM pytorch/pytorch:${PYTORCH_TAG}-runtime
RUN ln -s "$(python -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" /opt/torch-lib \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/fedtrain --create-home fedtrain
COPY --from=dotnet /app /opt/fedtrain
COPY --from=native /build/libfedtrain_trainer.so /opt/fedtrain/libfedtrain_trainer.so
ENV FEDTRAIN_NATIVE_LIB=/opt/fedtrain/libfedtrain_trainer.so \
    LD_LIBRARY_PATH=/opt/torch-lib \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
USER 10001:10001
WORKDIR /var/lib/fedtrain
EXPOSE 50051 8080
ENTRYPOINT ["/opt/fedtrain/fedtrain"]
CMD ["--help"]
