"""One run, side by side: the image U-Net's training step (batch 128, 1x28x28, EDM loss,
Adam, EMA; 1.17M parameters on both sides) in genlab (build/bench_unet) and in PyTorch
(bench/torch_unet.py, the same architecture), each at its best setting: genlab at OMP
threads 1 and 2; torch at threads 1 and 2 x OPENBLAS_NUM_THREADS 1 and 2, NCHW and
channels_last. Median of RUNS timings of STEPS steps each, after 2 warm-up steps.

Usage: /usr/bin/python3 bench/compare_unet.py [BUILD_DIR] [RUNS] [STEPS]
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, run


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    runs = sys.argv[2] if len(sys.argv) > 2 else "3"
    steps = sys.argv[3] if len(sys.argv) > 3 else "2"
    rows = []
    for t in GENLAB_THREADS:
        r = run([os.path.join(build, "bench_unet"), "--runs", runs, "--steps", steps], {"OMP_NUM_THREADS": str(t)})
        rows.append(("genlab", f"OMP threads {t}", r["median_step_s"]))
    for t, blas in TORCH_SETTINGS:
        for layout in ("NCHW", "channels_last"):
            r = run(["/usr/bin/python3", os.path.join(HERE, "torch_unet.py"), str(t), runs, steps, layout],
                    {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(t)})
            rows.append(("torch", f"threads {t}, OPENBLAS {blas}, {layout}", r["median_step_s"]))
    print(f"{'implementation':<8} {'setting':<40} {'s/step':>8}")
    for impl, setting, s in rows:
        print(f"{impl:<8} {setting:<40} {s:>8.3f}", flush=True)
    g = min((r for r in rows if r[0] == "genlab"), key=lambda r: r[2])
    p = min((r for r in rows if r[0] == "torch"), key=lambda r: r[2])
    print(f"best genlab: {g[2]:.3f} s/step ({g[1]}); best torch: {p[2]:.3f} s/step ({p[1]}); "
          f"torch / genlab: {p[2] / g[2]:.2f}x")


if __name__ == "__main__":
    main()
