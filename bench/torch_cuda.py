"""PyTorch peer of build/bench_cuda (issue 15): the same four measurements in PyTorch
eager on the same GPU, in the same script (tests/gpu/check.sh). Models come from the CPU
peers: the EDM MLP of torch_diffusion_train.py, the U-Net of torch_unet.py, the Heun
sampler and MLP denoiser of torch_sampling.py. One JSON line each.

Usage: python3 bench/torch_cuda.py [DEVICE] [RUNS] [PEAK_TFLOPS]
"""
import copy
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_diffusion_train  # noqa: E402
import torch_sampling  # noqa: E402
import torch_unet  # noqa: E402


def median_seconds(device, runs, reps, fn):
    fn()
    fn()
    torch.cuda.synchronize(device)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        torch.cuda.synchronize(device)
        times.append((time.perf_counter() - t0) / reps)
    return statistics.median(times)


def main():
    device = sys.argv[1] if len(sys.argv) > 1 else "cuda"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    peak = float(sys.argv[3]) if len(sys.argv) > 3 else 67.0
    torch.set_default_device(device)  # the peers' factories (randn, full) land on the GPU
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32, as genlab's default
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    head = {"impl": "torch " + torch.__version__, "device": torch.cuda.get_device_name(device)}

    # The EDM MLP step, batch 4096: the CPU peer's loop body.
    net = torch_diffusion_train.Net()
    ema = copy.deepcopy(net)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x0 = torch.randn(4096, 2)
    s = median_seconds(device, runs, 20, lambda: torch_diffusion_train.edm_step(net, ema, opt, x0))
    print(json.dumps({"bench": "mlp_step", **head, "batch": 4096, "median_step_s": round(s, 7),
                      "steps_per_s": round(1 / s, 1)}), flush=True)

    # The U-Net step, batch 128 (the loss reads the step's value, as genlab's does).
    unet = torch_unet.UNet()
    uema = [p.detach().clone() for p in unet.parameters()]
    uopt = torch.optim.Adam(unet.parameters(), lr=2e-4)
    images = torch.rand(128, 1, 28, 28) * 2 - 1

    s = median_seconds(device, runs, 3, lambda: torch_unet.train_step(unet, uema, uopt, images))
    print(json.dumps({"bench": "unet_step", **head, "batch": 128,
                      "parameters": sum(p.numel() for p in unet.parameters()),
                      "median_step_s": round(s, 6)}), flush=True)

    # Heun-18 (35 NFE) over 100k 2-D points with the EDM MLP denoiser (genlab's
    # DiffusionModel with the same 4x256 net and embedding).
    d = torch_diffusion_train.Denoiser(torch_diffusion_train.Net())
    t = torch_sampling.edm_times(18)
    noise = torch.randn(100000, 2)
    with torch.inference_mode():
        s = median_seconds(device, runs, 1, lambda: torch_sampling.heun(d, noise, t))
    print(json.dumps({"bench": "heun_sampling", **head, "n": 100000, "nfe": 35,
                      "median_s": round(s, 6), "samples_per_s": round(100000 / s, 1)}), flush=True)

    n = 8192
    a, b = torch.rand(n, n), torch.rand(n, n)
    s = median_seconds(device, runs, 3, lambda: a @ b)
    tflops = 2 * n ** 3 / s / 1e12
    print(json.dumps({"bench": "sgemm", **head, "n": n, "median_s": round(s, 6),
                      "tflops": round(tflops, 2), "fraction_of_peak": round(tflops / peak, 3)}), flush=True)


if __name__ == "__main__":
    main()
