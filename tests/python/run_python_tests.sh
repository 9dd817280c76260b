#!/usr/bin/env bash
# The notebook side end to end: a tiny run -> the Python reader's tests -> the notebook,
# executed headless. Usage: tests/python/run_python_tests.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$build/python_test_runs"
rm -rf "$out" && mkdir -p "$out"
"$build/genlab" run "$root/tests/python/tiny.yaml" output.path="$out/tiny.h5" > "$out/run.log"
"$build/genlab" run "$root/tests/python/tiny.yaml" output.path="$out/tiny2.h5" seed=2 > "$out/run2.log"
"$build/genlab" run "$root/configs/samplers_analytic.yaml" --multirun output.path="$out/sweep.h5" \
  evaluate.samples=300 seed=1,2 > "$out/sweep.log"
GENLAB_BINARY="$build/genlab" /usr/bin/python3 "$root/tests/python/test_runs.py" "$out/tiny.h5" "$out/tiny2.h5" "$out/sweep_index.tsv"
# Mid-run: h5py reads the rows so far while the run goes on; after SIGKILL the file still
# opens and reads "interrupted" (its writer is gone).
"$build/genlab" run "$root/tests/python/tiny.yaml" output.path="$out/live.h5" train.steps=100000000 > /dev/null &
writer=$!
trap 'kill -KILL "$writer" 2>/dev/null || true' EXIT  # never leave it running, whatever fails
/usr/bin/python3 - "$out/live.h5" "$root/python" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[2])
from genlab import load_run
for _ in range(1200):  # up to a minute on a loaded machine
    time.sleep(0.05)
    try:
        run = load_run(sys.argv[1])
    except (OSError, KeyError):  # not created yet, or caught mid-write: try again
        continue
    if len(run.train) >= 3:
        assert run.status == "running", run.status
        print(f"read mid-run: {len(run.train)} train rows, status {run.status}")
        break
else:
    raise SystemExit("no rows seen while the run was going on")
PY
kill -KILL "$writer"; wait "$writer" 2>/dev/null || true
/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$root/python')
from genlab import load_run
run = load_run('$out/live.h5')
assert run.attrs['status'] == 'running' and run.status == 'interrupted', run.status
print('after SIGKILL: readable, status', run.status)"
GENLAB_RUN="$out/tiny.h5" jupyter-nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=300 --output-dir "$out" "$root/notebooks/compare_samplers.ipynb" > "$out/nbconvert.log" 2>&1 \
  || { cat "$out/nbconvert.log"; exit 1; }
"$build/genlab" run "$root/configs/made_fmnist.yaml" output.path="$out/made.h5" train.epochs=0 train.steps=40 \
  train.eval_every_epochs=0 train.eval_every=20 train.checkpoint_every_epochs=0 train.checkpoint_every=20 train.log_every=20 data.downsample=true data.validation=500 model.hidden=[32] \
  model.samples=9 > "$out/made.out"
GENLAB_RUN="$out/made.h5" jupyter-nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=300 --output-dir "$out" "$root/notebooks/autoregressive_samples.ipynb" > "$out/nbconvert2.log" 2>&1 \
  || { cat "$out/nbconvert2.log"; exit 1; }
"$build/genlab" run "$root/configs/vae_fmnist.yaml" output.path="$out/vae.h5" train.epochs=0 train.steps=40 \
  train.eval_every_epochs=0 train.eval_every=20 train.checkpoint_every_epochs=0 train.checkpoint_every=20 train.log_every=20 data.downsample=true data.validation=500 model.hidden=32 \
  model.samples=9 model.reconstructions=4 model.iwae_k=20 model.iwae_examples=50 \
  model.estimator_study.repeats=10 model.estimator_study.reference_samples=100 > "$out/vae.out"
GENLAB_RUN="$out/vae.h5" jupyter-nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=300 --output-dir "$out" "$root/notebooks/vae.ipynb" > "$out/nbconvert3.log" 2>&1 \
  || { cat "$out/nbconvert3.log"; exit 1; }
# compare_samplers also reads an analytic run (no training curve), under another name.
"$build/genlab" run "$root/configs/samplers_analytic.yaml" output.path="$out/analytic.h5" \
  evaluate.samples=300 > "$out/analytic.out"
GENLAB_RUN="$out/analytic.h5" jupyter-nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=300 --output-dir "$out" --output compare_samplers_analytic \
  "$root/notebooks/compare_samplers.ipynb" > "$out/nbconvert4.log" 2>&1 \
  || { cat "$out/nbconvert4.log"; exit 1; }
# Image diffusion: a tiny class-conditional edm_fmnist run, then its notebook.
"$build/genlab" run "$root/configs/edm_fmnist.yaml" output.path="$out/edm_fmnist.h5" train.steps=4 \
  train.batch_size=8 train.warmup_steps=2 train.log_every=2 train.checkpoint_every=2 model.net.channels=4 \
  'model.net.channel_mult=[1, 2]' model.net.norm_groups=2 model.net.embedding_dim=8 evaluate.samples=40 \
  evaluate.likelihood_samples=2 \
  'samplers=[{sampler: euler, steps: 2}, {name: w2, sampler: euler, steps: 2, guidance: 2}]' > "$out/edm_fmnist.out"
GENLAB_RUN="$out/edm_fmnist.h5" jupyter-nbconvert --to notebook --execute \
  --ExecutePreprocessor.timeout=300 --output-dir "$out" "$root/notebooks/image_diffusion.ipynb" > "$out/nbconvert5.log" 2>&1 \
  || { cat "$out/nbconvert5.log"; exit 1; }
# genlab report: each run above on its own page, and several together; every page holds
# all of its run's variants, its config, and nothing fetched or scripted.
for r in tiny analytic made vae edm_fmnist; do
  "$build/genlab" report "$out/$r.h5" -o "$out/report_$r.html" > /dev/null
done
"$build/genlab" report "$out/tiny.h5" "$out/tiny2.h5" "$out/analytic.h5" -o "$out/report_all.html" > /dev/null
/usr/bin/python3 - "$out" <<'PY'
import re, sys
import h5py
out = sys.argv[1]
for r in ["tiny", "analytic", "made", "vae", "edm_fmnist", "all"]:
    html = open(f"{out}/report_{r}.html").read()
    runs = ["tiny", "tiny2", "analytic"] if r == "all" else [r]
    for run in runs:
        with h5py.File(f"{out}/{run}.h5") as f:
            names = [n for n in f["variants"] if n != "summary"] if "variants" in f else []
            config = f.attrs["config_yaml"]
            config = config.decode() if isinstance(config, bytes) else config
        for n in names:
            assert f'<td class="text">{n}</td>' in html, (r, n)
        assert config.splitlines()[0].replace("'", "&#39;") in html or config.splitlines()[0] in html, r
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html), r
    assert html.count("Config</summary>") == len(runs), r
    if r == "edm_fmnist":
        # One picture per image variant: its first rows, and the whole grid behind a click.
        assert html.count("<figure><img") == len(names), "one picture per image variant"
        assert html.count("<summary>the whole grid") == len(names), "the whole grid of each"
        assert 'class="reference"' in html, "the image metrics' reference rows"
    print(f"report_{r}.html: {len(html) // 1024} KiB, variants shown")
PY
# Each executed notebook shows its figures (inline PNGs), at least this many; a markdown
# cell says what to look at before each figure; no test assertion sits in a user's cell.
/usr/bin/python3 - "$out" <<'PY'
import json, sys
expected = {"compare_samplers.ipynb": 3, "compare_samplers_analytic.ipynb": 2,
            "autoregressive_samples.ipynb": 2, "vae.ipynb": 3, "image_diffusion.ipynb": 2}
for name, at_least in expected.items():
    nb = json.load(open(f"{sys.argv[1]}/{name}"))
    images = sum("image/png" in out.get("data", {}) for cell in nb["cells"]
                 for out in cell.get("outputs", []))
    assert images >= at_least, f"{name}: {images} figures shown, expected at least {at_least}"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert "assert " not in "".join(cell["source"]), f"{name}: cell {i} asserts"
        if any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            assert nb["cells"][i - 1]["cell_type"] == "markdown" or nb["cells"][i - 2]["cell_type"] == "markdown", \
                f"{name}: no markdown before the figure of cell {i}"
    print(f"{name}: {images} figures")
PY
echo "notebooks: executed without error, figures shown"
# The reader as a package: pip installs it offline into a virtual environment (which
# sees Debian's h5py and pandas) and it reads a run from another folder.
rm -rf "$out/venv"
/usr/bin/python3 -m venv --system-site-packages "$out/venv"
"$out/venv/bin/pip" install --no-index --quiet "$root/python"
(cd "$out" && "$out/venv/bin/python" -c "
import genlab, sys
assert genlab.__file__.startswith('$out/venv'), genlab.__file__
run = genlab.load_run('$out/tiny.h5')
assert run.completed and len(run.variants) == 2
print('pip-installed reader: ok')")
