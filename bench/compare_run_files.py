#!/usr/bin/env python3
"""Compares the run files of two folders (bench/bitwise_families.sh) dataset by dataset:
every array and table column must be equal to the bit (NaN equal to NaN), wall times left
out. Prints each file's count of datasets and its differences; exit 1 if any differ.
Usage: /usr/bin/python3 bench/compare_run_files.py BEFORE_DIR AFTER_DIR"""
import os
import sys

import h5py
import numpy as np

before, after = sys.argv[1], sys.argv[2]
failed = False
for name in sorted(f for f in os.listdir(before) if f.endswith(".h5")):
    a, b = h5py.File(os.path.join(before, name), "r"), h5py.File(os.path.join(after, name), "r")
    diffs, count = [], [0]

    def visit(path, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        if path.rsplit("/", 1)[-1].startswith("wall"):
            return  # a time, not a result
        if path not in b:
            diffs.append(f"{path}: missing")
            return
        count[0] += 1
        x, y = obj[()], b[path][()]
        if x.dtype.names:
            for field in x.dtype.names:
                if field.startswith("wall") or field == "seconds":
                    continue
                if not np.array_equal(x[field], y[field], equal_nan=x[field].dtype.kind == "f"):
                    diffs.append(f"{path}.{field}")
        elif not np.array_equal(x, y, equal_nan=getattr(x, "dtype", None) is not None and x.dtype.kind == "f"):
            diffs.append(path)

    a.visititems(visit)
    failed = failed or bool(diffs)
    print(f"{name}: {count[0]} datasets, {len(diffs)} differences {diffs[:8] if diffs else ''}")
sys.exit(1 if failed else 0)
