"""The Python reader against a real run file: every group and attribute of the contract,
load_runs over two files and over a sweep index; then the command line from Python
(list_runs, sample, report, __version__). Usage (GENLAB_BINARY: the genlab executable):
/usr/bin/python3 tests/python/test_runs.py RUN.h5 RUN2.h5 SWEEP_INDEX.tsv"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import genlab  # noqa: E402
from genlab import load_run, load_runs  # noqa: E402


def main():
    path, path2, index = sys.argv[1], sys.argv[2], sys.argv[3]
    run = load_run(path)
    for key in ("genlab_version", "git_commit", "created_utc", "host", "seed", "threads", "status", "config_yaml"):
        assert key in run.attrs, f"missing root attribute {key}"
    assert run.completed, run.status
    assert run.config["train"]["steps"] == 60 and run.config["train"]["batch_size"] == 128
    assert list(run.train.columns) == sorted(["step", "loss", "lr", "grad_norm", "wall_s"]), run.train.columns
    assert list(run.train["step"]) == [20, 40, 60]
    # Numbers are numbers: counts as integers, numeric attributes not as text.
    assert run.train["step"].dtype.kind == "i" and run.train["loss"].dtype.kind == "f"
    for key in ("seed", "threads", "pid"):
        assert isinstance(run.attrs[key], (int, np.integer)), (key, type(run.attrs[key]))
    assert list(run.eval["step"]) == [30.0, 60.0]
    assert {"sliced_wasserstein", "mmd", "energy"} <= set(run.eval.columns)
    assert list(run.variants["name"]) == ["euler-10", "heun-6"]
    assert list(run.variants["nfe"]) == [10.0, 11.0]
    x = run.samples("heun-6")
    assert x.shape == (500, 2) and x.dtype == np.float32 and np.isfinite(x).all()
    try:
        run.samples("nope")
        raise AssertionError("a missing variant must raise")
    except KeyError:
        pass
    try:
        run.images("nope")
        raise AssertionError("missing images must raise, as a missing variant does")
    except KeyError:
        pass
    both = load_runs([path, path2])
    assert len(both) == 4 and set(both["path"]) == {path, path2}
    # The runs' identity and what differs between them (the seed here) are columns.
    assert list(both.columns[:6]) == ["run", "path", "family", "data", "process", "seed"], both.columns
    assert set(both["seed"]) == {1, 2} and set(both["family"]) == {"diffusion"}
    # A glob reads the same runs.
    pattern = os.path.join(os.path.dirname(path), "tiny*.h5")
    assert len(load_runs(pattern)) == 4
    sweep = load_runs(index)
    assert len(sweep) == 2 * 42 and sweep["path"].nunique() == 2, sweep
    assert set(sweep["rk45_distance"].notna()) == {True}
    assert set(sweep["seed"]) == {1, 2} and set(sweep["family"]) == {"analytic"}
    check_intervals(run, path, sweep)
    check_errors(os.path.dirname(path))
    print("python reader: ok")
    check_command_line(path, path2)


def check_errors(folder):
    """What is not a run file raises genlab.RunFileError naming the file and the problem."""
    cases = {"missing.h5": None, "text.h5": b"not hdf5", "other.h5": "h5"}
    folder = os.path.join(folder, "not_runs")  # apart from the runs that list_runs reads
    os.makedirs(folder, exist_ok=True)
    for name, content in cases.items():
        p = os.path.join(folder, name)
        if content == "h5":
            import h5py
            with h5py.File(p, "w") as f:
                f["x"] = [1, 2]
        elif content is not None:
            with open(p, "wb") as f:
                f.write(content)
        try:
            load_run(p)
            raise AssertionError(f"{name}: no error")
        except genlab.RunFileError as e:
            assert p in str(e), e
            assert isinstance(e, ValueError)
    print("reader errors: ok")


def check_intervals(run, path, sweep):
    """Every variant metric has its interval around it, and the reader's verdicts are the
    command line's."""
    for metric in ("sliced_wasserstein", "mmd", "energy", "rk45_distance"):
        v = run.variants
        assert (v[metric + "_lo"] <= v[metric]).all() and (v[metric] <= v[metric + "_hi"]).all(), metric
        assert (v[metric + "_hi"] > v[metric + "_lo"]).all(), metric
    assert (sweep["exact_log_density_lo"] < sweep["exact_log_density_hi"]).all()
    verdict = genlab.compare_to_best(run.variants, "rk45_distance")
    assert list(verdict["verdict"]).count("best") == 1 and len(verdict) == 2, verdict
    assert genlab.compare_to_best(run.variants, "wall_s") is None  # no interval, no direction
    table = subprocess.run([genlab.genlab_binary(), "compare", path], capture_output=True, text=True,
                           check=True).stdout
    best = verdict[verdict["verdict"] == "best"].iloc[0]["name"]
    line = [l for l in table.splitlines() if l.startswith("rk45_distance: ")][0]
    assert line.startswith(f"rk45_distance: best {best} "), (line, verdict)
    for r in verdict.itertuples():
        if r.verdict == "tied":
            assert r.name in line.split("not distinguishable from it:")[1], (line, verdict)
        if r.verdict == "apart":
            assert "not distinguishable" not in line, (line, verdict)


def check_command_line(path, path2):
    version = subprocess.run([genlab.genlab_binary(), "--version"], capture_output=True, text=True).stdout
    assert version.split() == ["genlab", genlab.__version__], (version, genlab.__version__)
    folder = os.path.dirname(path)
    runs = genlab.list_runs(folder)
    assert {os.path.abspath(path), os.path.abspath(path2)} <= {os.path.abspath(p) for p in runs["path"]}, runs
    row = runs[runs["path"].map(os.path.abspath) == os.path.abspath(path)].iloc[0]
    assert row["status"] == "completed" and row["family"] == "diffusion" and row["variants"] == 2, row
    table = genlab.sample(path2, "heun", steps=4, name="from-python")
    assert "from-python" in list(table["name"]) and table.iloc[-1]["nfe"] == 7, table
    try:
        genlab.sample(path2, "heun", stpes=4)
        raise AssertionError("a misspelt setting must fail")
    except genlab.GenlabError as e:
        assert "did you mean 'steps'" in str(e), e
    html = genlab.report([path, path2], os.path.join(folder, "from_python.html"))
    with open(html) as f:
        assert "from-python" in f.read()
    print("python command line: ok")


if __name__ == "__main__":
    main()
