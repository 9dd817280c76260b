"""Shared by the bench/compare_*.py scripts: run one measurement under a thread setting
and read its JSON line, and the settings each side is tried at (best against best)."""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))

# genlab: OMP threads; PyTorch: (torch threads, OPENBLAS_NUM_THREADS). On 2 vCPUs torch's
# OpenMP pool and OpenBLAS's threads can spin against each other, so all four are tried.
GENLAB_THREADS = (1, 2)
TORCH_SETTINGS = ((1, 1), (1, 2), (2, 1), (2, 2))


def run(cmd, env_extra):
    """Runs cmd with env_extra added to the environment; returns its last line as JSON."""
    env = dict(os.environ, **env_extra)
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])



def fastest(measure, settings):
    """The setting whose measure(setting)["median_epoch_s"] is least, and every timing."""
    times = {s: measure(s)["median_epoch_s"] for s in settings}
    return min(times, key=times.get), times


def print_pair(g_threads, g, t_setting, t, results_key):
    """genlab's and PyTorch's epoch times and results side by side, and their ratio."""
    print(f"  genlab (OMP {g_threads}): {g['median_epoch_s']:.2f} s/epoch, {results_key} {g[results_key]}")
    print(f"  torch  (threads {t_setting[0]}, OPENBLAS {t_setting[1]}): {t['median_epoch_s']:.2f} s/epoch, "
          f"{results_key} {t[results_key]}")
    print(f"  epoch time torch / genlab: {t['median_epoch_s'] / g['median_epoch_s']:.2f}x", flush=True)
