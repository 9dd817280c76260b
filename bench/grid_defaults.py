#!/usr/bin/env python3
"""Error against NFE for every process x grid: the table behind default_grid_kind.

For each process and mixture, heun, dpmpp_2m and unipc at 5-100 steps on every grid kind,
from one noise draw: the RMS distance to the rk45 solution of the same noise (the
discretization error alone, build/sampler_accuracy). Prints one markdown table per process
and mixture (bold: the best grid of the row) and, per process, how often each grid wins
in the 10-50 step range people use.

    python3 bench/grid_defaults.py [build]      # ~1 minute on 2 cores
"""
import collections
import re
import subprocess
import sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"
processes = ["edm", "vp", "ve", "flow"]
grids = ["edm", "vp", "ve", "flow", "log_sigma"]
samplers = ["heun", "dpmpp_2m", "unipc"]
steps = [5, 10, 20, 50, 100]
mixtures = ["eight_gaussians", "grid25"]


def measure(process, grid, mixture):
    out = subprocess.run(
        [f"{build}/sampler_accuracy", "--process", process, "--grid", grid, "--mixture", mixture,
         "--only", ",".join(samplers), "--steps", ",".join(map(str, steps)), "--n", "1000", "--n-ref", "1000"],
        check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\| (\w+) \| (\d+) \| (\d+) \| ([0-9.e+-]+) \|", line)
        if m:
            rows[(m.group(1), int(m.group(2)))] = (int(m.group(3)), float(m.group(4)))
    return rows


wins = collections.defaultdict(collections.Counter)
for process in processes:
    for mixture in mixtures:
        table = {g: measure(process, g, mixture) for g in grids}
        print(f"\n{process} process, {mixture}: RMS to the rk45 solution (bold: the row's best grid)\n")
        print("| sampler | steps | NFE | " + " | ".join(grids) + " |")
        print("|---|---|---|" + "---|" * len(grids))
        for s in samplers:
            for n in steps:
                errs = {g: table[g][(s, n)][1] for g in grids}
                best = min(errs, key=errs.get)
                if 10 <= n <= 50:
                    wins[process][best] += 1
                cells = [f"**{errs[g]:.2e}**" if g == best else f"{errs[g]:.2e}" for g in grids]
                print(f"| {s} | {n} | {table[grids[0]][(s, n)][0]} | " + " | ".join(cells) + " |")

print("\nWins at 10-50 steps (rows of both mixtures):\n")
print("| process | " + " | ".join(grids) + " |")
print("|---|" + "---|" * len(grids))
for process in processes:
    print(f"| {process} | " + " | ".join(str(wins[process][g]) for g in grids) + " |")
