"""One run, side by side: genlab's convolutions and attention against PyTorch's, on the
shapes of bench/conv_shapes.py (a small image U-Net at batch 128; attention at 196 and
784 tokens, 4 heads of 32). Best against best: genlab at OMP threads 1 and 2; PyTorch
at torch threads 1 and 2 x OPENBLAS_NUM_THREADS 1 and 2, and for convolutions also in
channels_last. Each figure is the median of RUNS timed calls after a warm-up.

Usage: /usr/bin/python3 bench/compare_ops.py [BUILD_DIR] [RUNS]
"""
import json
import os
import subprocess
import sys

from conv_shapes import ATTENTION, CONVS, conv_macs, spec_args
from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS

OPS = ("forward_s", "input_grad_s", "weight_grad_s")


def lines(cmd, env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]


def best(results, key):
    """Per spec, the result with the least `key`."""
    chosen = {}
    for r in results:
        if r["spec"] not in chosen or r[key] < chosen[r["spec"]][key]:
            chosen[r["spec"]] = r
    return chosen


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    runs = sys.argv[2] if len(sys.argv) > 2 else "7"
    specs = spec_args()
    genlab, torch = [], []
    for t in GENLAB_THREADS:
        genlab += lines([os.path.join(build, "bench_ops"), "conv", *specs, "--runs", runs],
                        {"OMP_NUM_THREADS": str(t)})
    for t, blas in TORCH_SETTINGS:
        for mode in ("conv", "conv_channels_last"):
            torch += lines(["/usr/bin/python3", os.path.join(HERE, "torch_ops.py"), mode, str(t), runs, *specs],
                           {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(t)})
    print(f"{'convolution (batch 128)':<24} {'op':<12} {'genlab GFLOP/s':>14} {'torch GFLOP/s':>14} {'ratio':>6}  best settings")
    for (name, shape, kernel, stride, pad), spec in zip(CONVS, specs):
        flop = 2.0 * conv_macs(shape, kernel, stride, pad)
        for op in OPS:
            g = best([r for r in genlab if r["spec"] == spec], op)[spec]
            p = best([r for r in torch if r["spec"] == spec], op)[spec]
            print(f"{name:<24} {op[:-2]:<12} {flop / g[op] / 1e9:>14.1f} {flop / p[op] / 1e9:>14.1f} "
                  f"{p[op] / g[op]:>5.2f}x  genlab {g['threads']}t, torch {p['threads']}t {p['layout']}",
                  flush=True)
    att_specs = [",".join(str(v) for v in shape) for _, shape in ATTENTION]
    rows = []
    for t in GENLAB_THREADS:
        for fused in ("1", "0"):
            rows += lines([os.path.join(build, "bench_ops"), "attention", *att_specs, "--fused", fused,
                           "--runs", runs], {"OMP_NUM_THREADS": str(t)})
    for t, blas in TORCH_SETTINGS:
        rows += lines(["/usr/bin/python3", os.path.join(HERE, "torch_ops.py"), "attention", str(t), runs,
                       *att_specs], {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(t)})
    print(f"\n{'attention fwd+bwd':<28} {'implementation':<22} {'ms':>8} {'peak MiB':>9}  threads")
    for name, shape in ATTENTION:
        spec = ",".join(str(v) for v in shape)
        for impl in sorted({r["impl"] for r in rows}):
            r = min((r for r in rows if r["spec"] == spec and r["impl"] == impl),
                    key=lambda r: r["forward_backward_s"])
            peak = r.get("peak_bytes", r.get("peak_rss_bytes", 0)) / 2 ** 20
            print(f"{name + ' ' + 'x'.join(str(v) for v in shape):<28} {impl:<22} "
                  f"{r['forward_backward_s'] * 1e3:>8.2f} {peak:>9.1f}  {r['threads']}", flush=True)


if __name__ == "__main__":
    main()
