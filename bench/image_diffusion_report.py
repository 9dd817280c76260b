"""The image diffusion runs' tables and sample picture for bench/README.md: for each run
file (configs/edm_fmnist.yaml, configs/flow_fmnist.yaml), its variants with the image
metrics, the reference rows, bits/dim and wall times; and one PNG with the sample grid of
chosen variants of every run side by side (10 per row; each column one class).

Usage: /usr/bin/python3 bench/image_diffusion_report.py OUT.png RUN.h5 [RUN.h5 ...]
"""
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from genlab import load_run  # noqa: E402

SHOWN = ["dpmpp_2m-20", "dpmpp_2m-10-w2", "dpmpp_2m-10-w0"]
COLUMNS = ["name", "guidance", "nfe", "wall_s", "fd", "class_accuracy"]


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    runs = [load_run(p) for p in paths]
    for run in runs:
        train = run.train
        print(f"## {run.config['name']} ({run.config['model']['process']}, "
              f"{run.attrs.get('parameters')} parameters): {int(train['step'].iloc[-1])} steps in "
              f"{train['wall_s'].iloc[-1]:.0f} s, final loss {train['loss'].iloc[-1]:.4f}")
        table = run.variants.reindex(columns=COLUMNS)
        reference = run.image_reference.reindex(columns=COLUMNS)
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(reference.to_string(index=False, header=False, float_format=lambda v: f"{v:.4g}"))
        if len(run.likelihood):
            row = run.likelihood.iloc[-1]
            print(f"bits/dim of {int(row['examples'])} dequantized test images (PF-ODE, Hutchinson): "
                  f"{row['bits_per_dim']:.3f} ({int(row['nfe'])} NFE)")
        print()
    # The grids at 1:1 (one pixel per pixel), runs as rows and SHOWN as columns, 8 pixels apart.
    grids = [[run.grid(name) for name in SHOWN] for run in runs]
    h, w, gap = grids[0][0].shape[0], grids[0][0].shape[1], 8
    picture = np.full((len(runs) * (h + gap) - gap, len(SHOWN) * (w + gap) - gap), 128, dtype=np.uint8)
    for r, row in enumerate(grids):
        for c, grid in enumerate(row):
            picture[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = grid
    Image.fromarray(picture, mode="L").save(out, optimize=True)  # 8-bit grayscale PNG
    print(f"rows: {', '.join(run.config['name'] for run in runs)}; columns: {', '.join(SHOWN)}")
    print(f"picture: {out}")


if __name__ == "__main__":
    main()
