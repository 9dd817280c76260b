"""PyTorch peer of `bench_diffusion train`: the same EDM MLP (4x256 SiLU, sinusoidal
embedding of c_noise = ln(sigma)/4, batch 4096, Adam 1e-3, ln sigma ~ N(-1.2, 1.2^2),
sigma_data 0.5, EMA 0.995) on the same toy data; heun-18 samples of the EMA model.

Run by bench/compare_diffusion_train.py; prints one JSON line.
Usage: /usr/bin/python3 bench/torch_diffusion_train.py DATA THREADS STEPS [N]
"""
import copy
import json
import math
import statistics
import sys
import time

import numpy as np
import torch

from torch_sampling import edm_times, heun

SD = 0.5


def toy(name, n, g):
    """The formulas of genlab/experiments/toy_data.cpp for the two sets the issue names."""
    u = torch.rand(n, 4, generator=g)
    z = torch.randn(n, 2, generator=g)
    if name == "eight_gaussians":
        a = torch.floor(u[:, 0] * 8) * math.pi / 4
        return torch.stack([torch.cos(a), torch.sin(a)], 1) + 0.1 * z
    th = math.pi * u[:, 0]
    upper = u[:, 1] < 0.5
    x = torch.where(upper, torch.cos(th), 1 - torch.cos(th))
    y = torch.where(upper, torch.sin(th), 0.5 - torch.sin(th))
    return torch.stack([x - 0.5, y - 0.25], 1) + 0.05 * z


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        half = 32
        self.register_buffer("freqs", 10000.0 ** (-torch.arange(half, dtype=torch.float32) / half))
        layers, d = [], 2 + 2 * half
        for _ in range(4):
            layers += [torch.nn.Linear(d, 256), torch.nn.SiLU()]
            d = 256
        self.mlp = torch.nn.Sequential(*layers, torch.nn.Linear(d, 2))

    def forward(self, x_in, c_noise):
        args = c_noise.view(-1, 1) * self.freqs
        return self.mlp(torch.cat([x_in, torch.cos(args), torch.sin(args)], 1))


class Denoiser:
    def __init__(self, net):
        self.net = net

    def __call__(self, x, sigma):
        s = sigma.view(-1, 1)
        var = s * s + SD * SD
        return x * (SD * SD / var) + self.net(x / var.sqrt(), torch.log(sigma) / 4) * (s * SD / var.sqrt())


def sliced_w2(a, b, directions=128, seed=0):
    u = np.random.default_rng(seed).normal(size=(directions, a.shape[1]))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    pa, pb = np.sort(a @ u.T, axis=0), np.sort(b @ u.T, axis=0)
    return float(np.sqrt(np.mean((pa - pb) ** 2)))


def edm_step(net, ema, opt, x0, g=None):
    """One training step of the EDM MLP on the batch x0: lognormal sigma, the preconditioned
    loss, Adam, EMA 0.995. Returns the loss tensor (not read, so a GPU need not sync)."""
    n = x0.shape[0]
    sigma = torch.exp(torch.randn(n, generator=g) * 1.2 - 1.2)
    s = sigma.view(-1, 1)
    x = x0 + s * torch.randn(n, 2, generator=g)
    var = s * s + SD * SD
    c_skip, c_out, c_in = SD * SD / var, s * SD / var.sqrt(), 1 / var.sqrt()
    # lambda ||D - x0||^2 with EDM's lambda is the plain loss on F's target.
    loss = torch.mean((net(x * c_in, torch.log(sigma) / 4) - (x0 - c_skip * x) / c_out) ** 2)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), net.parameters()):
            pe.mul_(0.995).add_(p, alpha=0.005)
    return loss


def main():
    data, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    net = Net()
    ema = copy.deepcopy(net)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses, rates = [], []
    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        loss = edm_step(net, ema, opt, toy(data, 4096, g), g)
        losses.append(loss.item())
        if step % 50 == 0:
            now = time.perf_counter()
            rates.append(50 / (now - t0))
            t0 = now
    with torch.inference_mode():
        x, _ = heun(Denoiser(ema), torch.randn(n, 2, generator=g), edm_times(18))
    ref = toy(data, n, g).numpy()
    print(json.dumps({"bench": "diffusion_train", "impl": "torch " + torch.__version__, "data": data,
                      "threads": threads, "steps": steps,
                      "steps_per_s": round(statistics.median(rates), 2) if rates else 0,
                      "final_loss": round(sum(losses[-100:]) / len(losses[-100:]), 4),
                      "sw_heun18": round(sliced_w2(x.numpy(), ref), 4)}))


if __name__ == "__main__":
    main()
