"""Transformer vs MADE vs NADE on statically binarized Fashion-MNIST (28x28 and the 14x14
down-sampling) at equal training wall-clock on this machine: each model's `genlab run`
gets the step count that fills the budget, from its step time in a short calibration
run; then the run file gives the test NLL (nats), the parameter count, the training
seconds it really took and the seconds to sample 64 images (the KV cache for the
Transformer, one teacher-forced pass per pixel for MADE and NADE's incremental pass).

Every run: 2,000 validation images (the rest train), evaluation and checkpoints only at
the end, so the budget is training alone. Models and optimizers as their configs:
- transformer: configs/transformer_fmnist.yaml (2 blocks, width 64, batch 32, AdamW 2e-3,
  100 warm-up steps then cosine over the run)
- made: configs/made_fmnist.yaml (784-500-784, batch 100, Adam 1e-3)
- nade: the same with model.arch=nade (500 hidden units)

Usage: /usr/bin/python3 bench/autoregressive_wallclock.py [BUILD_DIR] [OUT_DIR] [SIZE:SECONDS ...]
       default: 28:300 14:120; run files go to OUT_DIR (default runs/wallclock)
"""
import os
import subprocess
import sys

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
COMMON = ["threads=2", "data.validation=2000", "train.eval_every=0", "train.checkpoint_every=0", "train.log_every=50"]
MODELS = {
    "transformer": ("configs/transformer_fmnist.yaml", []),
    "made": ("configs/made_fmnist.yaml", ["train.epochs=0", "train.eval_every_epochs=0",
                                          "train.checkpoint_every_epochs=0"]),
    "nade": ("configs/made_fmnist.yaml", ["model.arch=nade", "train.epochs=0", "train.eval_every_epochs=0",
                                          "train.checkpoint_every_epochs=0"]),
}


def genlab_run(build, config, overrides, path):
    cmd = [os.path.join(build, "genlab"), "run", os.path.join(ROOT, config), *overrides, "output.path=" + path,
           "--overwrite"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, OMP_NUM_THREADS="2"))
    return h5py.File(path, "r")


def seconds_per_step(build, name, size, out):
    config, extra = MODELS[name]
    path = os.path.join(out, f"calibrate_{name}_{size}.h5")
    probe = 60 if name == "transformer" else 300
    warmup = ["train.warmup_steps=10"] if name == "transformer" else []  # below the probe's steps
    overrides = [*COMMON, *extra, *size_override(size), f"train.steps={probe}", "model.samples=0", *warmup]
    with genlab_run(build, config, overrides, path) as f:
        step, wall = f["train/step"][:], f["train/wall_s"][:]
    # From the first logged row on: the first steps pay for allocation and warm-up.
    return (wall[-1] - wall[0]) / (step[-1] - step[0])


def size_override(size):
    return ["data.downsample=true"] if size == 14 else []


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "runs", "wallclock")
    os.makedirs(out, exist_ok=True)
    plans = sys.argv[3:] or ["28:300", "14:120"]
    for plan in plans:
        size, budget = (int(v) for v in plan.split(":"))
        print(f"{size}x{size}, {budget} s of training each (OMP 2)", flush=True)
        print("| model | parameters | steps | training s | test NLL (nats) | sampling 64 images (s) |")
        print("|---|---|---|---|---|---|")
        for name in MODELS:
            per_step = seconds_per_step(build, name, size, out)
            steps = max(200, int(budget / per_step))
            config, extra = MODELS[name]
            path = os.path.join(out, f"{name}_{size}.h5")
            with genlab_run(build, config, [*COMMON, *extra, *size_override(size), f"train.steps={steps}"], path) as f:
                print(f"| {name} | {f.attrs['parameters']} | {steps} | {f['train/wall_s'][-1]:.0f} | "
                      f"{f['test/nll_nats'][0]:.2f} | {float(f['samples'].attrs['seconds']):.2f} |", flush=True)


if __name__ == "__main__":
    main()
