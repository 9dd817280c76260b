"""The flow process's default grid, measured: runs bench/flow_grids.yaml on each data set
given (default: swiss_roll and moons), then prints the rms distance of every variant's
samples to the run's rk45 reference (the same noise), as a markdown table per data set.
Usage: /usr/bin/python3 bench/flow_grids.py [BUILD_DIR] [DATA ...] [KEY=VALUE ...]
(overrides such as model.process=edm measure another process's model on the same grids)"""
import subprocess
import sys

import h5py
import numpy as np

build = sys.argv[1] if len(sys.argv) > 1 else "build"
datas = [a for a in sys.argv[2:] if "=" not in a] or ["swiss_roll", "moons"]
overrides = [a for a in sys.argv[2:] if "=" in a]
for data in datas:
    path = f"runs/flow_grids_{data}{'_'.join([''] + [o.split('=')[1] for o in overrides])}.h5"
    subprocess.run([f"{build}/genlab", "run", "bench/flow_grids.yaml", f"data.name={data}",
                    f"output.path={path}", "--overwrite", *overrides], check=True, stdout=subprocess.DEVNULL)
    with h5py.File(path, "r") as f:
        ref = f["variants/reference/samples"][...]
        rows = {}
        for name in f["variants"]:
            if name in ("summary", "reference"):
                continue
            sampler, steps, grid = name.rsplit("-", 2)
            x = f[f"variants/{name}/samples"][...]
            rows.setdefault((sampler, int(steps)), {})[grid] = float(np.sqrt(np.mean((x - ref) ** 2)))
    print(f"\n{data}: rms distance to rk45 (rtol 1e-7) from the same noise\n")
    print("| sampler | steps | edm (rho 7) | flow (uniform t) | flow, shift 3 |")
    print("|---|---|---|---|---|")
    for (sampler, steps), g in sorted(rows.items()):
        best = min(g.values())
        cells = [(f"**{g[k]:.2e}**" if g[k] == best else f"{g[k]:.2e}") for k in ("edm", "flow", "flow3")]
        print(f"| {sampler} | {steps} | " + " | ".join(cells) + " |")
