// The small set of primitives a device must provide. Every differentiable op in
// genlab/core/ops_*.cpp is written against this interface, so a new device implements
// these (about 25) kernels and nothing else: no op has a per-device branch.
//
// Pointers passed to a backend point into memory that this backend allocated.
// Shapes are passed as plain extents; broadcasting is described by the shapes of
// the operands against the output shape (NumPy rules, already checked by the caller).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#include "genlab/core/conv_geometry.h"
#include "genlab/core/device.h"
#include "genlab/core/shape.h"

namespace genlab {

// An allocation that cannot be served, with its size and the machine's memory in the
// message: callers that catch std::bad_alloc keep working, and a user reads what asked
// for how much instead of "std::bad_alloc".
class OutOfMemory : public std::bad_alloc {
 public:
  explicit OutOfMemory(std::string message, std::vector<int64_t> shape = {})
      : message_(std::move(message)), shape_(std::move(shape)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  // The shape of the tensor that did not fit, when a tensor asked (empty otherwise), so a
  // caller can name what sized it (experiments/: the config key whose value it holds).
  const std::vector<int64_t>& shape() const { return shape_; }

 private:
  std::string message_;
  std::vector<int64_t> shape_;
};

// Physical memory of this machine in bytes (0 if unknown).
size_t physical_memory_bytes();

// What this process may use at most: the smallest of the machine's memory, its cgroup's
// limit (v2 memory.max, v1 memory.limit_in_bytes: what Slurm's --mem and containers set)
// and RLIMIT_AS / RLIMIT_DATA, with where it comes from ("the cgroup limit /sys/...").
struct MemoryLimit {
  size_t bytes = 0;  // 0: unknown
  std::string source;
};
MemoryLimit memory_limit();
// The memory limit of a process's cgroup from the text of its /proc/<pid>/cgroup and
// /proc/<pid>/mountinfo (v2, v1 and hybrid mounts found there), reading the limit files
// below `fs_root` ("" for this machine's; tests pass a folder): the smallest of v2
// memory.max or v1 memory.limit_in_bytes from its cgroup up to the hierarchy's mounted
// root. 0 when there is none; `source` names the file.
size_t cgroup_memory_limit(const std::string& proc_cgroup, const std::string& mountinfo,
                           const std::string& fs_root, std::string& source);
// MemAvailable of /proc/meminfo (what other programs leave), 0 if unknown.
size_t available_memory_bytes();

enum class UnaryOp {
  neg, exp, log, log1p, expm1, sqrt, abs, square, sin, cos, tanh, sigmoid, relu, silu, gelu,
  gelu_tanh, softplus, log_sigmoid, sign, floor, reciprocal,
  add_scalar /* x + p0 */, mul_scalar /* x * p0 */, pow_scalar /* x ^ p0 */,
  clamp /* min(max(x, p0), p1) */, inside /* 1 if p0 < x < p1 else 0 */,
  count  // not an op: how many there are, so loops over every op (the parity tests) see a new one
};

enum class BinaryOp {
  add, sub, mul, div, pow, maximum, minimum, eq, gt, ge, lt,
  // Fused derivative kernels: f'(x) * g, with a = x and b = g. Each is exposed as a
  // differentiable op of its own (as PyTorch's silu_backward is), which keeps
  // backward passes to one memory sweep per activation.
  silu_grad, sigmoid_grad, tanh_grad, gelu_grad, gelu_tanh_grad, softplus_grad,
  log_sigmoid_grad, relu_grad, abs_grad,
  // max(x,0) - x*t + log1p(exp(-|x|)), a = logits x, b = targets t.
  bce_with_logits,
  count  // not an op: how many there are
};

enum class ReduceOp { sum, max };

// The order is philox_values' (genlab/core/philox.h): 0 uniform, 1 normal, 2 rademacher.
enum class RandomDist { uniform = 0, normal = 1, rademacher = 2 };

// Bytes held by live tensors of one device (cached free blocks not counted), and the
// most held at once since the last reset_peak_memory().
struct MemoryStats {
  size_t in_use = 0;
  size_t peak_in_use = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // The device in words for logs and run files ("cpu", "NVIDIA H200 (cuda:0, sm_90, 139 GiB)").
  virtual std::string describe() const { return device_str(device()); }
  // Waits for queued work and raises errors that kernels recorded (bad gather indices on a
  // GPU). copy_to_host does this itself; timing code calls it before reading a clock.
  virtual void synchronize() {}

  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  virtual MemoryStats memory_stats() = 0;
  virtual void reset_peak_memory() = 0;
  virtual void copy_from_host(float* dst, const float* host, int64_t n) = 0;
  virtual void copy_to_host(float* host, const float* src, int64_t n) = 0;

  virtual void fill(float* out, int64_t n, float value) = 0;
  virtual void copy(float* out, const float* in, int64_t n) = 0;
  virtual void unary(UnaryOp op, const float* x, float* out, int64_t n, float p0, float p1) = 0;
  virtual void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* out, const Shape& out_shape) = 0;
  // out = cond != 0 ? a : b, all three broadcast to out_shape.
  virtual void where(const float* cond, const Shape& c_shape, const float* a, const Shape& a_shape,
                     const float* b, const Shape& b_shape, float* out, const Shape& out_shape) = 0;
  // x viewed as [outer, extent, inner] reduced over the middle axis to [outer, inner].
  virtual void reduce(ReduceOp op, const float* x, int64_t outer, int64_t extent, int64_t inner,
                      float* out) = 0;
  // For b in [0, batch): out_b = op(a_b) op(b_b), op = transpose when asked, with
  // out_b of size m x n and the shared dimension k. A batch stride of 0 reuses the operand.
  virtual void matmul(const float* a, int64_t a_batch_stride, bool transpose_a, const float* b,
                      int64_t b_batch_stride, bool transpose_b, float* out, int64_t batch,
                      int64_t m, int64_t n, int64_t k) = 0;
  virtual void permute(const float* x, const Shape& x_shape, const int* perm, float* out) = 0;
  // Rows of a strided 2-D block: dst[r * dst_stride + c] (+)= src[r * src_stride + c].
  virtual void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                         int64_t rows, int64_t cols, bool accumulate) = 0;
  // x viewed as [outer, extent, inner], index as [outer, count, inner] (int32, checked
  // against [0, extent)): gather: out[o, i, j] = x[o, index[o, i, j], j]; scatter_add is
  // its adjoint.
  virtual void gather(const float* x, int64_t outer, int64_t extent, int64_t inner,
                      const int32_t* index, int64_t count, float* out) = 0;
  virtual void scatter_add(const float* src, int64_t outer, int64_t extent, int64_t inner,
                           const int32_t* index, int64_t count, float* out) = 0;
  // Counter-based random numbers laid out in rows of row_len: element (r, c) is drawn
  // from Philox block counter + r * ceil(row_len / 4) + c / 4, so it depends only on
  // (key, counter, r, c), never on how many rows were asked for.
  virtual void random(RandomDist dist, uint64_t key, uint64_t counter, float* out, int64_t n,
                      int64_t row_len) = 0;

  // 2-D convolution (conv_geometry.h) and its adjoints in x (the transpose convolution)
  // and in w. bias may be nullptr.
  virtual void conv2d(const float* x, const float* w, const float* bias, float* out,
                      const Conv2dGeometry& g) = 0;
  virtual void conv2d_input_grad(const float* grad, const float* w, float* dx,
                                 const Conv2dGeometry& g) = 0;
  virtual void conv2d_weight_grad(const float* x, const float* grad, float* dw,
                                  const Conv2dGeometry& g) = 0;
  // Group normalization without the affine part, x viewed as [rows, size] (one row per
  // sample and group): xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps) (biased var).
  virtual void normalize_rows(const float* x, float* xhat, float* rstd, int64_t rows,
                              int64_t size, float eps) = 0;
  // Its backward: dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) per row.
  virtual void normalize_rows_backward(const float* xhat, const float* dxhat, const float* rstd,
                                       float* dx, int64_t rows, int64_t size) = 0;
  // 2x resampling of planes [planes, h, w] (h, w of the small side): up = nearest (each
  // pixel to a 2x2 block, out [planes, 2h, 2w]); down = the 2x2 mean (x [planes, 2h, 2w]).
  // Up's adjoint is 4 x down, so the two are each other's backward.
  virtual void upsample_nearest2x(const float* x, float* out, int64_t planes, int64_t h,
                                  int64_t w) = 0;
  virtual void downsample_mean2x(const float* x, float* out, int64_t planes, int64_t h,
                                 int64_t w) = 0;
  // Fused attention with the online softmax: out = softmax(scale q k^T) v per head and
  // lse = the log-sum-exp of each query's scores, never the queries x keys matrix.
  virtual void attention_forward(const float* q, const float* k, const float* v, float* out,
                                 float* lse, const AttentionGeometry& g) = 0;
  // Gradients of the attention given its output, the output's gradient and lse; the
  // score blocks are recomputed.
  virtual void attention_backward(const float* q, const float* k, const float* v,
                                  const float* out, const float* grad_out, const float* lse,
                                  float* dq, float* dk, float* dv, const AttentionGeometry& g) = 0;
};

// The backend of a device; throws a clear error for a device this build or machine lacks:
// "device: cuda requested, but no CUDA driver/GPU was found (...)". The CUDA backend is
// a library of its own (libgenlab_cuda.so), opened on this first request, so a binary
// built with CUDA starts and runs on the CPU on machines without a driver.
Backend& backend(Device device);

// Which GPU Device::cuda means (cuda:N), chosen before the first CUDA request; choosing
// another one after the backend is open throws.
void select_cuda_device(int index);
int selected_cuda_device();

// Whether this build has the CUDA backend library, and whether a CUDA device can be used
// now (opens the backend on first call; never throws).
bool built_with_cuda();
bool cuda_available();

}  // namespace genlab
