// Finite-difference checking of vector-Jacobian products, shared by the op table and
// the nn/model tests: the analytic gradient of L = sum(w * f(inputs)), for a fixed
// random w, against central differences of L evaluated in double precision.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab::testing {

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCheckResult {
  bool ok = true;
  std::string report;  // the worst element of each input when not ok
};

// Checks d/d inputs[i] for each i in `check` (all when empty). Perturbations are
// `step` wide; an element passes when |analytic - numeric| <= atol + rtol |numeric|.
GradCheckResult gradcheck(const OpFn& fn, std::vector<Tensor> inputs, std::vector<int> check = {},
                          double step = 1e-3, double atol = 2e-3, double rtol = 1e-2);

// Deterministic test inputs: uniform in [lo, hi], optionally kept at least `gap` away
// from zero (for ops with a kink there: abs, relu).
Tensor test_input(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f, float gap = 0.0f);

}  // namespace genlab::testing
