"""PyTorch peer of build/bench_ops: the same convolutions (forward; input and weight
gradients through aten.convolution_backward, the kernels autograd calls: oneDNN here)
and attention (softmax(q k^T / sqrt(d)) v, forward + backward; torch 1.13 has no fused
scaled_dot_product_attention). Prints one JSON line per shape.

Usage: /usr/bin/python3 bench/torch_ops.py conv|conv_channels_last|attention THREADS RUNS SPEC...
"""
import json
import math
import resource
import statistics
import sys
import time

import torch


def median_seconds(runs, fn):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def conv(spec, runs, channels_last):
    n, c, h, w, o, kh, kw, s, p = (int(v) for v in spec.split(","))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(n, c, h, w).contiguous(memory_format=fmt)
    wt = (torch.randn(o, c, kh, kw) * 0.1).contiguous(memory_format=fmt)
    with torch.no_grad():
        y = torch.nn.functional.conv2d(x, wt, None, s, p)
        dy = torch.randn_like(y).contiguous(memory_format=fmt)

        def backward(mask):
            return torch.ops.aten.convolution_backward(dy, x, wt, None, [s, s], [p, p], [1, 1], False,
                                                       [0, 0], 1, mask)

        fwd = median_seconds(runs, lambda: torch.nn.functional.conv2d(x, wt, None, s, p))
        dx = median_seconds(runs, lambda: backward([True, False, False]))
        dw = median_seconds(runs, lambda: backward([False, True, False]))
    return {"bench": "conv", "impl": "torch " + torch.__version__, "threads": torch.get_num_threads(),
            "layout": "channels_last" if channels_last else "NCHW",
            "spec": spec, "forward_s": fwd, "input_grad_s": dx, "weight_grad_s": dw}


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def attention(spec, runs):
    b, h, t, d = (int(v) for v in spec.split(","))
    q, k, v = (torch.randn(b, h, t, d).requires_grad_() for _ in range(3))
    dy = torch.randn(b, h, t, d)

    def step():
        s = q @ k.transpose(-1, -2) / math.sqrt(d)
        y = torch.softmax(s, -1) @ v
        torch.autograd.grad(y, (q, k, v), dy)

    step()
    before = rss_bytes()
    step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    return {"bench": "attention", "impl": "torch " + torch.__version__ + " naive",
            "threads": torch.get_num_threads(), "spec": spec,
            "forward_backward_s": median_seconds(runs, step), "peak_rss_bytes": max(peak, 0)}


def main():
    mode, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for spec in sys.argv[4:]:
        r = attention(spec, runs) if mode == "attention" else conv(spec, runs, mode == "conv_channels_last")
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
