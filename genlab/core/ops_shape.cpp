// Shape ops: views, permutations, broadcasting, joining, slicing and indexing.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "genlab/core/ops_detail.h"

namespace genlab {

using namespace detail;

Tensor reshape(const Tensor& x, Shape shape) {
  check_defined(x, "reshape");
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw std::invalid_argument("reshape: more than one -1 in " + shape_str(shape));
      infer = i;
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw std::invalid_argument("reshape: cannot reshape " + shape_str(x.shape()) + " into " +
                                  shape_str(shape));
    shape[infer] = x.numel() / known;
  }
  if (numel(shape) != x.numel())
    throw std::invalid_argument("reshape: cannot reshape " + shape_str(x.shape()) + " into " +
                                shape_str(shape));
  if (shape == x.shape()) return x;
  return record(x.view(shape), "reshape", {x}, [x](const Tensor& g) -> std::vector<Tensor> {
    return {reshape(g, x.shape())};
  });
}

Tensor flatten(const Tensor& x, int start_axis) {
  start_axis = normalize_axis(start_axis, std::max(x.dim(), 1), "flatten");
  Shape s(x.shape().begin(), x.shape().begin() + std::min(start_axis, x.dim()));
  s.push_back(-1);
  return reshape(x, s);
}

Tensor unsqueeze(const Tensor& x, int axis) {
  axis = normalize_axis(axis, x.dim() + 1, "unsqueeze");
  Shape s = x.shape();
  s.insert(s.begin() + axis, 1);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, int axis) {
  axis = normalize_axis(axis, x.dim(), "squeeze");
  if (x.shape()[axis] != 1)
    throw std::invalid_argument("squeeze: axis " + std::to_string(axis) + " of shape " +
                                shape_str(x.shape()) + " is not 1");
  Shape s = x.shape();
  s.erase(s.begin() + axis);
  return reshape(x, s);
}

Tensor permute(const Tensor& x, const std::vector<int>& perm) {
  check_defined(x, "permute");
  const int rank = x.dim();
  if (static_cast<int>(perm.size()) != rank)
    throw std::invalid_argument("permute: " + std::to_string(perm.size()) +
                                " axes given for shape " + shape_str(x.shape()));
  std::vector<int> p(rank), inverse(rank, -1);
  for (int i = 0; i < rank; ++i) {
    p[i] = normalize_axis(perm[i], rank, "permute");
    if (inverse[p[i]] >= 0) throw std::invalid_argument("permute: repeated axis");
    inverse[p[i]] = i;
  }
  bool identity = true;
  for (int i = 0; i < rank; ++i) identity = identity && p[i] == i;
  if (identity) return x;
  Shape out_shape(rank);
  for (int i = 0; i < rank; ++i) out_shape[i] = x.shape()[p[i]];
  Tensor out = Tensor::empty(out_shape, x.device());
  backend_of(x).permute(x.data(), x.shape(), p.data(), out.data());
  return record(out, "permute", {x}, [inverse](const Tensor& g) -> std::vector<Tensor> {
    return {permute(g, inverse)};
  });
}

Tensor transpose(const Tensor& x, int axis0, int axis1) {
  std::vector<int> perm(x.dim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[normalize_axis(axis0, x.dim(), "transpose")],
            perm[normalize_axis(axis1, x.dim(), "transpose")]);
  return permute(x, perm);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  check_defined(x, "broadcast_to");
  if (x.shape() == shape) return x;
  if (broadcast_shapes(x.shape(), shape, "broadcast_to") != shape)
    throw std::invalid_argument("broadcast_to: cannot broadcast " + shape_str(x.shape()) + " to " +
                                shape_str(shape));
  Tensor out = Tensor::empty(shape, x.device());
  const Tensor zero = Tensor::zeros({}, x.device());
  backend_of(x).binary(BinaryOp::add, x.data(), x.shape(), zero.data(), zero.shape(), out.data(),
                       shape);
  return record(out, "broadcast_to", {x}, [x](const Tensor& g) -> std::vector<Tensor> {
    return {sum_to(g, x.shape())};
  });
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_defined(x, "sum_to");
  if (x.shape() == shape) return x;
  const int lead = x.dim() - static_cast<int>(shape.size());
  if (lead < 0)
    throw std::invalid_argument("sum_to: cannot sum " + shape_str(x.shape()) + " to " + shape_str(shape));
  std::vector<int> axes;
  for (int i = 0; i < x.dim(); ++i) {
    if (i < lead) axes.push_back(i);
    else if (shape[i - lead] == 1 && x.shape()[i] != 1) axes.push_back(i);
    else if (shape[i - lead] != x.shape()[i])
      throw std::invalid_argument("sum_to: cannot sum " + shape_str(x.shape()) + " to " +
                                  shape_str(shape));
  }
  return reshape(sum(x, axes, true), shape);
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("concat: no tensors");
  for (const Tensor& t : xs) check_same_device(xs[0], t, "concat");
  axis = normalize_axis(axis, xs[0].dim(), "concat");
  Shape out_shape = xs[0].shape();
  out_shape[axis] = 0;
  for (const Tensor& t : xs) {
    Shape s = t.shape();
    if (static_cast<int>(s.size()) != xs[0].dim())
      throw std::invalid_argument("concat: shapes " + shape_str(xs[0].shape()) + " and " +
                                  shape_str(s) + " differ in rank");
    s[axis] = out_shape[axis];
    if (s != out_shape)
      throw std::invalid_argument("concat: shapes " + shape_str(xs[0].shape()) + " and " +
                                  shape_str(t.shape()) + " differ outside axis " +
                                  std::to_string(axis));
    out_shape[axis] += t.shape()[axis];
  }
  Tensor out = Tensor::empty(out_shape, xs[0].device());
  const AxisSplit o = split_at_axis(out_shape, axis);
  int64_t start = 0;
  std::vector<int64_t> starts;
  for (const Tensor& t : xs) {
    const int64_t len = t.shape()[axis];
    backend_of(t).copy_rows(t.data(), len * o.inner, out.data() + start * o.inner, o.extent * o.inner,
                            o.outer, len * o.inner, false);
    starts.push_back(start);
    start += len;
  }
  return record(out, "concat", xs, [xs, starts, axis](const Tensor& g) -> std::vector<Tensor> {
    std::vector<Tensor> grads;
    for (size_t i = 0; i < xs.size(); ++i)
      grads.push_back(xs[i].requires_grad()
                          ? slice(g, axis, starts[i], starts[i] + xs[i].shape()[axis])
                          : Tensor());
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("stack: no tensors");
  axis = normalize_axis(axis, xs[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (const Tensor& t : xs) {
    if (t.shape() != xs[0].shape())
      throw std::invalid_argument("stack: shapes " + shape_str(xs[0].shape()) + " and " +
                                  shape_str(t.shape()) + " differ");
    expanded.push_back(unsqueeze(t, axis));
  }
  return concat(expanded, axis);
}

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end) {
  check_defined(x, "slice");
  axis = normalize_axis(axis, x.dim(), "slice");
  const int64_t len = x.shape()[axis];
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0 || end > len || start > end)
    throw std::out_of_range("slice: [" + std::to_string(start) + ", " + std::to_string(end) +
                            ") on axis " + std::to_string(axis) + " of shape " + shape_str(x.shape()));
  Tensor out;
  if (axis == 0) {
    out = x.narrow_rows(start, end - start);  // a view: rows are contiguous
  } else {
    Shape s = x.shape();
    s[axis] = end - start;
    out = Tensor::empty(s, x.device());
    const AxisSplit a = split_at_axis(x.shape(), axis);
    backend_of(x).copy_rows(x.data() + start * a.inner, a.extent * a.inner, out.data(),
                            (end - start) * a.inner, a.outer, (end - start) * a.inner, false);
  }
  return record(out, "slice", {x}, [x, axis, start](const Tensor& g) -> std::vector<Tensor> {
    return {slice_backward(g, x.shape(), axis, start)};
  });
}

Tensor slice_backward(const Tensor& g, const Shape& input_shape, int axis, int64_t start) {
  Tensor out = Tensor::zeros(input_shape, g.device());
  const AxisSplit a = split_at_axis(input_shape, axis);
  const int64_t len = g.shape()[axis];
  backend_of(g).copy_rows(g.data(), len * a.inner, out.data() + start * a.inner, a.extent * a.inner,
                          a.outer, len * a.inner, false);
  return record(out, "slice_backward", {g}, [axis, start, len](const Tensor& gg) -> std::vector<Tensor> {
    return {slice(gg, axis, start, start + len)};
  });
}

namespace {
// The int32 data of an index tensor; a float32 one is refused, naming the op.
const int32_t* index_of(const Tensor& index, const char* op) {
  check_defined(index, op);
  if (!index.is_index())
    throw std::invalid_argument(std::string(op) + ": the index must be an int32 tensor "
                                "(Tensor::from_indices), got float32 of shape " +
                                shape_str(index.shape()));
  return index.index_data();
}
}  // namespace

Tensor gather(const Tensor& x, int axis, const Tensor& index) {
  check_same_device(x, index, "gather");
  axis = normalize_axis(axis, x.dim(), "gather");
  Shape expect = x.shape();
  expect[axis] = index.dim() == x.dim() ? index.shape()[axis] : -1;
  if (index.shape() != expect)
    throw std::invalid_argument("gather: index of shape " + shape_str(index.shape()) +
                                " does not match input " + shape_str(x.shape()) +
                                " outside axis " + std::to_string(axis));
  const AxisSplit a = split_at_axis(x.shape(), axis);
  Tensor out = Tensor::empty(index.shape(), x.device());
  backend_of(x).gather(x.data(), a.outer, a.extent, a.inner, index_of(index, "gather"),
                       index.shape()[axis], out.data());
  return record(out, "gather", {x}, [x, axis, index](const Tensor& g) -> std::vector<Tensor> {
    return {scatter_add(g, x.shape(), axis, index)};
  });
}

Tensor scatter_add(const Tensor& src, const Shape& shape, int axis, const Tensor& index) {
  check_same_device(src, index, "scatter_add");
  axis = normalize_axis(axis, static_cast<int>(shape.size()), "scatter_add");
  if (src.shape() != index.shape())
    throw std::invalid_argument("scatter_add: source " + shape_str(src.shape()) + " and index " +
                                shape_str(index.shape()) + " differ");
  Tensor out = Tensor::zeros(shape, src.device());
  const AxisSplit a = split_at_axis(shape, axis);
  backend_of(src).scatter_add(src.data(), a.outer, a.extent, a.inner, index_of(index, "scatter_add"),
                              index.shape()[axis], out.data());
  return record(out, "scatter_add", {src}, [axis, index](const Tensor& g) -> std::vector<Tensor> {
    return {gather(g, axis, index)};
  });
}

Tensor index_select(const Tensor& x, int axis, const Tensor& index) {
  check_defined(index, "index_select");
  if (index.dim() != 1)
    throw std::invalid_argument("index_select: index must be 1-D, got " + shape_str(index.shape()));
  axis = normalize_axis(axis, x.dim(), "index_select");
  // Selecting whole slices is a gather with the index repeated across the other axes.
  Shape index_view(x.dim(), 1);
  index_view[axis] = index.shape()[0];
  Shape target = x.shape();
  target[axis] = index.shape()[0];
  // Repeated on the host: index tensors are small beside what they select.
  index_of(index, "index_select");
  const std::vector<int32_t> picks = index.to_index_vector();
  const AxisSplit a = split_at_axis(target, axis);
  std::vector<int32_t> expanded(static_cast<size_t>(numel(target)));
  for (int64_t o = 0; o < a.outer; ++o)
    for (int64_t i = 0; i < a.extent; ++i)
      std::fill_n(expanded.begin() + (o * a.extent + i) * a.inner, a.inner, picks[i]);
  return gather(x, axis, Tensor::from_indices(expanded, target, index.device()));
}

Tensor one_hot(const Tensor& index, int64_t num_classes) {
  check_defined(index, "one_hot");
  index_of(index, "one_hot");
  const std::vector<int32_t> v = index.to_index_vector();
  std::vector<float> out(v.size() * static_cast<size_t>(num_classes), 0.0f);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] < 0 || v[i] >= num_classes)
      throw std::out_of_range("one_hot: index " + std::to_string(v[i]) + " (element " +
                              std::to_string(i) + ") out of range [0, " +
                              std::to_string(num_classes) + ")");
    out[i * num_classes + v[i]] = 1.0f;
  }
  Shape s = index.shape();
  s.push_back(num_classes);
  return Tensor::from_vector(out, s, index.device());
}

}  // namespace genlab
