#!/usr/bin/env bash
# Mutation check of the image and attention backward rules (not in CI: one rebuild per
# mutation). Each mutation edits one backward in place, rebuilds the test binary, and
# must make the [ops] tests (the finite-difference table, PyTorch golden values, fused
# against naive attention) fail; the source is restored afterwards, also on Ctrl-C.
# Usage: bash tests/core/mutations.sh [BUILD_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
mutations=(
  "genlab/core/backend/cpu/attention_cpu.cpp|(dp.row(r).array() - delta[q0 + r])|(dp.row(r).array())"
  "genlab/core/backend/cpu/conv2d_cpu.cpp|dst[ow * g.stride_w] += r[ow]|dst[ow] += r[ow]"
  "genlab/core/backend/cpu/conv2d_cpu.cpp|+= go * cols.transpose()|+= 0.5f * (go * cols.transpose())"
  "genlab/core/ops_conv.cpp|return {grad.requires_grad() ? conv_op(gy, w, g) : Tensor(),|return {grad.requires_grad() ? mul_scalar(conv_op(gy, w, g), 1.01f) : Tensor(),"
  "genlab/core/ops_conv.cpp|w.requires_grad() ? weight_op(gy, grad, g) : Tensor()};|w.requires_grad() ? weight_op(grad, gy, g) : Tensor()};"
  "genlab/core/ops_attention.cpp|return {mul_scalar(matmul(ds, k), geo.scale)|return {mul_scalar(matmul(ds, k), 1.0f)"
  "genlab/core/ops_image.cpp|mul_scalar(shifted(x, axis, true), 0.25f)|mul_scalar(shifted(x, axis, false), 0.25f)"
  "genlab/core/ops_image.cpp|return {mul_scalar(upsample_nearest(g), 0.25f)};|return {mul_scalar(upsample_nearest(g), 0.5f)};"
  "genlab/core/backend/cpu/cpu_backend.cpp|for (int64_t j = 0; j < w; ++j) top[2 * j] = top[2 * j + 1] = src[j];|for (int64_t j = 0; j < w; ++j) top[2 * j] = top[2 * j + 1] = src[w - 1 - j];"
  "genlab/core/ops_image.cpp|const Tensor variance = mean(square(centred), {2}, true);|const Tensor variance = detach_for_mutation(mean(square(centred), {2}, true));"
  "genlab/core/ops_image.cpp|return {mul(r, sub(sub(g, mean(g, {2}, true)), mul(xh, mean(mul(g, xh), {2}, true))))};|return {mul(r, sub(g, mean(g, {2}, true)))};"
  "genlab/core/backend/cpu/cpu_backend.cpp|rstd[r] * (g - mean_g - xh * mean_gx)|rstd[r] * (g - mean_g)"
)
failed=0
for m in "${mutations[@]}"; do
  IFS='|' read -r file old new <<< "$m"
  cp "$file" "$file.orig"
  # Restored with a fresh time stamp: the build must see the file as changed again.
  trap 'mv "$file.orig" "$file"; touch "$file"; exit 1' INT TERM
  python3 - "$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
assert old in text, f"{path}: pattern not found: {old}"
if "detach_for_mutation" in new:  # the variance treated as a constant in the backward
    new = new.replace("detach_for_mutation(", "(").replace("true));", "true).detach());")
open(path, "w").write(text.replace(old, new, 1))
PY
  if ! cmake --build "$build" --target genlab_tests > /dev/null 2>&1; then
    echo "BUILD FAILED (mutation not checked): $file: $old"
    failed=1
  elif "$build/genlab_tests" "[ops]" > /dev/null 2>&1; then
    echo "NOT CAUGHT: $file: $old"
    failed=1
  else
    echo "caught:     $file: $old"
  fi
  mv "$file.orig" "$file"
  touch "$file"
  trap - INT TERM
done
cmake --build "$build" --target genlab_tests > /dev/null 2>&1
exit $failed
