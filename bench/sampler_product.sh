#!/usr/bin/env bash
# The sampler product in full (tests/samplers/test_sampler_product.cpp with
# GENLAB_PRODUCT=full): every sampler x process x grid x precision x noise on the exact
# mixtures, 128-2000 samples, and the table of measured orders it prints (bench/README.md,
# "The sampler product"). CI runs the same tests reduced. About 10 minutes on 2 cores.
#   bash bench/sampler_product.sh [build]    # writes build/sampler_product.txt
set -euo pipefail
build=${1:-build}
GENLAB_PRODUCT=full "$build/genlab_tests" "[product]" | tee "$build/sampler_product.txt" | grep -v "^order \|^law \|^adaptive " || true
echo "measured orders, laws and tolerances: $build/sampler_product.txt"
