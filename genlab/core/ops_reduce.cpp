// Reductions over axes, and the log-sum-exp family built from them.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "genlab/core/ops_detail.h"

namespace genlab {

using namespace detail;

namespace {

// Sorted, unique, non-negative axes; empty means all.
std::vector<int> normalize_axes(std::vector<int> axes, int rank, const char* op) {
  if (axes.empty())
    for (int i = 0; i < rank; ++i) axes.push_back(i);
  for (int& a : axes) a = normalize_axis(a, rank, op);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    throw std::invalid_argument(std::string(op) + ": repeated axis");
  return axes;
}

Shape reduced_shape(const Shape& shape, const std::vector<int>& axes, bool keepdim) {
  Shape out;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), i);
    if (!reduced) out.push_back(shape[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Reduces runs of adjacent axes one kernel call per run, innermost first.
Tensor reduce_forward(ReduceOp op, const Tensor& x, const std::vector<int>& axes) {
  Tensor cur = x;
  Shape shape = x.shape();
  for (int end = static_cast<int>(axes.size()); end > 0;) {
    int begin = end - 1;
    while (begin > 0 && axes[begin - 1] == axes[begin] - 1) --begin;
    const int first = axes[begin], last = axes[end - 1];
    int64_t outer = 1, extent = 1, inner = 1;
    for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
      if (i < first) outer *= shape[i];
      else if (i <= last) extent *= shape[i];
      else inner *= shape[i];
    }
    for (int i = first; i <= last; ++i) shape[i] = 1;
    Tensor out = Tensor::empty(shape, x.device());
    backend_of(x).reduce(op, cur.data(), outer, extent, inner, out.data());
    cur = out;
    end = begin;
  }
  return cur;  // keepdim shape
}

}  // namespace

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor sum(const Tensor& x, std::vector<int> axes, bool keepdim) {
  check_defined(x, "sum");
  axes = normalize_axes(std::move(axes), x.dim(), "sum");
  const Tensor kept = reduce_forward(ReduceOp::sum, x, axes);
  const Tensor out = kept.view(reduced_shape(x.shape(), axes, keepdim));
  const Shape kept_shape = kept.shape();
  return record(out, "sum", {x}, [x, kept_shape](const Tensor& g) -> std::vector<Tensor> {
    return {broadcast_to(reshape(g, kept_shape), x.shape())};
  });
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor mean(const Tensor& x, std::vector<int> axes, bool keepdim) {
  check_defined(x, "mean");
  axes = normalize_axes(std::move(axes), x.dim(), "mean");
  int64_t count = 1;
  for (int a : axes) count *= x.shape()[a];
  return sum(x, axes, keepdim) * (1.0f / static_cast<float>(std::max<int64_t>(count, 1)));
}

Tensor max(const Tensor& x, std::vector<int> axes, bool keepdim) {
  check_defined(x, "max");
  axes = normalize_axes(std::move(axes), x.dim(), "max");
  for (int a : axes)
    if (x.shape()[a] == 0) throw std::invalid_argument("max: reduction over an empty axis");
  const Tensor kept = reduce_forward(ReduceOp::max, x, axes);
  const Tensor out = kept.view(reduced_shape(x.shape(), axes, keepdim));
  return record(out, "max", {x}, [x, kept, axes](const Tensor& g) -> std::vector<Tensor> {
    // Ties share the gradient equally, so it sums to g.
    const Tensor mask = eq(x, kept);
    const Tensor count = sum(mask, axes, true);
    return {broadcast_to(reshape(g, kept.shape()), x.shape()) * mask / count};
  });
}

Tensor logsumexp(const Tensor& x, int axis, bool keepdim) {
  check_defined(x, "logsumexp");
  axis = normalize_axis(axis, x.dim(), "logsumexp");
  // Shifting by the (constant) max keeps exp in range; the gradient is unaffected.
  Tensor m = max(x, {axis}, true).detach();
  m = where(eq(m, Tensor::full({}, -INFINITY, x.device())), Tensor::zeros({}, x.device()), m);
  Tensor out = log(sum(exp(x - m), {axis}, true)) + m;
  return keepdim ? out : squeeze(out, axis);
}

Tensor log_softmax(const Tensor& x, int axis) { return x - logsumexp(x, axis, true); }

Tensor softmax(const Tensor& x, int axis) { return exp(log_softmax(x, axis)); }

}  // namespace genlab
