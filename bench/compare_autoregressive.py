"""One run, side by side: MADE, NADE and FVSBN on binarized Fashion-MNIST in genlab and
PyTorch (same models, data, batch 100, Adam 1e-3): test NLL after the reported epochs and
the median seconds per training epoch. PyTorch's thread setting is chosen by a one-epoch
run of each (torch threads 1/2 x OPENBLAS 1/2); genlab's likewise (OMP 1/2).

Usage: /usr/bin/python3 bench/compare_autoregressive.py [BUILD_DIR] [ARCH:EPOCHS:REPORT ...]
       default: made:20:1,5,20 fvsbn:20:1,5,20 nade:5:1,5
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, fastest, print_pair, run


def genlab(build, arch, threads, epochs, report):
    return run([os.path.join(build, "bench_autoregressive"), "--arch", arch, "--threads", str(threads),
                "--epochs", str(epochs), "--report", report], {"OMP_NUM_THREADS": str(threads)})


def torch(arch, threads, blas, epochs, report):
    return run(["/usr/bin/python3", os.path.join(HERE, "torch_autoregressive.py"), arch, str(threads),
                str(epochs), report], {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(threads)})


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    plans = sys.argv[2:] or ["made:20:1,5,20", "fvsbn:20:1,5,20", "nade:5:1,5"]
    for plan in plans:
        arch, epochs, report = plan.split(":")
        g_best, _ = fastest(lambda t: genlab(build, arch, t, 1, "1"), GENLAB_THREADS)
        t_best, _ = fastest(lambda s: torch(arch, s[0], s[1], 1, "1"), TORCH_SETTINGS)
        g = genlab(build, arch, g_best, int(epochs), report)
        t = torch(arch, t_best[0], t_best[1], int(epochs), report)
        print(f"{arch}: {epochs} epochs")
        print_pair(g_best, g, t_best, t, "test_nll")


if __name__ == "__main__":
    main()
