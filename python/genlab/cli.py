"""The genlab command line from Python: find runs, add a sampler variant to one, render a
report, start a run. Each call runs the `genlab` executable (the C++ side does the work;
this module only builds the command and reads what it wrote).

    from genlab import list_runs, sample, report, run
    list_runs("runs")                                     # one row per run file under runs/
    sample("runs/quickstart/latest", "euler_ancestral", steps=100, eta=0.5)
    report(["runs/quickstart/latest"], "quickstart.html")

The executable is $GENLAB_BINARY if set, else `genlab` on PATH, else build/genlab of the
repository this package lies in.
"""
import glob
import os
import shutil
import subprocess

import pandas as pd

from .runs import Run, RunFileError


class GenlabError(RuntimeError):
    """A genlab command failed; the message is what it printed on stderr."""


def genlab_binary():
    """The genlab executable this module runs (see the module's doc)."""
    candidates = [os.environ.get("GENLAB_BINARY"), shutil.which("genlab"),
                  os.path.join(os.path.dirname(__file__), "..", "..", "build", "genlab")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise FileNotFoundError("no genlab executable: build it (bash .ci/setup) or set GENLAB_BINARY")


def _value(v):
    """A Python value as the command line writes it (lists as YAML flow lists)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def genlab(*args, check=True):
    """Runs `genlab ARGS...`; returns its stdout. Raises GenlabError with its stderr when it
    fails (unless check=False)."""
    done = subprocess.run([genlab_binary(), *map(str, args)], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise GenlabError(done.stderr.strip() or f"genlab {' '.join(map(str, args))} exited {done.returncode}")
    return done.stdout


def list_runs(folder="runs"):
    """Every run file under `folder` (runs/<name>/<stamp>/run.h5, sweeps' points, files
    named by output.path): a DataFrame with path, name, status, created_utc, family, data,
    process, steps and variants, newest first. Files that are not genlab run files are
    skipped."""
    rows = []
    for path in sorted(set(glob.glob(os.path.join(folder, "**", "*.h5"), recursive=True))):
        if os.path.islink(os.path.dirname(path)):  # runs/<name>/latest: the same run again
            continue
        try:
            r = Run(path)
        except (OSError, KeyError, RunFileError):
            continue
        if "config_yaml" not in r.attrs:
            continue
        model = r.config.get("model", {}) or {}
        rows.append({"path": path, "name": r.attrs.get("name"), "status": r.status,
                     "created_utc": r.attrs.get("created_utc"), "family": model.get("family"),
                     "data": (r.config.get("data", {}) or {}).get("name"),
                     "process": model.get("process"),
                     "steps": int(r.train["step"].iloc[-1]) if "step" in r.train else 0,
                     "variants": len(r.variants)})
    table = pd.DataFrame(rows, columns=["path", "name", "status", "created_utc", "family", "data",
                                        "process", "steps", "variants"])
    return table.sort_values("created_utc", ascending=False, ignore_index=True)


def sample(run, sampler, **settings):
    """Adds a sampler variant to a finished run (`genlab sample RUN --sampler NAME k=v ...`)
    and returns the run's variants table afterwards. Settings are the variant's keys (name,
    steps, grid, guidance, ...) and the sampler's options (eta=0.5)."""
    genlab("sample", run, "--sampler", sampler, *[f"{k}={_value(v)}" for k, v in settings.items()])
    path = run if not os.path.isdir(run) else os.path.join(run, "run.h5")
    return Run(path).variants


def report(runs, output="report.html"):
    """Writes the HTML report of one or more runs (`genlab report RUNS -o OUTPUT`); returns
    OUTPUT's path."""
    runs = [runs] if isinstance(runs, (str, os.PathLike)) else list(runs)
    genlab("report", *runs, "-o", output)
    return output


def run(config, *overrides, smoke=False, **settings):
    """Runs an experiment (`genlab run CONFIG [--smoke] key=value ...`) and returns the Run
    it wrote. Overrides as strings ("train.steps=200") or keywords with dots written as
    double underscores (train__steps=200)."""
    args = ["run", config, *overrides, *[f"{k.replace('__', '.')}={_value(v)}" for k, v in settings.items()]]
    if smoke:
        args.append("--smoke")
    out = genlab(*args)
    for line in reversed(out.splitlines()):
        if line.startswith("run file: "):
            return Run(line[len("run file: "):].rsplit(" (", 1)[0])
    raise GenlabError("genlab run printed no run file:\n" + out)
