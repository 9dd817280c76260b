"""One run, side by side: the autoregressive Transformer (2 blocks, width 64, 4 heads,
GELU, LayerNorm, RoPE) in genlab and in PyTorch on binarized Fashion-MNIST, batch 32,
AdamW with warm-up and cosine: the median seconds of a training step and the test NLL
after the same number of steps. Each side first gets its fastest setting from a short
run: genlab OMP 1/2; PyTorch torch threads 1/2 x OPENBLAS 1/2, then its attention as one
causal square or in query blocks (PyTorch 1.13 has no fused attention).

Usage: /usr/bin/python3 bench/compare_transformer.py [BUILD_DIR] [SIZE:STEPS ...]
       default: 28:1200 14:1200
"""
import os
import sys

from peers import GENLAB_THREADS, HERE, TORCH_SETTINGS, run

# Query blocks tried for PyTorch's attention, per sequence length (0: the whole square).
CHUNKS = {28: (28, 56, 112), 14: (0, 49)}


def genlab(build, size, threads, steps, test_images):
    return run([os.path.join(build, "bench_transformer"), "--size", str(size), "--threads", str(threads),
                "--steps", str(steps), "--warmup", str(min(100, steps - 1)), "--test-images", str(test_images)],
               {"OMP_NUM_THREADS": str(threads)})


def torch(size, setting, steps, test_images, chunk):
    return run(["/usr/bin/python3", os.path.join(HERE, "torch_transformer.py"), str(size), str(setting[0]),
                str(steps), str(test_images), str(chunk)],
               {"OPENBLAS_NUM_THREADS": str(setting[1]), "OMP_NUM_THREADS": str(setting[0])})


def fastest(measure, settings):
    times = {s: measure(s)["median_step_s"] for s in settings}
    print(f"    {times}", flush=True)
    return min(times, key=times.get)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
    for plan in sys.argv[2:] or ["28:1200", "14:1200"]:
        size, steps = (int(v) for v in plan.split(":"))
        probe = 12 if size == 28 else 40
        print(f"{size}x{size}: choosing settings ({probe}-step runs, median step seconds)", flush=True)
        g_threads = fastest(lambda t: genlab(build, size, t, probe, 0), GENLAB_THREADS)
        chunks = CHUNKS[size]
        t_setting = fastest(lambda s: torch(size, s, probe, 0, chunks[0]), TORCH_SETTINGS)
        t_chunk = fastest(lambda c: torch(size, t_setting, probe, 0, c), chunks)
        g = genlab(build, size, g_threads, steps, 10000)
        t = torch(size, t_setting, steps, 10000, t_chunk)
        print(f"{size}x{size}, {steps} steps of batch 32, {g['parameters']} parameters (torch {t['parameters']})")
        print(f"  genlab (OMP {g_threads}): {g['median_step_s']:.4f} s/step, test NLL {g['test_nll']:.2f} nats")
        print(f"  torch  (threads {t_setting[0]}, OPENBLAS {t_setting[1]}, attention blocks {t_chunk}): "
              f"{t['median_step_s']:.4f} s/step, test NLL {t['test_nll']:.2f} nats")
        print(f"  step time torch / genlab: {t['median_step_s'] / g['median_step_s']:.2f}x; "
              f"NLL genlab - torch: {g['test_nll'] - t['test_nll']:+.2f} nats", flush=True)


if __name__ == "__main__":
    main()
