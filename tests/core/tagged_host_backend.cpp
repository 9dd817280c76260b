#include "tests/core/tagged_host_backend.h"

#include "genlab/core/backend/cuda_stand_in.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace genlab {

Backend& cpu_backend();

namespace {

constexpr uintptr_t kTag = uintptr_t{1} << 62;

template <class T>
T* host(T* p) {
  return p ? reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(p) - kTag) : nullptr;
}

class TaggedHostBackend final : public Backend {
 public:
  Device device() const override { return Device::cuda; }
  std::string describe() const override { return "tagged host memory (GPU stand-in for tests)"; }

  void* allocate(size_t bytes) override {
    return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(cpu().allocate(bytes)) + kTag);
  }
  void deallocate(void* ptr, size_t bytes) override { cpu().deallocate(host(ptr), bytes); }
  MemoryStats memory_stats() override { return cpu().memory_stats(); }
  void reset_peak_memory() override { cpu().reset_peak_memory(); }
  void copy_from_host(float* dst, const float* src, int64_t n) override {
    cpu().copy(host(dst), src, n);
  }
  void copy_to_host(float* dst, const float* src, int64_t n) override {
    cpu().copy(dst, host(src), n);
  }
  void fill(float* out, int64_t n, float value) override { cpu().fill(host(out), n, value); }
  void copy(float* out, const float* in, int64_t n) override { cpu().copy(host(out), host(in), n); }
  void unary(UnaryOp op, const float* x, float* out, int64_t n, float p0, float p1) override {
    cpu().unary(op, host(x), host(out), n, p0, p1);
  }
  void binary(BinaryOp op, const float* a, const Shape& as, const float* b, const Shape& bs,
              float* out, const Shape& os) override {
    cpu().binary(op, host(a), as, host(b), bs, host(out), os);
  }
  void where(const float* c, const Shape& cs, const float* a, const Shape& as, const float* b,
             const Shape& bs, float* out, const Shape& os) override {
    cpu().where(host(c), cs, host(a), as, host(b), bs, host(out), os);
  }
  void reduce(ReduceOp op, const float* x, int64_t outer, int64_t extent, int64_t inner,
              float* out) override {
    cpu().reduce(op, host(x), outer, extent, inner, host(out));
  }
  void matmul(const float* a, int64_t sa, bool ta, const float* b, int64_t sb, bool tb, float* out,
              int64_t batch, int64_t m, int64_t n, int64_t k) override {
    cpu().matmul(host(a), sa, ta, host(b), sb, tb, host(out), batch, m, n, k);
  }
  void permute(const float* x, const Shape& xs, const int* perm, float* out) override {
    cpu().permute(host(x), xs, perm, host(out));
  }
  void copy_rows(const float* src, int64_t ss, float* dst, int64_t ds, int64_t rows, int64_t cols,
                 bool accumulate) override {
    cpu().copy_rows(host(src), ss, host(dst), ds, rows, cols, accumulate);
  }
  void gather(const float* x, int64_t outer, int64_t extent, int64_t inner, const int32_t* index,
              int64_t count, float* out) override {
    cpu().gather(host(x), outer, extent, inner, host(index), count, host(out));
  }
  void scatter_add(const float* src, int64_t outer, int64_t extent, int64_t inner,
                   const int32_t* index, int64_t count, float* out) override {
    cpu().scatter_add(host(src), outer, extent, inner, host(index), count, host(out));
  }
  void random(RandomDist dist, uint64_t key, uint64_t counter, float* out, int64_t n,
              int64_t row_len) override {
    cpu().random(dist, key, counter, host(out), n, row_len);
  }
  void conv2d(const float* x, const float* w, const float* bias, float* out,
              const Conv2dGeometry& g) override {
    cpu().conv2d(host(x), host(w), host(bias), host(out), g);
  }
  void conv2d_input_grad(const float* grad, const float* w, float* dx,
                         const Conv2dGeometry& g) override {
    cpu().conv2d_input_grad(host(grad), host(w), host(dx), g);
  }
  void conv2d_weight_grad(const float* x, const float* grad, float* dw,
                          const Conv2dGeometry& g) override {
    cpu().conv2d_weight_grad(host(x), host(grad), host(dw), g);
  }
  void normalize_rows(const float* x, float* xhat, float* rstd, int64_t rows, int64_t size,
                      float eps) override {
    cpu().normalize_rows(host(x), host(xhat), host(rstd), rows, size, eps);
  }
  void normalize_rows_backward(const float* xhat, const float* dxhat, const float* rstd,
                               float* dx, int64_t rows, int64_t size) override {
    cpu().normalize_rows_backward(host(xhat), host(dxhat), host(rstd), host(dx), rows, size);
  }
  void upsample_nearest2x(const float* x, float* out, int64_t planes, int64_t h,
                          int64_t w) override {
    cpu().upsample_nearest2x(host(x), host(out), planes, h, w);
  }
  void downsample_mean2x(const float* x, float* out, int64_t planes, int64_t h,
                         int64_t w) override {
    cpu().downsample_mean2x(host(x), host(out), planes, h, w);
  }
  void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                         const AttentionGeometry& g) override {
    cpu().attention_forward(host(q), host(k), host(v), host(out), host(lse), g);
  }
  void attention_backward(const float* q, const float* k, const float* v, const float* out,
                          const float* grad_out, const float* lse, float* dq, float* dk,
                          float* dv, const AttentionGeometry& g) override {
    cpu().attention_backward(host(q), host(k), host(v), host(out), host(grad_out), host(lse),
                             host(dq), host(dk), host(dv), g);
  }

 private:
  static Backend& cpu() { return cpu_backend(); }
};

}  // namespace

Backend& tagged_host_backend() {
  static TaggedHostBackend* instance = new TaggedHostBackend;
  return *instance;
}

namespace {

// The device_emulation test runs the test binary with GENLAB_CUDA_EMULATION=tagged-host:
// Device::cuda is then this stand-in, from before main().
const bool kInstalled = [] {
  const char* emulate = std::getenv("GENLAB_CUDA_EMULATION");
  if (emulate && std::string(emulate) == "tagged-host") serve_cuda_with(tagged_host_backend());
  return true;
}();

}  // namespace

}  // namespace genlab
