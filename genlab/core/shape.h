// Shapes of tensors and the NumPy broadcasting rules over them.
//
//   Shape s{4096, 256};
//   Shape out = broadcast_shapes(s, Shape{256}, "add");   // {4096, 256}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace genlab {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
std::string shape_str(const Shape& shape);

// Result shape of broadcasting a against b; throws naming the op and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Maps a possibly negative axis into [0, rank); throws naming the op.
int normalize_axis(int axis, int rank, const char* op);

// Row-major strides (in elements) of a contiguous tensor of this shape.
std::vector<int64_t> contiguous_strides(const Shape& shape);

}  // namespace genlab
