"""The image U-Net's loss curve, genlab against PyTorch in one run: genlab trains
configs/edm_fmnist.yaml unconditionally (model.classes=0, the same network as
bench/torch_unet_curve.py, which has no class embedding) for STEPS steps and the torch
peer the same steps with the same optimizer, warm-up, clipping, batch and loss. Prints
both curves (mean loss per 50 steps) and each side's median seconds per step. The curves
differ by their random draws (initial weights, batches, sigmas), not their model: they
should overlap within the noise of a 50-step window.

Usage: /usr/bin/python3 bench/compare_unet_curve.py [BUILD_DIR] [STEPS] [TORCH_THREADS] [layout]
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    torch_threads = sys.argv[3] if len(sys.argv) > 3 else "2"
    layout = sys.argv[4] if len(sys.argv) > 4 else "channels_last"
    out = os.path.join(tempfile.mkdtemp(), "curve.h5")
    subprocess.run([os.path.join(build, "genlab"), "run", os.path.join(HERE, "..", "configs", "edm_fmnist.yaml"),
                    f"output.path={out}", "model.classes=0", f"train.steps={steps}", "train.log_every=50",
                    f"train.checkpoint_every={steps}", "threads=2", "evaluate.likelihood=false", "samplers=[]",
                    "evaluate.samples=4", "evaluate.eval_steps=1", "evaluate.classifier=none"],
                   check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        g_steps, g_loss, g_wall = f["train/step"][()], f["train/loss"][()], f["train/wall_s"][()]
    env = dict(os.environ, OMP_NUM_THREADS=torch_threads, OPENBLAS_NUM_THREADS="1")
    lines = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "torch_unet_curve.py"), torch_threads,
                            str(steps), "50", layout], check=True, capture_output=True, text=True,
                           env=env, cwd=HERE).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    t_curve = {r["step"]: r["loss"] for r in rows if "step" in r}
    t_step = rows[-1]["median_step_s"]
    print(f"{'step':>6} {'genlab loss':>12} {'torch loss':>12}")
    for s, l in zip(g_steps, g_loss):
        print(f"{int(s):>6} {l:>12.4f} {t_curve.get(int(s), float('nan')):>12.4f}")
    g_step = float(np.diff(g_wall).mean() / 50) if len(g_wall) > 1 else float("nan")
    last = min(3, len(g_loss))
    print(f"mean of the last {last} windows: genlab {np.mean(g_loss[-last:]):.4f}, "
          f"torch {np.mean([t_curve[k] for k in sorted(t_curve)[-last:]]):.4f}")
    print(f"s/step: genlab {g_step:.3f} (threads 2, incl. data and logging), torch {t_step:.3f} "
          f"(threads {torch_threads}, OPENBLAS 1, {layout}); torch / genlab {t_step / g_step:.2f}x")


if __name__ == "__main__":
    main()
