#!/usr/bin/env python3
"""The measured-orders table of bench/README.md from bench/sampler_product.sh's output:
per sampler variant and grid, the range (min-max over the four processes and both
mixtures) of the float64 convergence slope, next to the registered order.

    python3 bench/product_orders.py build/sampler_product.txt
"""
import collections
import re
import sys

rows = collections.defaultdict(list)
registered = {}
grids = ["edm", "vp", "ve", "flow", "log_sigma"]
for line in open(sys.argv[1] if len(sys.argv) > 1 else "build/sampler_product.txt"):
    m = re.match(r"order (\S+)\s+(\S+)\s+(\S+)\s+(.+?)\s+(\S+)\s+(\S+)\s+(-?[0-9.]+) \(([0-9.]+)\)", line)
    if not m:
        continue
    target, process, grid, variant, e1, e2, slope, expected = m.groups()
    if float(e2) < 3e-7:  # converged below the network's floor: no slope to read
        continue
    rows[(variant.strip(), grid)].append(float(slope))
    registered.setdefault(variant.strip(), {})[grid] = expected
print("| sampler (options) | " + " | ".join(grids) + " |")
print("|---|" + "---|" * len(grids))
for variant in dict.fromkeys(v for v, _ in rows):
    cells = []
    for g in grids:
        s = rows.get((variant, g))
        cells.append(f"{min(s):.2f}-{max(s):.2f} ({registered[variant][g]})" if s else "-")
    print(f"| {variant} | " + " | ".join(cells) + " |")
