#!/usr/bin/env bash
# Installs the build into a temporary prefix, then configures, builds and runs a consumer
# project that finds it with find_package(genlab). Usage: run_install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work="$build/install_test"
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/include/genlab/core/tensor.h"
test -f "$work/prefix/lib/cmake/genlab/genlabConfig.cmake"
test -x "$work/prefix/bin/genlab"
cmake -S "$root/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/consumer/consumer"
