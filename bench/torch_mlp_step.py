"""PyTorch peer of `bench_core mlp`: the same 4x256 SiLU MLP training step.

Run by bench/compare_mlp_step.py under each thread setting; prints one JSON line.
Usage: /usr/bin/python3 bench/torch_mlp_step.py THREADS RUNS STEPS
"""
import json
import statistics
import sys
import time

import torch


def main():
    threads, runs, steps = (int(a) for a in sys.argv[1:4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers, width, d = [], 256, 66
    for _ in range(4):
        layers += [torch.nn.Linear(d, width), torch.nn.SiLU()]
        d = width
    net = torch.nn.Sequential(*layers, torch.nn.Linear(d, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.randn(4096, 66), torch.randn(4096, 2)

    def step():
        loss = torch.nn.functional.mse_loss(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - t0))
    print(json.dumps({"bench": "mlp_step", "impl": "torch " + torch.__version__, "threads": threads,
                      "steps_per_s": round(statistics.median(rates), 2),
                      "runs": [round(r, 2) for r in rates]}))


if __name__ == "__main__":
    main()
