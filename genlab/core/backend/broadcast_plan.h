// How operands broadcast against an output, reduced to the fewest dimensions: shared by
// the backends (host code; the CUDA backend copies the plan into a kernel argument).
#pragma once

#include <cstdint>
#include <vector>

#include "genlab/core/shape.h"

namespace genlab {

// Up to three operands broadcast against an output, with size-1 dimensions dropped and
// adjacent dimensions merged wherever every operand allows it; the innermost dimension
// is then walked as one row with per-operand stride 0 (broadcast) or 1.
struct BroadcastPlan {
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> strides;  // per operand, per dim
  int64_t rows = 1, row_len = 1;

  BroadcastPlan(const Shape& out, const std::vector<const Shape*>& operands) {
    const size_t rank = out.size();
    std::vector<std::vector<int64_t>> full(operands.size(), std::vector<int64_t>(rank, 0));
    for (size_t k = 0; k < operands.size(); ++k) {
      const Shape& s = *operands[k];
      int64_t stride = 1;
      for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i) {
        const size_t oi = rank - s.size() + i;
        full[k][oi] = (s[i] == 1 && out[oi] != 1) ? 0 : stride;
        stride *= s[i];
      }
    }
    strides.assign(operands.size(), {});
    for (size_t i = 0; i < rank; ++i) {
      if (out[i] == 1) continue;
      bool merge = !dims.empty();
      for (size_t k = 0; merge && k < operands.size(); ++k)
        merge = strides[k].back() == full[k][i] * out[i];
      if (merge) {
        dims.back() *= out[i];
        for (size_t k = 0; k < operands.size(); ++k) strides[k].back() = full[k][i];
      } else {
        dims.push_back(out[i]);
        for (size_t k = 0; k < operands.size(); ++k) strides[k].push_back(full[k][i]);
      }
    }
    if (dims.empty()) {
      dims.push_back(1);
      for (auto& s : strides) s.push_back(1);
    }
    row_len = dims.back();
    for (size_t i = 0; i + 1 < dims.size(); ++i) rows *= dims[i];
  }

  int64_t offset(size_t operand, int64_t row) const {
    int64_t off = 0;
    for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
      off += (row % dims[i]) * strides[operand][i];
      row /= dims[i];
    }
    return off;
  }
  int64_t inner_stride(size_t operand) const { return strides[operand].back(); }
};

}  // namespace genlab
