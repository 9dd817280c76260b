// CPU backend: Eigen does the arithmetic (vectorized exp/tanh/logistic/erf and GEMM),
// OpenMP splits large loops. Memory comes from a size-keyed cache, because training
// loops free and re-allocate the same activation sizes every step and fresh large
// allocations would page-fault on every touch.
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "genlab/core/eigen.h"

#include "genlab/core/backend/cpu/eigen_maps.h"
// erf; guarded as genlab/core/eigen.h guards Eigen/Core (GCC bug 105593)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <unsupported/Eigen/SpecialFunctions>
#pragma GCC diagnostic pop

#include "genlab/core/backend.h"
#include "genlab/core/backend/broadcast_plan.h"
#include "genlab/core/backend/cpu/attention_cpu.h"
#include "genlab/core/backend/cpu/conv2d_cpu.h"
#include "genlab/core/parallel.h"
#include "genlab/core/philox.h"

namespace genlab {
namespace {

std::string gib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GiB", static_cast<double>(bytes) / (1 << 30));
  return text;
}

std::string describe_request(size_t bytes, size_t held, size_t limit, const std::string& source) {
  return "a tensor of " + std::to_string(bytes / sizeof(float)) + " floats (" + gib(bytes) +
         "), with " + gib(held) + " already held by tensors, does not fit in memory" +
         (limit > 0 ? " (" + source + ": " + gib(limit) + ")" : "");
}

// The bytes tensors may hold: the process's memory limit less what the process needs
// besides its tensors (libraries, the data set, buffers): a tenth, at least 256 MiB.
size_t tensor_budget(const MemoryLimit& m) {
  if (m.bytes == 0) return 0;
  const size_t reserve = std::max<size_t>(size_t{256} << 20, m.bytes / 10);
  return m.bytes > reserve ? m.bytes - reserve : m.bytes / 2;
}

using Array = Eigen::Array<float, Eigen::Dynamic, 1>;
using ArrayMap = Eigen::Map<Array>;
using ConstArrayMap = Eigen::Map<const Array>;
using cpu::RowMatrix;
using cpu::MatrixMap;
using cpu::ConstMatrixMap;

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kGeluTanhC = 0.79788456080286536f;  // sqrt(2 / pi)
constexpr float kGeluTanhA = 0.044715f;

// ---- elementwise kernels, written once as Eigen array expressions ----------------

template <class X, class O>
void apply_unary(UnaryOp op, const X& x, O& o, float p0, float p1) {
  switch (op) {
    case UnaryOp::neg: o = -x; break;
    case UnaryOp::exp: o = x.exp(); break;
    case UnaryOp::log: o = x.log(); break;
    case UnaryOp::log1p: o = x.log1p(); break;
    case UnaryOp::expm1: o = x.expm1(); break;
    case UnaryOp::sqrt: o = x.sqrt(); break;
    case UnaryOp::abs: o = x.abs(); break;
    case UnaryOp::square: o = x.square(); break;
    case UnaryOp::sin: o = x.sin(); break;
    case UnaryOp::cos: o = x.cos(); break;
    case UnaryOp::tanh: o = x.tanh(); break;
    case UnaryOp::sigmoid: o = x.logistic(); break;
    case UnaryOp::relu: o = x.max(0.0f); break;
    case UnaryOp::silu: o = x * x.logistic(); break;
    case UnaryOp::gelu: o = 0.5f * x * (1.0f + (x * kSqrtHalf).erf()); break;
    case UnaryOp::gelu_tanh:
      o = 0.5f * x * (1.0f + (kGeluTanhC * (x + kGeluTanhA * x.cube())).tanh());
      break;
    case UnaryOp::softplus: o = x.max(0.0f) + (-x.abs()).exp().log1p(); break;
    case UnaryOp::log_sigmoid: o = x.min(0.0f) - (-x.abs()).exp().log1p(); break;
    case UnaryOp::sign: o = (x > 0.0f).template cast<float>() - (x < 0.0f).template cast<float>(); break;
    case UnaryOp::floor: o = x.floor(); break;
    case UnaryOp::reciprocal: o = x.inverse(); break;
    case UnaryOp::add_scalar: o = x + p0; break;
    case UnaryOp::mul_scalar: o = x * p0; break;
    case UnaryOp::pow_scalar:
      if (p0 == 2.0f) o = x.square();
      else if (p0 == 0.5f) o = x.sqrt();
      else o = x.pow(p0);
      break;
    case UnaryOp::clamp: o = x.max(p0).min(p1); break;
    case UnaryOp::inside: o = ((x > p0) && (x < p1)).template cast<float>(); break;
    case UnaryOp::count: throw std::logic_error("UnaryOp::count is not an op");
  }
}

template <class A, class B, class O>
void apply_binary(BinaryOp op, const A& a, const B& b, O& o) {
  switch (op) {
    case BinaryOp::add: o = a + b; break;
    case BinaryOp::sub: o = a - b; break;
    case BinaryOp::mul: o = a * b; break;
    case BinaryOp::div: o = a / b; break;
    case BinaryOp::pow:
      o = a.binaryExpr(b, [](float x, float y) { return std::pow(x, y); });
      break;
    case BinaryOp::maximum: o = a.max(b); break;
    case BinaryOp::minimum: o = a.min(b); break;
    case BinaryOp::eq: o = (a == b).template cast<float>(); break;
    case BinaryOp::gt: o = (a > b).template cast<float>(); break;
    case BinaryOp::ge: o = (a >= b).template cast<float>(); break;
    case BinaryOp::lt: o = (a < b).template cast<float>(); break;
    case BinaryOp::silu_grad: {
      // d/dx x s(x) = s (1 + x (1 - s))
      o = a.logistic();
      o = b * o * (1.0f + a * (1.0f - o));
      break;
    }
    case BinaryOp::sigmoid_grad:
      o = a.logistic();
      o = b * o * (1.0f - o);
      break;
    case BinaryOp::tanh_grad:
      o = a.tanh();
      o = b * (1.0f - o.square());
      break;
    case BinaryOp::gelu_grad:
      o = b * (0.5f * (1.0f + (a * kSqrtHalf).erf()) + a * kInvSqrt2Pi * (-0.5f * a.square()).exp());
      break;
    case BinaryOp::gelu_tanh_grad: {
      o = (kGeluTanhC * (a + kGeluTanhA * a.cube())).tanh();
      o = b * (0.5f * (1.0f + o) +
               0.5f * a * (1.0f - o.square()) * kGeluTanhC * (1.0f + 3.0f * kGeluTanhA * a.square()));
      break;
    }
    case BinaryOp::softplus_grad: o = b * a.logistic(); break;
    case BinaryOp::log_sigmoid_grad: o = b * (-a).logistic(); break;
    case BinaryOp::relu_grad: o = b * (a > 0.0f).template cast<float>(); break;
    case BinaryOp::abs_grad:
      o = b * ((a > 0.0f).template cast<float>() - (a < 0.0f).template cast<float>());
      break;
    case BinaryOp::bce_with_logits:
      o = a.max(0.0f) - a * b + (-a.abs()).exp().log1p();
      break;
    case BinaryOp::count: throw std::logic_error("BinaryOp::count is not an op");
  }
}

// Runs fn(offsets..., len, inner strides...) over rows of the plan, in parallel.
template <class Fn>
void for_each_row(const BroadcastPlan& plan, size_t n_operands, Fn&& fn) {
  if (plan.rows == 1) {
    // One long row: split it. Broadcast (stride 0) operands stay at offset 0.
    parallel_for(plan.row_len, 4, [&](int64_t begin, int64_t end) {
      int64_t offs[3] = {0, 0, 0};
      for (size_t k = 0; k < n_operands; ++k) offs[k] = begin * plan.inner_stride(k);
      fn(begin, offs, end - begin);
    });
    return;
  }
  parallel_for(plan.rows, plan.row_len * 4, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t offs[3] = {0, 0, 0};
      for (size_t k = 0; k < n_operands; ++k) offs[k] = plan.offset(k, r);
      fn(r * plan.row_len, offs, plan.row_len);
    }
  });
}

// ---- the backend --------------------------------------------------------------------

class CpuBackend final : public Backend {
 public:
  ~CpuBackend() override {
    for (auto& [bytes, list] : cache_)
      for (void* p : list) std::free(p);
  }

  Device device() const override { return Device::cpu; }
  // "cpu (AMD EPYC)": the processor's model name from /proc/cpuinfo, for run files.
  std::string describe() const override {
    static const std::string text = [] {
      std::ifstream in("/proc/cpuinfo");
      for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
          const std::string model = line.substr(line.find(':') + 1);
          const size_t start = model.find_first_not_of(" \t");
          if (start != std::string::npos) return "cpu (" + model.substr(start) + ")";
        }
      return std::string("cpu");
    }();
    return text;
  }

  void* allocate(size_t bytes) override {
    const size_t rounded = round_up(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = cache_.find(rounded);
      if (it != cache_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= rounded;
        note_in_use(rounded);
        return p;
      }
    }
    // More than the machine holds, counting the tensors already held: refused here, before
    // the kernel's overcommit lets it through and the OOM killer ends the process later
    // without a word. The cache is given back first: it may be what stands in the way.
    // The limit is the smallest of the machine, its cgroup (Slurm --mem, a container) and
    // the rlimits; a large request also checks what other programs leave free now.
    static const MemoryLimit limit = memory_limit();
    static const size_t budget = tensor_budget(limit);
    std::lock_guard<std::mutex> lock(mutex_);
    if (budget > 0 && held_bytes_ + rounded > budget) release_cache();
    if (budget > 0 && held_bytes_ + rounded > budget)
      throw OutOfMemory(describe_request(bytes, held_bytes_, limit.bytes, limit.source));
    if (rounded >= (size_t{256} << 20)) {
      const size_t available = available_memory_bytes();
      if (available > 0 && rounded > available + cached_bytes_) {
        release_cache();
        if (rounded > available_memory_bytes())
          throw OutOfMemory(describe_request(bytes, held_bytes_, available, "memory available now (MemAvailable)"));
      }
    }
    void* p = std::aligned_alloc(64, rounded);
    if (!p) throw OutOfMemory(describe_request(bytes, held_bytes_, limit.bytes, limit.source));
    held_bytes_ += rounded;
    note_in_use(rounded);
    return p;
  }

  MemoryStats memory_stats() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return {in_use_bytes_, peak_in_use_bytes_};
  }
  void reset_peak_memory() override {
    std::lock_guard<std::mutex> lock(mutex_);
    peak_in_use_bytes_ = in_use_bytes_;
  }

  void deallocate(void* ptr, size_t bytes) override {
    const size_t rounded = round_up(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_bytes_ -= rounded;
    if (cached_bytes_ + rounded > max_cached_bytes()) {
      std::free(ptr);
      held_bytes_ -= rounded;
      return;
    }
    cache_[rounded].push_back(ptr);
    cached_bytes_ += rounded;
  }

  void copy_from_host(float* dst, const float* host, int64_t n) override { copy(dst, host, n); }
  void copy_to_host(float* host, const float* src, int64_t n) override { copy(host, src, n); }

  void fill(float* out, int64_t n, float value) override {
    parallel_for(n, 1, [&](int64_t b, int64_t e) { std::fill(out + b, out + e, value); });
  }

  void copy(float* out, const float* in, int64_t n) override {
    if (out == in) return;
    parallel_for(n, 1, [&](int64_t b, int64_t e) {
      std::memcpy(out + b, in + b, sizeof(float) * (e - b));
    });
  }

  void unary(UnaryOp op, const float* x, float* out, int64_t n, float p0, float p1) override {
    parallel_for(n, 8, [&](int64_t b, int64_t e) {
      ConstArrayMap xs(x + b, e - b);
      ArrayMap os(out + b, e - b);
      apply_unary(op, xs, os, p0, p1);
    });
  }

  void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
              const Shape& b_shape, float* out, const Shape& out_shape) override {
    const BroadcastPlan plan(out_shape, {&a_shape, &b_shape});
    const bool sa = plan.inner_stride(0) != 0, sb = plan.inner_stride(1) != 0;
    for_each_row(plan, 2, [&](int64_t out_off, const int64_t* offs, int64_t len) {
      ArrayMap o(out + out_off, len);
      if (sa && sb)
        apply_binary(op, ConstArrayMap(a + offs[0], len), ConstArrayMap(b + offs[1], len), o);
      else if (sa)
        apply_binary(op, ConstArrayMap(a + offs[0], len), Array::Constant(len, b[offs[1]]), o);
      else if (sb)
        apply_binary(op, Array::Constant(len, a[offs[0]]), ConstArrayMap(b + offs[1], len), o);
      else
        apply_binary(op, Array::Constant(len, a[offs[0]]), Array::Constant(len, b[offs[1]]), o);
    });
  }

  void where(const float* cond, const Shape& c_shape, const float* a, const Shape& a_shape,
             const float* b, const Shape& b_shape, float* out, const Shape& out_shape) override {
    const BroadcastPlan plan(out_shape, {&c_shape, &a_shape, &b_shape});
    const int64_t sc = plan.inner_stride(0), sa = plan.inner_stride(1), sb = plan.inner_stride(2);
    for_each_row(plan, 3, [&](int64_t out_off, const int64_t* offs, int64_t len) {
      const float *c = cond + offs[0], *pa = a + offs[1], *pb = b + offs[2];
      float* o = out + out_off;
      for (int64_t i = 0; i < len; ++i) o[i] = c[i * sc] != 0.0f ? pa[i * sa] : pb[i * sb];
    });
  }

  void reduce(ReduceOp op, const float* x, int64_t outer, int64_t extent, int64_t inner,
              float* out) override {
    const bool is_sum = op == ReduceOp::sum;
    if (inner == 1) {
      if (outer == 1 && extent >= kParallelGrain) {
        // One long reduction: fixed per-thread partials, combined in order.
        std::vector<float> partial(num_threads(), is_sum ? 0.0f : -INFINITY);
        const int64_t pieces = static_cast<int64_t>(partial.size());
        parallel_for(pieces, kParallelGrain, [&](int64_t pb, int64_t pe) {
          for (int64_t p = pb; p < pe; ++p) {
            const int64_t b = extent * p / pieces, e = extent * (p + 1) / pieces;
            ConstArrayMap xs(x + b, e - b);
            partial[p] = is_sum ? xs.sum() : xs.maxCoeff();
          }
        });
        float acc = is_sum ? 0.0f : -INFINITY;
        for (float v : partial) acc = is_sum ? acc + v : std::max(acc, v);
        out[0] = acc;
        return;
      }
      parallel_for(outer, extent, [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
          ConstArrayMap xs(x + o * extent, extent);
          out[o] = extent == 0 ? (is_sum ? 0.0f : -INFINITY) : (is_sum ? xs.sum() : xs.maxCoeff());
        }
      });
      return;
    }
    // Reduce across rows of [extent, inner] blocks: split over outer and inner columns.
    const int64_t col_blocks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), inner / 64));
    parallel_for(outer * col_blocks, extent * inner / col_blocks, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / col_blocks, cb = t % col_blocks;
        const int64_t j0 = inner * cb / col_blocks, j1 = inner * (cb + 1) / col_blocks;
        ArrayMap acc(out + o * inner + j0, j1 - j0);
        acc = is_sum ? Array::Zero(j1 - j0) : Array::Constant(j1 - j0, -INFINITY);
        for (int64_t r = 0; r < extent; ++r) {
          ConstArrayMap row(x + (o * extent + r) * inner + j0, j1 - j0);
          if (is_sum) acc += row;
          else acc = acc.max(row);
        }
      }
    });
  }

  void matmul(const float* a, int64_t a_batch_stride, bool transpose_a, const float* b,
              int64_t b_batch_stride, bool transpose_b, float* out, int64_t batch, int64_t m,
              int64_t n, int64_t k) override {
    auto one = [&](int64_t i) {
      ConstMatrixMap am(a + i * a_batch_stride, transpose_a ? k : m, transpose_a ? m : k);
      ConstMatrixMap bm(b + i * b_batch_stride, transpose_b ? n : k, transpose_b ? k : n);
      MatrixMap om(out + i * m * n, m, n);
      if (k == 0) {
        om.setZero();
      } else if (!transpose_a && !transpose_b) {
        om.noalias() = am * bm;
      } else if (transpose_a && !transpose_b) {
        om.noalias() = am.transpose() * bm;
      } else if (!transpose_a && transpose_b) {
        om.noalias() = am * bm.transpose();
      } else {
        om.noalias() = am.transpose() * bm.transpose();
      }
    };
    // Many small products: one per thread (Eigen then runs single-threaded inside);
    // otherwise let Eigen's GEMM use all threads on each product.
    if (batch >= num_threads() && m * n * k < (1 << 18)) {
      parallel_for(batch, m * n * k, [&](int64_t b0, int64_t e0) {
        for (int64_t i = b0; i < e0; ++i) one(i);
      });
    } else {
      for (int64_t i = 0; i < batch; ++i) one(i);
    }
  }

  void permute(const float* x, const Shape& x_shape, const int* perm, float* out) override {
    const int rank = static_cast<int>(x_shape.size());
    const std::vector<int64_t> xs = contiguous_strides(x_shape);
    Shape out_shape(rank);
    std::vector<int64_t> src_stride(rank);
    for (int i = 0; i < rank; ++i) {
      out_shape[i] = x_shape[perm[i]];
      src_stride[i] = xs[perm[i]];
    }
    if (rank == 2 && perm[0] == 1) {
      MatrixMap(out, out_shape[0], out_shape[1]) =
          ConstMatrixMap(x, x_shape[0], x_shape[1]).transpose();
      return;
    }
    const int64_t row_len = rank ? out_shape[rank - 1] : 1;
    const int64_t inner = rank ? src_stride[rank - 1] : 1;
    const int64_t rows = numel(out_shape) / std::max<int64_t>(row_len, 1);
    parallel_for(rows, row_len, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t off = 0, rem = r;
        for (int i = rank - 2; i >= 0; --i) {
          off += (rem % out_shape[i]) * src_stride[i];
          rem /= out_shape[i];
        }
        float* o = out + r * row_len;
        for (int64_t j = 0; j < row_len; ++j) o[j] = x[off + j * inner];
      }
    });
  }

  void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                 int64_t rows, int64_t cols, bool accumulate) override {
    parallel_for(rows, cols, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* s = src + r * src_stride;
        float* d = dst + r * dst_stride;
        if (accumulate) {
          for (int64_t c = 0; c < cols; ++c) d[c] += s[c];
        } else {
          std::memcpy(d, s, sizeof(float) * cols);
        }
      }
    });
  }

  void gather(const float* x, int64_t outer, int64_t extent, int64_t inner, const int32_t* index,
              int64_t count, float* out) override {
    check_indices(index, outer * count * inner, extent);
    parallel_for(outer * count, inner, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / count;
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t idx = static_cast<int64_t>(index[t * inner + j]);
          out[t * inner + j] = x[(o * extent + idx) * inner + j];
        }
      }
    });
  }

  void scatter_add(const float* src, int64_t outer, int64_t extent, int64_t inner,
                   const int32_t* index, int64_t count, float* out) override {
    check_indices(index, outer * count * inner, extent);
    // Parallel over outer only: two rows of one outer slice may hit the same target.
    parallel_for(outer, count * inner, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        for (int64_t i = 0; i < count; ++i)
          for (int64_t j = 0; j < inner; ++j) {
            const int64_t t = (o * count + i) * inner + j;
            out[(o * extent + static_cast<int64_t>(index[t])) * inner + j] += src[t];
          }
    });
  }

  void random(RandomDist dist, uint64_t key, uint64_t counter, float* out, int64_t n,
              int64_t row_len) override {
    if (n == 0) return;
    const int64_t blocks_per_row = (row_len + 3) / 4, rows = (n + row_len - 1) / row_len;
    parallel_for(rows * blocks_per_row, 16, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t row = t / blocks_per_row, col = (t % blocks_per_row) * 4;
        const PhiloxBlock v = philox_block(key, counter, static_cast<uint64_t>(t));
        float vals[4];
        philox_values(static_cast<int>(dist), v, vals);
        float* o = out + row * row_len + col;
        for (int l = 0; l < 4 && col + l < row_len; ++l) o[l] = vals[l];
      }
    });
  }

  void conv2d(const float* x, const float* w, const float* bias, float* out,
              const Conv2dGeometry& g) override {
    cpu::conv2d_forward(x, w, bias, out, g);
  }
  void conv2d_input_grad(const float* grad, const float* w, float* dx,
                         const Conv2dGeometry& g) override {
    cpu::conv2d_input_grad(grad, w, dx, g);
  }
  void conv2d_weight_grad(const float* x, const float* grad, float* dw,
                          const Conv2dGeometry& g) override {
    cpu::conv2d_weight_grad(x, grad, dw, g);
  }
  void normalize_rows(const float* x, float* xhat, float* rstd, int64_t rows, int64_t size,
                      float eps) override {
    parallel_for(rows, 3 * size, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        ConstArrayMap xr(x + r * size, size);
        // Two passes in double: a mean far from 0 must not cost the variance its digits.
        const double mean = xr.cast<double>().mean();
        const double var = (xr.cast<double>() - mean).square().mean();
        const float s = static_cast<float>(1.0 / std::sqrt(var + eps));
        rstd[r] = s;
        ArrayMap(xhat + r * size, size) = (xr - static_cast<float>(mean)) * s;
      }
    });
  }
  void normalize_rows_backward(const float* xhat, const float* dxhat, const float* rstd, float* dx,
                               int64_t rows, int64_t size) override {
    parallel_for(rows, 4 * size, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        ConstArrayMap xh(xhat + r * size, size), g(dxhat + r * size, size);
        const float mean_g = static_cast<float>(g.cast<double>().mean());
        const float mean_gx = static_cast<float>((g.cast<double>() * xh.cast<double>()).mean());
        ArrayMap(dx + r * size, size) = rstd[r] * (g - mean_g - xh * mean_gx);
      }
    });
  }

  void upsample_nearest2x(const float* x, float* out, int64_t planes, int64_t h,
                          int64_t w) override {
    parallel_for(planes * h, 4 * w, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {  // row r of the small image -> rows 2r, 2r + 1
        const float* src = x + r * w;
        float* top = out + (2 * r) * (2 * w);
        for (int64_t j = 0; j < w; ++j) top[2 * j] = top[2 * j + 1] = src[j];
        std::copy(top, top + 2 * w, top + 2 * w);
      }
    });
  }
  void downsample_mean2x(const float* x, float* out, int64_t planes, int64_t h,
                         int64_t w) override {
    parallel_for(planes * h, 4 * w, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* top = x + (2 * r) * (2 * w);
        const float* bottom = top + 2 * w;
        float* dst = out + r * w;
        for (int64_t j = 0; j < w; ++j)
          dst[j] = 0.25f * ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1]));
      }
    });
  }

  void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                         const AttentionGeometry& g) override {
    cpu::attention_forward(q, k, v, out, lse, g);
  }
  void attention_backward(const float* q, const float* k, const float* v, const float* out,
                          const float* grad_out, const float* lse, float* dq, float* dk,
                          float* dv, const AttentionGeometry& g) override {
    cpu::attention_backward(q, k, v, out, grad_out, lse, dq, dk, dv, g);
  }

 private:
  // Freed blocks kept for reuse: a quarter of the machine's memory, at least 2 GiB. A
  // U-Net step at batch 128 cycles through more than 2 GiB of activations; blocks freed
  // past the limit come back as fresh pages, and first-touch page faults took a fifth of
  // the step (perf). The OOM guard in allocate() releases the cache before refusing.
  static size_t max_cached_bytes() {
    static const size_t limit = std::max<size_t>(size_t{2} << 30, memory_limit().bytes / 4);
    return limit;
  }
  static size_t round_up(size_t bytes) { return std::max<size_t>(64, (bytes + 63) / 64 * 64); }

  static void check_indices(const int32_t* index, int64_t n, int64_t extent) {
    for (int64_t i = 0; i < n; ++i)
      if (index[i] < 0 || index[i] >= extent)
        throw std::out_of_range("index " + std::to_string(index[i]) + " (element " +
                                std::to_string(i) + ") out of range [0, " +
                                std::to_string(extent) + ")");
  }

  // The caller holds mutex_.
  void note_in_use(size_t bytes) {
    in_use_bytes_ += bytes;
    peak_in_use_bytes_ = std::max(peak_in_use_bytes_, in_use_bytes_);
  }

  // Frees every cached block; the caller holds mutex_.
  void release_cache() {
    for (auto& [size, list] : cache_) {
      for (void* p : list) std::free(p);
      held_bytes_ -= size * list.size();
      list.clear();
    }
    cached_bytes_ = 0;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> cache_;
  size_t cached_bytes_ = 0;
  size_t held_bytes_ = 0;  // from aligned_alloc, not yet freed (in use or cached)
  size_t in_use_bytes_ = 0, peak_in_use_bytes_ = 0;  // handed to tensors, not cached
};

}  // namespace

Backend& cpu_backend() {
  // Never destroyed: tensors held by other static objects may release storage at exit.
  static CpuBackend* instance = new CpuBackend;
  return *instance;
}

}  // namespace genlab
