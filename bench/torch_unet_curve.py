"""PyTorch peer of a genlab training run's loss curve: the U-Net of bench/torch_unet.py
(genlab's default `model.net.kind: unet`, layer for layer), EDM preconditioning and loss,
Adam with the linear warm-up and gradient clipping of configs/edm_fmnist.yaml, trained on
Fashion-MNIST gray levels in [-1, 1] (Debian's dataset-fashion-mnist) in shuffled epochs
of batch 128. Prints one JSON line per LOG_EVERY steps (mean loss over the window, wall
time) and a last line with the median seconds per step.

Usage: /usr/bin/python3 bench/torch_unet_curve.py THREADS STEPS [LOG_EVERY] [channels_last]
"""
import gzip
import json
import statistics
import sys
import time

import numpy as np
import torch

from torch_unet import UNet, edm_loss

FMNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def images():
    with gzip.open(FMNIST) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(raw.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0 * 2 - 1)


def main():
    threads, steps = int(sys.argv[1]), int(sys.argv[2])
    log_every = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    channels_last = len(sys.argv) > 4 and sys.argv[4] == "channels_last"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    net = UNet().to(memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    warmup, lr, sd, batch = 100, 1e-3, 0.5, 128
    data = images()
    order = torch.randperm(len(data))
    window, times, t_window = [], [], time.perf_counter()
    for step in range(steps):
        first = (step * batch) % (len(data) - batch)
        x0 = data[order[first:first + batch]].contiguous(memory_format=fmt)
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / warmup)
        t0 = time.perf_counter()
        loss = edm_loss(net, x0, sd)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
        window.append(loss.item())
        if (step + 1) % log_every == 0:
            print(json.dumps({"step": step + 1, "loss": sum(window) / len(window),
                              "wall_s": time.perf_counter() - t_window}), flush=True)
            window = []
    print(json.dumps({"bench": "unet_curve", "impl": "torch " + torch.__version__, "threads": threads,
                      "layout": "channels_last" if channels_last else "NCHW",
                      "median_step_s": statistics.median(times[2:])}))


if __name__ == "__main__":
    main()
