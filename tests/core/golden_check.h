// Runs an op on the inputs of tests/core/golden/make_image_ops_golden.py and compares its
// output and its inputs' gradients with PyTorch's.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab::testing {

// input(shape, seed)[i] = 0.8 sin(1.7 i + seed), as the golden script computes it.
Tensor golden_input(const Shape& shape, int seed);

// y = fn(inputs) with inputs golden_input(shapes[k], k + 1); the gradients are of
// sum(y * golden_input(y.shape, 99)). Compares "<name>.y" and "<name>.d<k>".
void check_against_golden(const std::string& name, const std::vector<Shape>& shapes,
                          const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          double tolerance = 2e-5);

}  // namespace genlab::testing
