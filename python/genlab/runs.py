"""Reading genlab's HDF5 run files (docs/DESIGN.md contract 3) into pandas.

Every read opens the file, copies what it needs and closes it, so a run that is still
being written can be read between its writes.
"""
import os
import socket

import h5py
import numpy as np
import pandas as pd
import yaml


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _columns(f, group):
    if group not in f:
        return pd.DataFrame()
    cols = {name: f[group][name][()] for name in f[group]}
    # A live run appends a row column by column: a row exists once every column has it.
    n = min((len(v) for v in cols.values()), default=0)
    return pd.DataFrame({name: v[:n] for name, v in cols.items()})


def _table(f, key):
    """A compound dataset (text and number columns) as a DataFrame; empty when absent."""
    if key not in f:
        return pd.DataFrame()
    table = pd.DataFrame(f[key][()])
    for col in table.columns:
        if table[col].dtype == object:
            table[col] = table[col].map(_text)
    return table


class Run:
    """One run file: config (dict), attrs (dict), train / eval / variants (DataFrames),
    samples(name) (ndarray), likelihood and test (DataFrames, when evaluated), images(),
    estimators (the VAE estimator study, a DataFrame)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        with h5py.File(self.path, "r") as f:
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

    def images(self, name="images"):
        """Images an autoregressive or VAE run wrote to /samples, [n, H, W], or None:
        "images" (samples), and for a VAE "originals" and "reconstructions"."""
        with h5py.File(self.path, "r") as f:
            key = f"samples/{name}"
            return np.asarray(f[key][()]) if key in f else None

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
        return self.status == "completed"

    def samples(self, name):
        with h5py.File(self.path, "r") as f:
            key = f"variants/{name}/samples"
            if key not in f:
                raise KeyError(f"{self.path}: no variant '{name}' (has: {list(self.variants.get('name', []))})")
            return np.asarray(f[key][()])

    def __repr__(self):
        return f"Run({self.path!r}, status={self.status}, variants={len(self.variants)})"


def load_run(path):
    return Run(path)


def load_runs(paths):
    """One DataFrame of variants across runs: a list of run files, or the path of an index
    file (one run-file path per line, optionally followed by tab-separated overrides)."""
    if isinstance(paths, (str, os.PathLike)):
        with open(paths) as index:
            base = os.path.dirname(os.fspath(paths))
            entries = [line.rstrip("\n").split("\t") for line in index if line.strip()]
        paths = [e[0] if os.path.isabs(e[0]) else os.path.join(base, e[0]) for e in entries]
    frames = []
    for p in paths:
        run = Run(p)
        table = run.variants.copy()
        table.insert(0, "run", run.attrs.get("name", os.path.basename(p)))
        table.insert(1, "path", p)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
