#!/usr/bin/env bash
# `genlab report` on a run of every shipped config: each config trained briefly (its
# structure, families, variants and data kept; steps, widths and sample counts cut), then
# one report per run and one of all of them. Prints each page's size and variant count.
# Usage: bash bench/report_every_config.sh BUILD_DIR OUT_DIR   (about 5 minutes on 2 cores)
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$2
mkdir -p "$out"
short2d="train.steps=200 train.log_every=50 train.eval_every=100 train.checkpoint_every=100 evaluate.samples=1000"
images="train.epochs=0 train.steps=4 train.batch_size=8 train.log_every=2 train.eval_every=2 train.checkpoint_every=2 \
train.eval_every_epochs=0 train.checkpoint_every_epochs=0 evaluate.samples=40"
unet="model.net.channels=4 model.net.channel_mult=[1,2] model.net.norm_groups=2 model.net.embedding_dim=8 \
train.warmup_steps=2 evaluate.likelihood_samples=2"
declare -A extra=(
  [quickstart]="$short2d" [edm]="$short2d" [flow]="$short2d" [ve]="$short2d" [vp]="$short2d"
  [samplers_analytic]="evaluate.samples=1000"
  [edm_fmnist]="$images $unet" [flow_fmnist]="$images $unet"
  [made_fmnist]="$images data.downsample=true data.validation=500 model.hidden=[32] model.samples=9"
  [vae_fmnist]="$images data.downsample=true data.validation=500 model.hidden=32 model.samples=9 \
model.reconstructions=4 model.iwae_k=20 model.iwae_examples=50 model.estimator_study.repeats=10 \
model.estimator_study.reference_samples=100"
  [gumbel_vae_fmnist]="$images data.downsample=true data.validation=500 model.hidden=32 model.samples=9 \
model.reconstructions=4 model.iwae_k=20 model.iwae_examples=50 model.estimator_study.repeats=10 \
model.estimator_study.reference_samples=100"
  [fmnist_classifier]="$images data.validation=500"
  [transformer_fmnist]="$images data.downsample=true data.validation=500 model.width=16 model.heads=2 \
model.samples=4 train.warmup_steps=2"
  # Fine-tunes the short run above (the glob reaches transformer_fmnist first).
  [transformer_lora_fmnist]="$images data.downsample=true data.validation=500 model.width=16 model.heads=2 \
model.samples=4 train.warmup_steps=2 model.init_from=$out/transformer_fmnist.h5"
)
runs=()
for config in "$root"/configs/*.yaml; do
  name=$(basename "$config" .yaml)
  # shellcheck disable=SC2086
  "$build/genlab" run "$config" output.path="$out/$name.h5" --overwrite ${extra[$name]:-} > "$out/$name.log" 2>&1 \
    || { echo "$name: the run failed"; tail -5 "$out/$name.log"; exit 1; }
  "$build/genlab" report "$out/$name.h5" -o "$out/$name.html"
  runs+=("$out/$name.h5")
done
"$build/genlab" report "${runs[@]}" -o "$out/all.html"
