// Tensor: a small handle (shared pointer) to an implementation holding shared
// storage, an element offset into it and a shape. Storage is contiguous float32 on
// one device; reshape and slices along the first axis are views sharing storage.
// Copying a Tensor copies the handle; both refer to the same values.
//
//   Tensor x = Tensor::from_vector({1, 2, 3, 4}, {2, 2}).requires_grad_();
//   Tensor y = sum(exp(x) * x);
//   y.backward();                       // x.grad() now holds d y / d x
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "genlab/core/device.h"
#include "genlab/core/shape.h"

namespace genlab {

struct Node;

// float32 for values; int32 for indices (labels, tokens, gather/scatter positions).
// Both are 4 bytes, so storage is shared code; arithmetic ops take float32 only.
enum class DType { float32, int32 };
const char* dtype_name(DType dtype);

// Owns device bytes; returns them to the device's backend when the last view dies.
class Storage {
 public:
  Storage(int64_t n_elements, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  float* data() const { return data_; }
  int64_t size() const { return n_; }
  Device device() const { return device_; }

 private:
  float* data_ = nullptr;
  int64_t n_ = 0;
  Device device_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;
  Shape shape;
  DType dtype = DType::float32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated by backward() in leaves
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor, if recorded
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories ----
  static Tensor empty(const Shape& shape, Device device = default_device());
  static Tensor zeros(const Shape& shape, Device device = default_device());
  static Tensor ones(const Shape& shape, Device device = default_device());
  static Tensor full(const Shape& shape, float value, Device device = default_device());
  static Tensor scalar(float value, Device device = default_device());
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                            Device device = default_device());
  static Tensor arange(int64_t n, Device device = default_device());
  // int32 index tensors.
  static Tensor empty_indices(const Shape& shape, Device device = default_device());
  static Tensor from_indices(const std::vector<int32_t>& values, const Shape& shape,
                             Device device = default_device());
  static Tensor arange_indices(int64_t n, Device device = default_device());
  // On the device of `like` (float32), so model code never assumes the CPU: the shape is
  // like's unless given.
  static Tensor empty_like(const Tensor& like);
  static Tensor zeros_like(const Tensor& like);
  static Tensor ones_like(const Tensor& like);
  static Tensor full_like(const Tensor& like, float value);
  static Tensor zeros_like(const Tensor& like, const Shape& shape);
  static Tensor full_like(const Tensor& like, const Shape& shape, float value);
  static Tensor scalar_like(const Tensor& like, float value);
  static Tensor from_vector_like(const Tensor& like, const std::vector<float>& values,
                                 const Shape& shape);

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int dim() const { return static_cast<int>(shape().size()); }
  int64_t size(int axis) const;
  int64_t numel() const { return genlab::numel(shape()); }
  Device device() const;
  DType dtype() const;
  bool is_index() const { return dtype() == DType::int32; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- data ----
  // Device pointer to the first element (host pointer for cpu tensors). data() is for
  // float32 tensors and throws, naming the tensor's shape, for an int32 one; index_data()
  // the reverse; raw_data() either, for code that only moves 4-byte words.
  float* data() const;
  int32_t* index_data() const;
  void* raw_data() const;
  std::vector<float> to_vector() const;  // copies to the host (indices converted)
  std::vector<int32_t> to_index_vector() const;  // int32 tensors only
  float item() const;                    // the value of a one-element tensor
  float at(int64_t flat_index) const;    // one element, copied to the host
  Tensor to(Device device) const;        // a copy on another device (shares if same)
  Tensor clone() const;                  // a copy with its own storage, no history
  // float32 -> int32: each value must be an integer in int32's range (else an error
  // naming the first that is not); int32 -> float32: exact up to 2^24.
  Tensor to_indices() const;
  Tensor to_float() const;

  // ---- views (share storage) ----
  Tensor view(const Shape& shape) const;           // no autograd; see reshape() in ops.h
  Tensor narrow_rows(int64_t start, int64_t length) const;  // first axis, no autograd

  // ---- in place, outside autograd (optimizers, data loading) ----
  Tensor& copy_(const Tensor& src);  // same numel; values copied
  Tensor& fill_(float value);

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool value = true);
  Tensor grad() const;  // undefined until backward() reaches this leaf
  void set_grad(const Tensor& g);
  void zero_grad();     // drops the accumulated gradient
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  Tensor detach() const;  // same storage, no history
  void backward(const Tensor& grad_output = Tensor()) const;

  std::string to_string(int max_elements = 16) const;

 private:
  void check_defined(const char* what) const;
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace genlab
