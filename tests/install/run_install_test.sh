#!/usr/bin/env bash
# Installs the build into a temporary prefix, then configures, builds and runs a consumer
# project that finds it with find_package(genlab). Usage: run_install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work="$build/install_test"
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log" 2>&1
# A -march=native build says so when installed, and its package tells consumers.
native=$(sed -n 's/^GENLAB_NATIVE:BOOL=//p' "$build/CMakeCache.txt")
if [ "$native" = ON ]; then
  grep -q "installing a GENLAB_NATIVE=ON build" "$work/install.log"
  grep -q "set(genlab_NATIVE ON)" "$work/prefix/lib/cmake/genlab/genlabConfig.cmake"
else
  if grep -q "GENLAB_NATIVE=ON" "$work/install.log"; then exit 1; fi
fi
test -f "$work/prefix/include/genlab/core/tensor.h"
test -f "$work/prefix/lib/cmake/genlab/genlabConfig.cmake"
test -x "$work/prefix/bin/genlab"
cmake -S "$root/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
if [ "$native" = ON ]; then grep -q "built with -march=native" "$work/configure.log"; fi
cmake --build "$work/consumer" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/consumer/consumer"
