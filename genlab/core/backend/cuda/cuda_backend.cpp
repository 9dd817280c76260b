// The CUDA backend: genlab/core/backend.h on one NVIDIA GPU. Kernels live in the .cu files of
// this folder (kernels.h); GEMM, and convolution as im2col + GEMM, go through cuBLAS.
// Everything is queued on one stream; the host waits only where it reads device memory
// (copy_to_host), which is also where device-side index errors are raised.
//
// Built as libgenlab_cuda.so and opened by genlab/core/backend/backend.cpp the first time a CUDA
// device is asked for, so a binary built with CUDA starts on machines without a driver.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "genlab/core/backend.h"
#include "genlab/core/backend/cuda/caching_allocator.h"
#include "genlab/core/backend/cuda/cuda_check.h"
#include "genlab/core/backend/cuda/kernels.h"

namespace genlab::cuda {
namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device_index) : device_index_(device_index) {
    check(cudaSetDevice(device_index), "cudaSetDevice");
    cudaDeviceProp prop;
    check(cudaGetDeviceProperties(&prop, device_index), "cudaGetDeviceProperties");
    name_ = std::string(prop.name) + " (cuda:" + std::to_string(device_index) + ", sm_" +
            std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
            std::to_string(prop.totalGlobalMem >> 30) + " GiB)";
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cublasCreate(&blas_), "cublasCreate");
    check(cublasSetStream(blas_, stream_), "cublasSetStream");
    // A workspace of our own, fixed for the process: with it cuBLAS picks the same kernels
    // run after run (its reproducibility note), and never allocates behind our cache.
    workspace_bytes_ = size_t{32} << 20;
    workspace_ = allocator_.allocate(workspace_bytes_);
    check(cublasSetWorkspace(blas_, workspace_, workspace_bytes_), "cublasSetWorkspace");
    // FP32 GEMM unless a user opts in to TF32 (GENLAB_CUDA_TF32=1): exact-match tests and
    // the CPU comparison rely on full precision.
    const char* tf32 = std::getenv("GENLAB_CUDA_TF32");
    check(cublasSetMathMode(blas_, tf32 && std::strcmp(tf32, "1") == 0
                                       ? CUBLAS_TF32_TENSOR_OP_MATH
                                       : CUBLAS_DEFAULT_MATH),
          "cublasSetMathMode");
    error_ = static_cast<IndexError*>(allocator_.allocate(sizeof(IndexError)));
    check(cudaMemsetAsync(error_, 0, sizeof(IndexError), stream_), "cudaMemset");
  }

  Device device() const override { return Device::cuda; }
  std::string describe() const override { return name_; }

  void* allocate(size_t bytes) override {
    stream();  // cudaMalloc allocates on the calling thread's current device
    return allocator_.allocate(bytes);
  }
  void deallocate(void* ptr, size_t bytes) override { allocator_.deallocate(ptr, bytes); }
  MemoryStats memory_stats() override { return allocator_.stats(); }
  void reset_peak_memory() override { allocator_.reset_peak(); }

  void copy_from_host(float* dst, const float* host, int64_t n) override {
    if (n == 0) return;
    check(cudaMemcpyAsync(dst, host, sizeof(float) * n, cudaMemcpyHostToDevice, stream()),
          "copy to the device");
    // The host buffer may be freed when we return: wait for the copy (pageable memory).
    synchronize();
  }
  void copy_to_host(float* host, const float* src, int64_t n) override {
    if (n == 0) return;
    check(cudaMemcpyAsync(host, src, sizeof(float) * n, cudaMemcpyDeviceToHost, stream()),
          "copy to the host");
    synchronize();
  }
  void synchronize() override {
    check(cudaStreamSynchronize(stream()), "a kernel failed (or the copy)");
    IndexError e;
    check(cudaMemcpy(&e, error_, sizeof e, cudaMemcpyDeviceToHost), "reading the index check");
    if (e.flagged) {
      check(cudaMemset(error_, 0, sizeof(IndexError)), "cudaMemset");
      throw std::out_of_range("index " + std::to_string(e.value) + " (element " +
                              std::to_string(e.position) + ") out of range [0, " +
                              std::to_string(e.extent) + ") (found on the GPU)");
    }
  }

  void fill(float* out, int64_t n, float value) override { cuda::fill(stream(), out, n, value); }
  void copy(float* out, const float* in, int64_t n) override {
    if (out == in || n == 0) return;
    check(cudaMemcpyAsync(out, in, sizeof(float) * n, cudaMemcpyDeviceToDevice, stream()),
          "device copy");
  }
  void unary(UnaryOp op, const float* x, float* out, int64_t n, float p0, float p1) override {
    cuda::unary(stream(), op, x, out, n, p0, p1);
  }
  void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
              const Shape& b_shape, float* out, const Shape& out_shape) override {
    const Shape* ops[2] = {&a_shape, &b_shape};
    cuda::binary(stream(), op, a, b, out, numel(out_shape), device_broadcast(out_shape, ops, 2));
  }
  void where(const float* cond, const Shape& c_shape, const float* a, const Shape& a_shape,
             const float* b, const Shape& b_shape, float* out, const Shape& out_shape) override {
    const Shape* ops[3] = {&c_shape, &a_shape, &b_shape};
    cuda::where(stream(), cond, a, b, out, numel(out_shape), device_broadcast(out_shape, ops, 3));
  }
  void reduce(ReduceOp op, const float* x, int64_t outer, int64_t extent, int64_t inner,
              float* out) override {
    Scratch scratch(*this, reduce_scratch_floats(outer, extent, inner));
    cuda::reduce(stream(), op, x, outer, extent, inner, out, scratch.data);
  }

  void matmul(const float* a, int64_t a_batch_stride, bool transpose_a, const float* b,
              int64_t b_batch_stride, bool transpose_b, float* out, int64_t batch, int64_t m,
              int64_t n, int64_t k) override {
    if (batch * m * n == 0) return;
    if (k == 0) {
      fill(out, batch * m * n, 0.0f);
      return;
    }
    gemm(gemm_call(transpose_a, transpose_b, m, n, k, a, transpose_a ? m : k, a_batch_stride, b,
                   transpose_b ? k : n, b_batch_stride, out, n, m * n, batch, 0.0f));
  }

  void permute(const float* x, const Shape& x_shape, const int* perm, float* out) override {
    cuda::permute(stream(), x, x_shape, perm, out);
  }
  void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                 int64_t rows, int64_t cols, bool accumulate) override {
    cuda::copy_rows(stream(), src, src_stride, dst, dst_stride, rows, cols, accumulate);
  }
  void gather(const float* x, int64_t outer, int64_t extent, int64_t inner, const int32_t* index,
              int64_t count, float* out) override {
    cuda::gather(stream(), x, outer, extent, inner, index, count, out, error_);
  }
  void scatter_add(const float* src, int64_t outer, int64_t extent, int64_t inner,
                   const int32_t* index, int64_t count, float* out) override {
    cuda::scatter_add(stream(), src, outer, extent, inner, index, count, out, error_);
  }
  void random(RandomDist dist, uint64_t key, uint64_t counter, float* out, int64_t n,
              int64_t row_len) override {
    cuda::random(stream(), dist, key, counter, out, n, row_len);
  }

  // Convolution: im2col + cuBLAS GEMM, planned by kernel_math.h's conv2d_* over an
  // executor that launches on this backend's stream.
  void conv2d(const float* x, const float* w, const float* bias, float* out,
              const Conv2dGeometry& g) override {
    Launcher e(*this);
    cuda::conv2d_forward(e, x, w, bias, out, g);
  }
  void conv2d_input_grad(const float* grad, const float* w, float* dx,
                         const Conv2dGeometry& g) override {
    Launcher e(*this);
    cuda::conv2d_input_grad(e, grad, w, dx, g);
  }
  void conv2d_weight_grad(const float* x, const float* grad, float* dw,
                          const Conv2dGeometry& g) override {
    Launcher e(*this);
    cuda::conv2d_weight_grad(e, x, grad, dw, g);
  }

  void normalize_rows(const float* x, float* xhat, float* rstd, int64_t rows, int64_t size,
                      float eps) override {
    cuda::normalize_rows(stream(), x, xhat, rstd, rows, size, eps);
  }
  void normalize_rows_backward(const float* xhat, const float* dxhat, const float* rstd,
                               float* dx, int64_t rows, int64_t size) override {
    cuda::normalize_rows_backward(stream(), xhat, dxhat, rstd, dx, rows, size);
  }
  void upsample_nearest2x(const float* x, float* out, int64_t planes, int64_t h,
                          int64_t w) override {
    cuda::upsample_nearest2x(stream(), x, out, planes, h, w);
  }
  void downsample_mean2x(const float* x, float* out, int64_t planes, int64_t h,
                         int64_t w) override {
    cuda::downsample_mean2x(stream(), x, out, planes, h, w);
  }
  void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                         const AttentionGeometry& g) override {
    cuda::attention_forward(stream(), q, k, v, out, lse, g);
  }
  void attention_backward(const float* q, const float* k, const float* v, const float* out,
                          const float* grad_out, const float* lse, float* dq, float* dk,
                          float* dv, const AttentionGeometry& g) override {
    Scratch delta(*this, g.heads * g.queries);
    cuda::attention_backward(stream(), q, k, v, out, grad_out, lse, dq, dk, dv, delta.data, g);
  }

 private:
  // The stream, after making this backend's GPU current on the calling thread: OpenMP
  // workers and other host threads start on cuda:0 whatever device was selected.
  cudaStream_t stream() {
    thread_local int current = -1;
    if (current != device_index_) {
      check(cudaSetDevice(device_index_), "cudaSetDevice");
      current = device_index_;
    }
    return stream_;
  }

  // A temporary device buffer from the cache, returned when the scope ends. Safe to reuse
  // at once: everything runs on one stream.
  struct Scratch {
    Scratch(CudaBackend& b, int64_t floats) : backend(b), bytes(sizeof(float) * floats) {
      if (floats > 0) data = static_cast<float*>(b.allocate(bytes));
    }
    ~Scratch() {
      if (data) backend.deallocate(data, bytes);
    }
    CudaBackend& backend;
    size_t bytes;
    float* data = nullptr;
  };

  // The executor of kernel_math.h's convolution plans: scratch from the cache, work on
  // the stream.
  struct Launcher {
    explicit Launcher(CudaBackend& b) : backend(b) {}
    static int64_t max_col_floats() { return int64_t{32} << 20; }
    float* scratch(int64_t floats) {
      buffers.push_back(std::make_unique<Scratch>(backend, floats));
      return buffers.back()->data;
    }
    void gemm(const GemmCall& call) { backend.gemm(call); }
    void im2col(const float* x, float* col, int64_t images, int64_t group, const Conv2dGeometry& g) {
      cuda::im2col(backend.stream(), x, col, images, group, g);
    }
    void col2im(const float* col, float* dx, int64_t images, int64_t group, const Conv2dGeometry& g) {
      cuda::col2im(backend.stream(), col, dx, images, group, g);
    }
    void add_bias(float* out, const float* bias, int64_t batch, int64_t channels, int64_t pixels) {
      add_channel_bias(backend.stream(), out, bias, batch, channels, pixels);
    }
    void fill(float* out, int64_t n, float value) { backend.fill(out, n, value); }
    CudaBackend& backend;
    std::vector<std::unique_ptr<Scratch>> buffers;
  };

  // One cublasSgemmStridedBatched with kernel_math.h's row-major -> column-major mapping.
  void gemm(const GemmCall& c) {
    const float alpha = 1.0f;
    stream();  // this GPU current on the calling thread (the handle belongs to it)
    check(cublasSgemmStridedBatched(
              blas_, c.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N,
              c.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(c.m),
              static_cast<int>(c.n), static_cast<int>(c.k), &alpha, c.first,
              static_cast<int>(c.ld_first), c.stride_first, c.second, static_cast<int>(c.ld_second),
              c.stride_second, &c.beta, c.c, static_cast<int>(c.ldc), c.stride_c,
              static_cast<int>(c.batch)),
          "cublasSgemmStridedBatched");
  }

  int device_index_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  CachingAllocator allocator_;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  IndexError* error_ = nullptr;
};

}  // namespace
}  // namespace genlab::cuda

// The entry point genlab/core/backend/backend.cpp looks up after dlopen. Returns 0 and the
// backend, or non-zero with a message: no driver, no device, or a bad index.
extern "C" __attribute__((visibility("default"))) int genlab_cuda_create_backend(int device_index, genlab::Backend** out, char* error,
                                          size_t error_len) {
  auto fail = [&](const std::string& message) {
    std::snprintf(error, error_len, "%s", message.c_str());
    return 1;
  };
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess)
    return fail(std::string("no CUDA driver/GPU was found (") + cudaGetErrorString(status) + ")");
  if (count == 0) return fail("no CUDA driver/GPU was found (0 devices)");
  if (device_index < 0 || device_index >= count)
    return fail("cuda:" + std::to_string(device_index) + " does not exist: this machine has " +
                std::to_string(count) + " CUDA device(s), cuda:0 to cuda:" +
                std::to_string(count - 1));
  try {
    *out = new genlab::cuda::CudaBackend(device_index);
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
