"""genlab from Python: read run files into pandas, and drive the genlab command line.

    from genlab import load_run, load_runs, list_runs, sample, report
    run = load_run("runs/quickstart/latest/run.h5")
    run.config["train"]["steps"], run.train, run.eval, run.variants, run.samples("heun-18")
    list_runs("runs")                                   # every run file, newest first
    sample("runs/quickstart/latest", "heun", steps=32)  # one more variant (genlab sample)
    report("runs/quickstart/latest", "quickstart.html") # the HTML report (genlab report)
    compare_to_best(run.variants, "sliced_wasserstein") # best, tied, apart by the intervals
"""
from .cli import GenlabError, genlab, genlab_binary, list_runs, report, run, sample
from .runs import Run, RunFileError, compare_to_best, load_run, load_runs

__version__ = "0.1.0"  # the same as `genlab --version` and python/pyproject.toml

__all__ = ["Run", "RunFileError", "load_run", "load_runs", "compare_to_best", "list_runs", "sample", "report", "run", "genlab",
           "genlab_binary", "GenlabError", "__version__"]
