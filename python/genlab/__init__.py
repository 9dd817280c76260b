"""Notebook-side reader of genlab run files (h5py + pandas + numpy).

    from genlab import load_run, load_runs
    run = load_run("runs/quickstart/latest/run.h5")
    run.config["train"]["steps"], run.train, run.eval, run.variants, run.samples("heun-18")
"""
from .runs import Run, load_run, load_runs

__all__ = ["Run", "load_run", "load_runs"]
