"""Reading genlab's HDF5 run files (docs/DESIGN.md contract 3) into pandas.

Every read opens the file, copies what it needs and closes it, so a run that is still
being written can be read between its writes.
"""
import glob
import os
import socket

import h5py
import numpy as np
import pandas as pd
import yaml


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


# Columns that count things: shown as integers (steps, NFE), with <NA> where a value does
# not apply (rk45 has no step count of its own).
_COUNTS = {"step", "steps", "nfe", "epoch", "examples", "iwae_k", "ensemble", "elbo_examples",
           "iwae_examples", "labels"}


def _integers(table):
    for col in table.columns:
        if col in _COUNTS and table[col].dtype.kind == "f":
            values = table[col].dropna()
            if len(values) == 0 or (values == values.round()).all():
                table[col] = table[col].astype("Int64")
    return table


def _columns(f, group):
    if group not in f:
        return pd.DataFrame()
    cols = {name: f[group][name][()] for name in f[group]}
    # A live run appends a row column by column: a row exists once every column has it.
    n = min((len(v) for v in cols.values()), default=0)
    return _integers(pd.DataFrame({name: v[:n] for name, v in cols.items()}))


def _table(f, key):
    """A compound dataset (text and number columns) as a DataFrame; empty when absent."""
    if key not in f:
        return pd.DataFrame()
    table = pd.DataFrame(f[key][()])
    for col in table.columns:
        if table[col].dtype == object:
            table[col] = table[col].map(_text)
    return _integers(table)


class RunFileError(ValueError):
    """A file that is not a readable genlab run file: the message names the file and what
    is wrong with it (missing, not HDF5, not a run file, a damaged part)."""


class Run:
    """One run file: config (dict), attrs (dict), train / eval / variants (DataFrames),
    samples(name) (ndarray), likelihood and test (DataFrames, when evaluated), images(),
    estimators (the VAE estimator study, a DataFrame). A file that cannot be read as one
    raises RunFileError naming the file and the problem."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise RunFileError(f"{self.path}: no such run file")
        try:
            self._read()
        except RunFileError:
            raise
        except OSError as e:
            raise RunFileError(f"{self.path}: not a readable HDF5 file ({e})") from e
        except (KeyError, ValueError, TypeError, yaml.YAMLError) as e:
            raise RunFileError(f"{self.path}: not a genlab run file, or a damaged one "
                               f"({type(e).__name__}: {e})") from e

    def _read(self):
        with h5py.File(self.path, "r") as f:
            if "config_yaml" not in f.attrs:
                raise RunFileError(f"{self.path}: no config_yaml attribute: not a genlab run file")
            self.attrs = {k: _text(v) for k, v in f.attrs.items()}
            self.config = yaml.safe_load(self.attrs.get("config_yaml", "")) or {}
            self.train = _columns(f, "train")
            self.eval = _columns(f, "eval")
            self.likelihood = _columns(f, "likelihood")
            self.test = _columns(f, "test")
            self.variants = _table(f, "variants/summary")
            # The VAE family's gradient-estimator study: one row per estimator, and how
            # its reference was made (attributes of /estimators).
            self.estimators = _table(f, "estimators/table")
            self.estimators_info = ({k: _text(v) for k, v in f["estimators"].attrs.items()}
                                    if "estimators" in f else {})
            # Image diffusion: the image metrics' reference rows (training set, pixel Gaussian).
            self.image_reference = _table(f, "image_metrics/reference")
            # Each variant's settings as stored beside its samples (sampler, steps, grid,
            # options, precision, noise, guidance; stochastic: whether it samples an SDE).
            rows = []
            for name in self.variants.get("name", []):
                key = f"variants/{name}"
                attrs = {k: _text(v) for k, v in f[key].attrs.items()} if key in f else {}
                if "stochastic" in attrs:
                    attrs["stochastic"] = attrs["stochastic"] == "true"
                rows.append({"name": name, **attrs})
            self.settings = pd.DataFrame(rows)

    def images(self, name="images"):
        """Images an autoregressive or VAE run wrote to /samples, an ndarray [n, H, W]:
        "images" (samples), and for a VAE "originals" and "reconstructions". Raises
        KeyError naming the ones it has when `name` is absent (as samples() does)."""
        with h5py.File(self.path, "r") as f:
            key = f"samples/{name}"
            if key not in f:
                have = list(f["samples"]) if "samples" in f else []
                raise KeyError(f"{self.path}: no images '{name}' (has: {have})")
            return np.asarray(f[key][()])

    @property
    def likelihood_points(self):
        """Per held-out point of the PF-ODE likelihood: a DataFrame with nll_nats (and
        exact_log_density for exact models) and the points' coordinates x0, x1, ...;
        empty when the run evaluated no likelihood."""
        with h5py.File(self.path, "r") as f:
            if "likelihood_points" not in f:
                return pd.DataFrame()
            g = f["likelihood_points"]
            table = pd.DataFrame({k: np.asarray(g[k][()]) for k in g if g[k].ndim == 1})
            if "x" in g:
                for j, column in enumerate(np.asarray(g["x"][()]).T):
                    table[f"x{j}"] = column
            return table

    @property
    def status(self):
        """The status attribute; a "running" file whose writer (same host, its pid) no longer
        exists reads "interrupted": it was killed or crashed before it could say so."""
        status = self.attrs.get("status", "unknown")
        if status != "running" or self.attrs.get("host") != socket.gethostname() or "pid" not in self.attrs:
            return status
        try:
            os.kill(int(self.attrs["pid"]), 0)
        except ProcessLookupError:
            return "interrupted"
        except PermissionError:
            pass
        return status

    @property
    def completed(self):
        """Whether the run finished (status "completed")."""
        return self.status == "completed"

    def samples(self, name):
        """The samples of variant `name`, an ndarray [n, dims] ([n, C, H, W] for images). Raises KeyError naming the
        variants the run has when it has no such variant."""
        with h5py.File(self.path, "r") as f:
            key = f"variants/{name}/samples"
            if key not in f:
                raise KeyError(f"{self.path}: no variant '{name}' (has: {list(self.variants.get('name', []))})")
            return np.asarray(f[key][()])

    def grid(self, name):
        """The sample grid of variant `name` (image data): a uint8 ndarray [rows*H, 10*W]
        of its first 100 samples, 10 per row."""
        return self._variant_array(name, "grid")

    def labels(self, name):
        """The class labels of variant `name`'s samples (class-conditional models), int ndarray."""
        return self._variant_array(name, "labels").astype(int)

    def _variant_array(self, name, what):
        with h5py.File(self.path, "r") as f:
            key = f"variants/{name}/{what}"
            if key not in f:
                raise KeyError(f"{self.path}: no {what} for variant '{name}' "
                               f"(has: {list(f['variants'][name]) if f'variants/{name}' in f else []})")
            return np.asarray(f[key][()])

    def __repr__(self):
        return f"Run({self.path!r}, status={self.status}, variants={len(self.variants)})"


def load_run(path):
    """The run file at `path` as a Run (config, attrs, train, eval, variants, ...)."""
    return Run(path)


def _flat(config, prefix=""):
    """A nested config dict as {"train.lr": 0.001, ...}; lists of scalars stay one value."""
    out = {}
    for key, value in (config or {}).items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, path + "."))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                out.update(_flat(item, f"{path}[{i}].") if isinstance(item, dict) else {f"{path}[{i}]": item})
        else:
            out[path] = str(value) if isinstance(value, list) else value
    return out


def _run_paths(paths):
    """A list of run files; an index file (.tsv: a path per line, then its overrides); or
    a glob such as "runs/quickstart/2*/run.h5"."""
    if not isinstance(paths, (str, os.PathLike)):
        return [os.fspath(p) for p in paths]
    paths = os.fspath(paths)
    if paths.endswith(".tsv"):
        with open(paths) as index:
            base = os.path.dirname(paths)
            entries = [line.rstrip("\n").split("\t") for line in index if line.strip()]
        return [e[0] if os.path.isabs(e[0]) else os.path.join(base, e[0]) for e in entries]
    matches = sorted(glob.glob(paths))
    if not matches:
        raise FileNotFoundError(f"no run files match {paths!r}")
    return matches


def load_runs(paths):
    """One DataFrame of variants across runs.

    `paths`: a list of run files, an index file written by a sweep (.tsv), or a glob.
    Each row carries its run's name and path, its family, data, process and seed, and
    every config key whose value differs between the runs (the swept values), so a sweep
    reads as one table. Runs without variants (autoregressive, VAE) give one row each with
    their /test results."""
    runs = [Run(p) for p in _run_paths(paths)]
    flats = [_flat(r.config) for r in runs]
    keys = sorted({k for f in flats for k in f})
    fixed = {"name", "seed", "model.family", "data.name", "model.process"}
    swept = [k for k in keys if not k.startswith("output.") and k not in fixed
             and len({str(f.get(k)) for f in flats}) > 1]
    frames = []
    for run, flat in zip(runs, flats):
        table = run.variants.copy()
        if table.empty:
            table = pd.DataFrame([run.test.iloc[-1].to_dict()] if len(run.test) else [{}])
        identity = {"run": run.attrs.get("name", os.path.basename(run.path)), "path": run.path,
                    "family": flat.get("model.family"), "data": flat.get("data.name"),
                    "process": flat.get("model.process"), "seed": flat.get("seed")}
        identity.update({k: flat.get(k) for k in swept})
        for i, (column, value) in enumerate(identity.items()):
            table.insert(i, column, value)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# Whether a larger value of a metric is better (+1) or a smaller one (-1); the C++ side's
# better_direction (genlab/experiments/eval/metric_comparison.h).
_BETTER = {"class_accuracy": 1, "sliced_wasserstein": -1, "mmd": -1,
           "energy": -1, "fd": -1, "rk45_distance": -1}


def compare_to_best(variants, metric):
    """Which rows of a variants table `metric` tells apart from its best, by their intervals.

    Returns a DataFrame (name, value, half_width, verdict) with verdict "best", "tied" (the
    difference lies within sqrt(h_best^2 + h^2), the interval of the difference) or
    "apart", in the table's order; None when fewer than two rows have the metric and its
    interval (<metric>_lo, <metric>_hi) or the metric's better direction is unknown. The
    same verdicts as the lines under `genlab compare`'s table."""
    if metric not in _BETTER or metric + "_lo" not in variants or metric + "_hi" not in variants:
        return None
    rows = variants[variants[metric].notna() & variants[metric + "_lo"].notna()]
    if len(rows) < 2:
        return None
    value = rows[metric].astype(float)
    half = (rows[metric + "_hi"].astype(float) - rows[metric + "_lo"].astype(float)) / 2
    best = (value * _BETTER[metric]).idxmax()
    tied = (value - value[best]).abs() <= (half ** 2 + half[best] ** 2) ** 0.5
    verdict = ["best" if i == best else "tied" if tied[i] else "apart" for i in rows.index]
    return pd.DataFrame({"name": rows["name"].values, "value": value.values, "half_width": half.values,
                         "verdict": verdict})
