#!/usr/bin/env python3
"""The reference for the GPU training benchmark: the same CNN trained in a plain PyTorch eager loop.

Same architecture as FedTrain's zoo CNN (3x3 conv blocks with ReLU and 2x2 max-pool, a hidden layer, a linear
head), the same synthetic data resident on the device, SGD with momentum, batch size and precision as given.
Prints one JSON line: images per second over the timed steps (after warm-up), with a device synchronisation
before the clock is read.

    pytorch_eager.py [--conv 32,64] [--hidden 128] [--batch 256] [--steps 200] [--device cuda] [--precision fp32|bf16]
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn


class Cnn(nn.Module):
    def __init__(self, conv: list[int], hidden: int, side: int = 28, classes: int = 10):
        super().__init__()
        channels = [1] + conv
        self.convs = nn.ModuleList(nn.Conv2d(channels[i], channels[i + 1], 3, padding=1) for i in range(len(conv)))
        flat = conv[-1] * (side >> len(conv)) ** 2
        self.fc1 = nn.Linear(flat, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = F.max_pool2d(F.relu(conv(x)), 2)
        return self.out(F.relu(self.fc1(x.flatten(1))))


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conv", default="32,64")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    device = torch.device(args.device)
    torch.manual_seed(1)
    model = Cnn([int(c) for c in args.conv.split(",")], args.hidden).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    n = args.batch * args.steps
    images = torch.rand(n, 1, 28, 28, device=device)
    labels = torch.arange(n, device=device) % 10
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16")

    def run(steps: int) -> float:
        order = torch.randperm(n, device=device)
        synchronize(device)
        start = time.perf_counter()
        for s in range(steps):
            index = order[s * args.batch : (s + 1) * args.batch]
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = F.cross_entropy(model(images[index]), labels[index])
            loss.backward()
            optimizer.step()
        synchronize(device)
        return time.perf_counter() - start

    run(min(20, args.steps))
    seconds = run(args.steps)
    print(json.dumps({
        "framework": "pytorch-eager", "torch": torch.__version__, "device": str(device), "precision": args.precision,
        "conv": args.conv, "hidden": args.hidden, "batch": args.batch, "steps": args.steps,
        "images_per_second": args.batch * args.steps / seconds,
    }))


if __name__ == "__main__":
    main()
