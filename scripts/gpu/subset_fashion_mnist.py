#!/usr/bin/env python3
"""Writes the first N training and M test examples of Fashion-MNIST as gzipped IDX files, the layout FedTrain reads.

A machine that only receives a copy of FedTrain (a GPU node without the .NET SDK or Debian's data package) gets a
subset small enough to travel with the executable.

    subset_fashion_mnist.py SOURCE_DIR OUT_DIR [--train N] [--test M]
"""
import argparse
import gzip
import pathlib
import struct

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: pathlib.Path) -> tuple[bytes, tuple[int, ...], bytes]:
    data = gzip.decompress(path.read_bytes())
    magic = data[:4]
    rank = magic[3]
    shape = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    return magic, shape, data[4 + 4 * rank :]


def write_idx(path: pathlib.Path, magic: bytes, shape: tuple[int, ...], body: bytes) -> None:
    header = magic + struct.pack(">" + "I" * len(shape), *shape)
    path.write_bytes(gzip.compress(header + body, compresslevel=9, mtime=0))


def subset(source: pathlib.Path, out: pathlib.Path, split: str, count: int) -> None:
    for name in FILES[split]:
        magic, shape, body = read_idx(source / name)
        if count > shape[0]:
            raise SystemExit(f"{name} holds {shape[0]} examples; cannot take {count}")
        per_example = len(body) // shape[0]
        write_idx(out / name, magic, (count,) + shape[1:], body[: count * per_example])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--test", type=int, default=2000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    subset(args.source, args.out, "train", args.train)
    subset(args.source, args.out, "test", args.test)


if __name__ == "__main__":
    main()
