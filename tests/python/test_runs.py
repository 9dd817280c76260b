"""The Python reader against a real run file: every group and attribute of the contract,
load_runs over two files and over a sweep index. Usage: /usr/bin/python3 tests/python/test_runs.py RUN.h5 RUN2.h5 SWEEP_INDEX.tsv"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
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
    print("python reader: ok")


if __name__ == "__main__":
    main()
