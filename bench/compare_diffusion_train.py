"""One run, side by side: the EDM MLP of issue 4 (4x256 SiLU, batch 4096, Adam 1e-3,
lognormal sigma, EMA 0.995) trained in genlab and in PyTorch on eight Gaussians and on
moons. First every thread setting trains SHORT steps (steps/s: median over 50-step
chunks); then each side trains STEPS steps at its fastest setting, reporting steps/s,
the final loss and the sliced W2 of heun-18 samples (EMA weights) to fresh data.

Usage: /usr/bin/python3 bench/compare_diffusion_train.py [BUILD_DIR] [STEPS] [SHORT]
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, run


def genlab(build, data, threads, steps):
    return run([os.path.join(build, "bench_diffusion"), "train", "--data", data, "--steps",
                str(steps), "--threads", str(threads)], {"OMP_NUM_THREADS": str(threads)})


def torch(data, threads, blas, steps):
    return run(["/usr/bin/python3", os.path.join(HERE, "torch_diffusion_train.py"), data,
                str(threads), str(steps)],
               {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(threads)})


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    short = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    for data in ("eight_gaussians", "moons"):
        speeds = [(("genlab", t), genlab(build, data, t, short)["steps_per_s"]) for t in GENLAB_THREADS]
        speeds += [(("torch", t, b), torch(data, t, b, short)["steps_per_s"]) for t, b in TORCH_SETTINGS]
        for setting, rate in speeds:
            print(f"{data:<16} {str(setting):<22} {rate:8.2f} steps/s ({short} steps)")
        best_g = max((s for s in speeds if s[0][0] == "genlab"), key=lambda s: s[1])[0]
        best_t = max((s for s in speeds if s[0][0] == "torch"), key=lambda s: s[1])[0]
        g = genlab(build, data, best_g[1], steps)
        t = torch(data, best_t[1], best_t[2], steps)
        print(f"{data}: {steps} steps at the best settings")
        print(f"  genlab {best_g}: {g['steps_per_s']:.2f} steps/s, final loss {g['final_loss']:.4f}, "
              f"sliced W2 heun-18 {g['sw_heun18']:.4f} (data vs data {g['sw_data_floor']:.4f})")
        print(f"  torch  {best_t}: {t['steps_per_s']:.2f} steps/s, final loss {t['final_loss']:.4f}, "
              f"sliced W2 heun-18 {t['sw_heun18']:.4f}")
        print(f"  ratio genlab / torch steps/s: {g['steps_per_s'] / t['steps_per_s']:.2f}x\n")


if __name__ == "__main__":
    main()
