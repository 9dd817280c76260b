"""One run, side by side: the Gaussian VAE (784-400-20) and the Gumbel-Softmax VAE (20 x 10,
straight-through) on statically binarized Fashion-MNIST in genlab and PyTorch (same
models, data, batch 128, Adam 1e-3): test negative ELBO and IWAE NLL (k = 1000, first
1000 test images) after the reported epochs, and the median seconds per training epoch.
Each side runs at its fastest thread setting, picked by a one-epoch run of each (torch
threads 1/2 x OPENBLAS 1/2; genlab OMP 1/2).

Usage: /usr/bin/python3 bench/compare_vae.py [BUILD_DIR] [LATENT:EPOCHS:REPORT[:SEEDS] ...]
       default: gaussian:10:1,10 categorical:10:1,10 (seed 0; SEEDS e.g. 0,1,2 runs each)
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, fastest, print_pair, run

IWAE_K, IWAE_EXAMPLES = 1000, 1000


def genlab(build, latent, threads, epochs, report, k=IWAE_K, m=IWAE_EXAMPLES, seed=0):
    return run([os.path.join(build, "bench_vae"), "--latent", latent, "--threads", str(threads),
                "--epochs", str(epochs), "--report", report, "--iwae-k", str(k),
                "--iwae-examples", str(m), "--seed", str(seed)], {"OMP_NUM_THREADS": str(threads)})


def torch(latent, threads, blas, epochs, report, k=IWAE_K, m=IWAE_EXAMPLES, seed=0):
    return run(["/usr/bin/python3", os.path.join(HERE, "torch_vae.py"), latent, str(threads), str(epochs),
                report, str(k), str(m), "static", "threshold", str(seed)],
               {"OPENBLAS_NUM_THREADS": str(blas), "OMP_NUM_THREADS": str(threads)})


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    plans = sys.argv[2:] or ["gaussian:10:1,10", "categorical:10:1,10"]
    for plan in plans:
        latent, epochs, report, *seeds = plan.split(":")
        seeds = [int(x) for x in seeds[0].split(",")] if seeds else [0]
        g_best, g_times = fastest(lambda t: genlab(build, latent, t, 1, "1", 10, 10), GENLAB_THREADS)
        t_best, t_times = fastest(lambda s: torch(latent, s[0], s[1], 1, "1", 10, 10), TORCH_SETTINGS)
        print(f"{latent}: {epochs} epochs; one-epoch selection genlab {g_times}, torch {t_times}")
        for seed in seeds:
            g = genlab(build, latent, g_best, int(epochs), report, seed=seed)
            t = torch(latent, t_best[0], t_best[1], int(epochs), report, seed=seed)
            print(f"  seed {seed}")
            print_pair(g_best, g, t_best, t, "test")


if __name__ == "__main__":
    main()
