// Helpers shared by the genlab/core/ops_*.cpp files (not part of the public API).
#pragma once

#include <string>

#include "genlab/core/autograd.h"
#include "genlab/core/backend.h"
#include "genlab/core/ops.h"

namespace genlab::detail {

inline Backend& backend_of(const Tensor& t) { return backend(t.device()); }

void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_defined(const Tensor& t, const char* op);

// Forward kernels producing fresh tensors (no recording).
Tensor unary_forward(UnaryOp op, const Tensor& x, float p0 = 0.0f, float p1 = 0.0f);
Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const char* name);

// Views an axis of `shape` as [outer, extent, inner].
struct AxisSplit {
  int64_t outer = 1, extent = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& shape, int axis);

}  // namespace genlab::detail
