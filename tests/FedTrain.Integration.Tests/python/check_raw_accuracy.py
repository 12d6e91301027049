#!/usr/bin/env python3
"""Scores a `fedtrain export` on raw inputs through its FedTrainClassifier (the run's preprocessing, then the model).

usage: check_raw_accuracy.py (MODULE_PY STATE_DICT | --torchscript ARCHIVE)
                             (--csv FILE --label-column NAME | --idx-images FILE --idx-labels FILE)

The classifier is the exported module's load(), or with --torchscript the archive `--format torchscript` wrote, read
with torch.jit.load alone (no FedTrain source imported). --csv reads a table with a header (';' or ',' separated) and
takes the columns in the classifier's feature_names order, mapping labels by its class_names; --idx-images/--idx-labels
read uncompressed IDX files of raw 0..255 pixels and labels given as class indices. Prints class_names=JSON and
accuracy=X (the share of examples whose predicted class name is the label).
"""
import argparse
import csv
import importlib.util
import json

import numpy as np
import torch


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("module", nargs="?")
    parser.add_argument("state_dict", nargs="?")
    parser.add_argument("--torchscript")
    parser.add_argument("--csv")
    parser.add_argument("--label-column")
    parser.add_argument("--idx-images")
    parser.add_argument("--idx-labels")
    args = parser.parse_args()

    if args.torchscript:
        classifier = torch.jit.load(args.torchscript)
    else:
        spec = importlib.util.spec_from_file_location("exported_model", args.module)
        exported = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(exported)
        classifier = exported.load(args.state_dict)
    class_names = list(classifier.class_names)
    feature_names = list(classifier.feature_names)

    if args.csv:
        with open(args.csv, newline="") as f:
            dialect = csv.Sniffer().sniff(f.readline(), delimiters=",;\t")
            f.seek(0)
            rows = list(csv.DictReader(f, dialect=dialect))
        raw = torch.tensor([[float(row[name]) for name in feature_names] for row in rows])
        labels = [str(int(float(row[args.label_column]))) if row[args.label_column].replace(".", "", 1).isdigit() else row[args.label_column]
                  for row in rows]
    else:
        images = np.fromfile(args.idx_images, dtype=np.uint8)[16:]
        raw = torch.from_numpy(images.reshape(-1, 28, 28).copy())
        labels = [class_names[i] for i in np.fromfile(args.idx_labels, dtype=np.uint8)[8:]]

    with torch.no_grad():
        predicted = classifier.predict(raw)
    accuracy = sum(p == l for p, l in zip(predicted, labels)) / len(labels)
    print(f"class_names={json.dumps(class_names)}")
    print(f"accuracy={accuracy:.10f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
