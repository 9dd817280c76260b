"""One run, side by side: heun-18 sampling throughput (100k samples, 35 NFE) in genlab and
in PyTorch, on the exact 2-D mixture and on a 4x256 SiLU MLP denoiser, each at every
thread setting, best against best.

PyTorch is tried at torch threads 1 and 2 crossed with OPENBLAS_NUM_THREADS 1 and 2;
genlab at OMP threads 1 and 2. Each figure is the median of RUNS timed runs.

Usage: /usr/bin/python3 bench/compare_sampling.py [BUILD_DIR] [RUNS] [N]
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, run


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    runs = sys.argv[2] if len(sys.argv) > 2 else "3"
    n = sys.argv[3] if len(sys.argv) > 3 else "100000"
    print(f"{'model':<6} {'implementation':<14} {'setting':<30} {'NFE':>4} {'samples/s':>10}")
    for model in ("gmm", "mlp"):
        rows = []
        for t in GENLAB_THREADS:
            r = run([os.path.join(build, "bench_sampling"), "--model", model, "--threads", str(t),
                     "--runs", runs, "--n", n], {"OMP_NUM_THREADS": str(t)})
            rows.append(("genlab", f"OMP threads {t}", r["nfe"], r["samples_per_s"]))
        for t, blas in TORCH_SETTINGS:
            r = run(["/usr/bin/python3", os.path.join(HERE, "torch_sampling.py"), model, str(t),
                     runs, n], {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(t)})
            rows.append((r["impl"], f"torch threads {t}, OPENBLAS {blas}", r["nfe"],
                         r["samples_per_s"]))
        for impl, setting, nfe, rate in rows:
            print(f"{model:<6} {impl:<14} {setting:<30} {nfe:>4} {rate:>10.1f}")
        best_g = max((r for r in rows if r[0] == "genlab"), key=lambda r: r[3])
        best_t = max((r for r in rows if r[0] != "genlab"), key=lambda r: r[3])
        print(f"{model}: best genlab {best_g[3]:.1f} samples/s ({best_g[1]}), best torch "
              f"{best_t[3]:.1f} ({best_t[1]}), ratio genlab / torch {best_g[3] / best_t[3]:.2f}x\n")


if __name__ == "__main__":
    main()
