#!/usr/bin/env bash
# One shipped config's quick form end to end, as a user runs it: `genlab run CONFIG
# --smoke`, then the run file must be complete and hold every phase the config has
# (training rows, an evaluation before the end, a checkpoint, the variants or the family's
# results, the likelihood when asked for), `genlab info` must say completed, and `genlab
# report` must draw it. Run in the working directory CTest gives (runs/ goes there).
# Usage: run_smoke.sh BUILD_DIR CONFIG
set -euo pipefail
build=$(cd "$1" && pwd)
config=$2
name=$(sed -n 's/^name: *//p' "$config" | head -1)
start=$(date +%s)
"$build/genlab" run "$config" --smoke | tee "smoke_$name.log"
run=$(readlink -f "runs/${name}_smoke/latest/run.h5")
"$build/genlab" info "$run" > /dev/null
"$build/genlab" report "$run" -o "smoke_$name.html" > /dev/null
/usr/bin/python3 - "$run" "$config" <<'PY'
import sys, h5py, yaml
run, config = sys.argv[1], sys.argv[2]
with h5py.File(run, "r") as f:
    stored = yaml.safe_load(f.attrs["config_yaml"])
    assert f.attrs["status"] in (b"completed", "completed"), f.attrs["status"]
    trains = stored["train"]["steps"] > 0
    if trains:
        assert len(f["train/step"]) >= 2, "training rows"
        steps = list(f["eval/step"])
        assert len(steps) >= 2 and steps[0] < steps[-1], f"a periodic evaluation before the end: {steps}"
        assert "checkpoint" in f, "a checkpoint"
    has_variants = len(stored.get("samplers") or []) > 0 and stored["model"]["family"] in ("diffusion", "analytic")
    if has_variants:
        assert len(f["variants/summary"]) == len(stored["samplers"]), "every variant"
    else:
        assert "test" in f or "samples" in f, "the family's results"
    if stored["evaluate"]["likelihood"] and has_variants:
        assert "likelihood" in f, "the likelihood"
print("smoke: every phase present")
PY
echo "smoke $name: $(( $(date +%s) - start )) s"
