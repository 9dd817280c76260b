"""PyTorch peer of `bench_sampling`: heun with 18 steps (35 NFE) on EDM's grid over the
exact eight-Gaussians mixture or an EDM-preconditioned 4x256 SiLU MLP (random weights).

Run by bench/compare_sampling.py under each thread setting; prints one JSON line.
Usage: /usr/bin/python3 bench/torch_sampling.py MODEL THREADS RUNS [N]
"""
import json
import math
import statistics
import sys
import time

import torch


def edm_times(n, smin=0.002, smax=80.0, rho=7.0):
    i = torch.arange(n, dtype=torch.float64)
    t = (smax ** (1 / rho) + i / (n - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    return torch.cat([t, torch.zeros(1, dtype=torch.float64)]).tolist()


class MixtureDenoiser:
    """The 8 Gaussians on the unit circle, variance 0.01: closed-form E[x0 | x]."""

    def __init__(self):
        k = torch.arange(8, dtype=torch.float32) * math.pi / 4
        self.mu = torch.stack([torch.cos(k), torch.sin(k)], 1)  # [K, D]
        self.var = torch.full((8, 2), 0.01)
        self.log_w = torch.full((8,), -math.log(8))

    def __call__(self, x, sigma):
        var = self.var + (sigma * sigma).view(-1, 1, 1)  # [B, K, D]
        diff = x.unsqueeze(1) - self.mu
        log_terms = self.log_w - 0.5 * ((diff * diff) / var + torch.log(2 * math.pi * var)).sum(2)
        r = torch.softmax(log_terms, 1)
        comp = self.mu + self.var / var * diff
        return (r.unsqueeze(2) * comp).sum(1)


class MlpDenoiser(torch.nn.Module):
    def __init__(self):
        super().__init__()
        layers, d = [], 3
        for _ in range(4):
            layers += [torch.nn.Linear(d, 256), torch.nn.SiLU()]
            d = 256
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(d, 2))

    def forward(self, x, sigma):
        s = sigma.view(-1, 1)
        var = s * s + 0.25
        inv_std = torch.rsqrt(var)
        f = self.net(torch.cat([x * inv_std, torch.log(s) * 0.25], 1))
        return x * (0.25 / var) + f * (s * 0.5 * inv_std)


def heun(d, noise, t):
    x = noise * t[0]
    nfe = 0
    for i in range(len(t) - 1):
        sig = torch.full((x.shape[0],), t[i])
        di = (x - d(x, sig)) / t[i]
        nfe += 1
        nxt = x + (t[i + 1] - t[i]) * di
        if t[i + 1] > 0:
            dn = (nxt - d(nxt, torch.full((x.shape[0],), t[i + 1]))) / t[i + 1]
            nfe += 1
            nxt = x + (t[i + 1] - t[i]) * 0.5 * (di + dn)
        x = nxt
    return x, nfe


def main():
    model, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    d = MixtureDenoiser() if model == "gmm" else MlpDenoiser()
    t = edm_times(18)
    noise = torch.randn(n, 2)
    rates = []
    with torch.inference_mode():
        heun(d, noise[:1000], t)  # warm-up
        for _ in range(runs):
            t0 = time.perf_counter()
            x, nfe = heun(d, noise, t)
            rates.append(n / (time.perf_counter() - t0))
    print(json.dumps({"bench": "heun_sampling", "impl": "torch " + torch.__version__, "model": model,
                      "threads": threads, "n": n, "nfe": nfe,
                      "samples_per_s": round(statistics.median(rates), 1),
                      "mean_sq": round(float((x * x).mean()), 5)}))


if __name__ == "__main__":
    main()
