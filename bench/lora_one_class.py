"""LoRA against full fine-tuning of a trained Transformer on one Fashion-MNIST class, at
equal steps (configs/transformer_lora_fmnist.yaml): the trainable parameter count, the
test NLL on that class before (the base run's weights, no step) and after each, at two
learning rates per method (1e-3 and 3e-3, cosine after 20 warm-up steps), and the
training seconds.

Usage: /usr/bin/python3 bench/lora_one_class.py BASE_RUN.h5 [BUILD_DIR] [OUT_DIR] [CLASS] [STEPS]
       e.g. the 28x28 Transformer of bench/autoregressive_wallclock.py,
       runs/wallclock/transformer_28.h5; class 8 (bags), 300 steps by default
"""
import os
import subprocess
import sys

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
CONFIG = os.path.join(ROOT, "configs", "transformer_lora_fmnist.yaml")


def run(build, path, overrides):
    cmd = [os.path.join(build, "genlab"), "run", CONFIG, *overrides, "output.path=" + path, "--overwrite"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, OMP_NUM_THREADS="2"))
    with h5py.File(path, "r") as f:
        wall = float(f["train/wall_s"][-1]) if "train" in f else 0.0
        return int(f.attrs["trainable_parameters"]), float(f["test/nll_nats"][0]), wall


def main():
    base = sys.argv[1]
    build = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build")
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "runs", "lora")
    cls = sys.argv[4] if len(sys.argv) > 4 else "8"
    steps = sys.argv[5] if len(sys.argv) > 5 else "300"
    os.makedirs(out, exist_ok=True)
    common = ["threads=2", f"model.init_from={base}", f"data.classes=[{cls}]", "model.samples=0"]
    _, before, _ = run(build, os.path.join(out, "before.h5"),
                       [*common, "model.lora.rank=0", "train.steps=0", "train.schedule=constant",
                        "train.warmup_steps=0"])
    print(f"class {cls}, {steps} steps of batch 32; base model's test NLL on the class: {before:.2f} nats")
    print("| fine-tuning | lr | trainable parameters | test NLL after (nats) | change | training s |")
    print("|---|---|---|---|---|---|")
    for method, rank in (("LoRA rank 4 (qkv, proj, fc1, fc2)", "4"), ("full", "0")):
        for lr in ("1.0e-3", "3.0e-3"):
            path = os.path.join(out, f"{'lora' if rank != '0' else 'full'}_{lr}.h5")
            trainable, after, wall = run(build, path, [*common, f"model.lora.rank={rank}", f"train.lr={lr}",
                                                       f"train.steps={steps}"])
            print(f"| {method} | {lr} | {trainable} | {after:.2f} | {after - before:+.2f} | {wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
