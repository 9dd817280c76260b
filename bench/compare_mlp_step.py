"""One run, side by side: genlab's and PyTorch's 4x256 SiLU MLP training step
(batch 4096, MSE, Adam), each at every thread setting, best against best.

PyTorch is tried at torch threads 1 and 2 crossed with OPENBLAS_NUM_THREADS 1 and 2
(on 2 vCPUs its OpenMP pool and OpenBLAS's threads can spin against each other);
genlab at OMP threads 1 and 2. Each figure is the median of RUNS timed runs.

Usage: /usr/bin/python3 bench/compare_mlp_step.py [BUILD_DIR] [RUNS] [STEPS]
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, run


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    runs = sys.argv[2] if len(sys.argv) > 2 else "7"
    steps = sys.argv[3] if len(sys.argv) > 3 else "10"
    rows = []
    for t in GENLAB_THREADS:
        r = run([os.path.join(build, "bench_core"), "mlp", "--threads", str(t), "--runs", runs,
                 "--steps", steps], {"OMP_NUM_THREADS": str(t)})
        rows.append(("genlab", f"OMP threads {t}", r["steps_per_s"]))
    for t, blas in TORCH_SETTINGS:
        r = run(["/usr/bin/python3", os.path.join(HERE, "torch_mlp_step.py"), str(t), runs, steps],
                {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(t)})
        rows.append((r["impl"], f"torch threads {t}, OPENBLAS {blas}", r["steps_per_s"]))
    print(f"{'implementation':<14} {'setting':<30} {'steps/s':>8}")
    for impl, setting, rate in rows:
        print(f"{impl:<14} {setting:<30} {rate:>8.2f}")
    best_g = max((r for r in rows if r[0] == "genlab"), key=lambda r: r[2])
    best_t = max((r for r in rows if r[0] != "genlab"), key=lambda r: r[2])
    print(f"best genlab: {best_g[2]:.2f} steps/s ({best_g[1]})")
    print(f"best torch:  {best_t[2]:.2f} steps/s ({best_t[1]})")
    print(f"ratio genlab / torch: {best_g[2] / best_t[2]:.2f}x")


if __name__ == "__main__":
    main()
