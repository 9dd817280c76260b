#include "genlab/core/tensor.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "genlab/core/autograd.h"
#include "genlab/core/backend.h"

namespace genlab {

Storage::Storage(int64_t n_elements, Device device) : n_(n_elements), device_(device) {
  data_ = static_cast<float*>(backend(device).allocate(sizeof(float) * std::max<int64_t>(n_, 1)));
}

Storage::~Storage() {
  backend(device_).deallocate(data_, sizeof(float) * std::max<int64_t>(n_, 1));
}

namespace {
std::shared_ptr<TensorImpl> make_impl(const Shape& shape, Device device) {
  for (int64_t d : shape)
    if (d < 0) throw std::invalid_argument("tensor: negative dimension in shape " + shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  try {
    impl->storage = std::make_shared<Storage>(numel(shape), device);
  } catch (const OutOfMemory& e) {
    throw OutOfMemory(std::string(e.what()) + " (a tensor of shape " + shape_str(shape) + ")", shape);
  }
  impl->shape = shape;
  return impl;
}
}  // namespace

const char* dtype_name(DType dtype) { return dtype == DType::int32 ? "int32" : "float32"; }

Tensor Tensor::empty(const Shape& shape, Device device) { return Tensor(make_impl(shape, device)); }

Tensor Tensor::empty_indices(const Shape& shape, Device device) {
  auto impl = make_impl(shape, device);
  impl->dtype = DType::int32;
  return Tensor(impl);
}

Tensor Tensor::from_indices(const std::vector<int32_t>& values, const Shape& shape, Device device) {
  if (static_cast<int64_t>(values.size()) != genlab::numel(shape))
    throw std::invalid_argument("Tensor::from_indices: " + std::to_string(values.size()) +
                                " values for shape " + shape_str(shape));
  Tensor t = empty_indices(shape, device);
  // The backends copy 4-byte words; the bits of an int32 travel unchanged.
  backend(device).copy_from_host(static_cast<float*>(t.raw_data()),
                                 reinterpret_cast<const float*>(values.data()), t.numel());
  return t;
}

Tensor Tensor::arange_indices(int64_t n, Device device) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<int32_t>(i);
  return from_indices(v, {n}, device);
}

Tensor Tensor::zeros(const Shape& shape, Device device) { return full(shape, 0.0f, device); }

Tensor Tensor::ones(const Shape& shape, Device device) { return full(shape, 1.0f, device); }

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
  backend(device).fill(t.data(), t.numel(), value);
  return t;
}

Tensor Tensor::scalar(float value, Device device) { return full({}, value, device); }

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, Device device) {
  if (static_cast<int64_t>(values.size()) != genlab::numel(shape))
    throw std::invalid_argument("Tensor::from_vector: " + std::to_string(values.size()) +
                                " values for shape " + shape_str(shape));
  Tensor t = empty(shape, device);
  backend(device).copy_from_host(t.data(), values.data(), t.numel());
  return t;
}

Tensor Tensor::empty_like(const Tensor& like) { return empty(like.shape(), like.device()); }
Tensor Tensor::zeros_like(const Tensor& like) { return zeros(like.shape(), like.device()); }
Tensor Tensor::ones_like(const Tensor& like) { return ones(like.shape(), like.device()); }
Tensor Tensor::full_like(const Tensor& like, float value) {
  return full(like.shape(), value, like.device());
}
Tensor Tensor::zeros_like(const Tensor& like, const Shape& shape) {
  return zeros(shape, like.device());
}
Tensor Tensor::full_like(const Tensor& like, const Shape& shape, float value) {
  return full(shape, value, like.device());
}
Tensor Tensor::scalar_like(const Tensor& like, float value) {
  return scalar(value, like.device());
}
Tensor Tensor::from_vector_like(const Tensor& like, const std::vector<float>& values,
                                const Shape& shape) {
  return from_vector(values, shape, like.device());
}

Tensor Tensor::arange(int64_t n, Device device) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return from_vector(v, {n}, device);
}

void Tensor::check_defined(const char* what) const {
  if (!impl_) throw std::logic_error(std::string("Tensor::") + what + " on an undefined tensor");
}

const Shape& Tensor::shape() const {
  check_defined("shape");
  return impl_->shape;
}

int64_t Tensor::size(int axis) const { return shape()[normalize_axis(axis, dim(), "size")]; }

Device Tensor::device() const {
  check_defined("device");
  return impl_->storage->device();
}

DType Tensor::dtype() const {
  check_defined("dtype");
  return impl_->dtype;
}

void* Tensor::raw_data() const {
  check_defined("data");
  return impl_->storage->data() + impl_->offset;
}

float* Tensor::data() const {
  if (dtype() != DType::float32)
    throw std::invalid_argument("an int32 index tensor of shape " + shape_str(shape()) +
                                " was given where float32 values are needed (to_float() converts)");
  return static_cast<float*>(raw_data());
}

int32_t* Tensor::index_data() const {
  if (dtype() != DType::int32)
    throw std::invalid_argument("a float32 tensor of shape " + shape_str(shape()) +
                                " was given where int32 indices are needed (Tensor::from_indices, "
                                "or to_indices() for integral values)");
  return static_cast<int32_t*>(raw_data());
}

std::vector<int32_t> Tensor::to_index_vector() const {
  std::vector<int32_t> v(numel());
  backend(device()).copy_to_host(reinterpret_cast<float*>(v.data()),
                                 reinterpret_cast<const float*>(index_data()), numel());
  return v;
}

std::vector<float> Tensor::to_vector() const {
  if (is_index()) {
    const std::vector<int32_t> i = to_index_vector();
    return std::vector<float>(i.begin(), i.end());
  }
  std::vector<float> v(numel());
  backend(device()).copy_to_host(v.data(), data(), numel());
  return v;
}

Tensor Tensor::to_indices() const {
  if (is_index()) return *this;
  const std::vector<float> v = to_vector();
  std::vector<int32_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] == std::floor(v[i]) && v[i] >= -2147483648.0f && v[i] < 2147483648.0f))
      throw std::invalid_argument("to_indices: element " + std::to_string(i) + " is " +
                                  std::to_string(v[i]) + ", not an integer in int32's range");
    out[i] = static_cast<int32_t>(v[i]);
  }
  return from_indices(out, shape(), device());
}

Tensor Tensor::to_float() const {
  if (!is_index()) return *this;
  return from_vector(to_vector(), shape(), device());
}

float Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument("Tensor::item: tensor of shape " + shape_str(shape()) +
                                " has more than one element");
  return at(0);
}

float Tensor::at(int64_t i) const {
  if (i < 0 || i >= numel())
    throw std::out_of_range("Tensor::at: index " + std::to_string(i) + " for shape " +
                            shape_str(shape()));
  if (is_index()) {
    float v;
    backend(device()).copy_to_host(&v, static_cast<const float*>(raw_data()) + i, 1);
    int32_t k;
    std::memcpy(&k, &v, sizeof k);
    return static_cast<float>(k);
  }
  float v;
  backend(device()).copy_to_host(&v, data() + i, 1);
  return v;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  // One copy between the two memories, never through a host vector: one side is the
  // host (Device has one accelerator kind), so the accelerator's backend moves the bytes.
  Tensor t = is_index() ? empty_indices(shape(), target) : empty(shape(), target);
  float* dst = static_cast<float*>(t.raw_data());
  const float* src = static_cast<const float*>(raw_data());
  if (target == Device::cpu)
    backend(device()).copy_to_host(dst, src, numel());
  else
    backend(target).copy_from_host(dst, src, numel());
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = is_index() ? empty_indices(shape(), device()) : empty(shape(), device());
  backend(device()).copy(static_cast<float*>(t.raw_data()), static_cast<const float*>(raw_data()),
                         numel());
  return t;
}

Tensor Tensor::view(const Shape& new_shape) const {
  if (genlab::numel(new_shape) != numel())
    throw std::invalid_argument("view: cannot view shape " + shape_str(shape()) + " as " +
                                shape_str(new_shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = new_shape;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

Tensor Tensor::narrow_rows(int64_t start, int64_t length) const {
  if (dim() == 0 || start < 0 || length < 0 || start + length > shape()[0])
    throw std::out_of_range("narrow_rows: rows [" + std::to_string(start) + ", " +
                            std::to_string(start + length) + ") of shape " + shape_str(shape()));
  Shape s = shape();
  const int64_t row = s[0] ? numel() / s[0] : 0;
  s[0] = length;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset + start * row;
  impl->shape = s;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.numel() != numel())
    throw std::invalid_argument("copy_: source " + shape_str(src.shape()) + " into " +
                                shape_str(shape()));
  if (src.dtype() != dtype())
    throw std::invalid_argument(std::string("copy_: ") + dtype_name(src.dtype()) + " into " +
                                dtype_name(dtype()));
  const Tensor s = src.to(device());
  backend(device()).copy(static_cast<float*>(raw_data()), static_cast<const float*>(s.raw_data()),
                         numel());
  return *this;
}

Tensor& Tensor::fill_(float value) {
  backend(device()).fill(data(), numel(), value);
  return *this;
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::requires_grad_(bool value) {
  check_defined("requires_grad_");
  if (value && is_index())
    throw std::invalid_argument("requires_grad_: an int32 index tensor has no gradient");
  impl_->requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const {
  check_defined("grad");
  return Tensor(impl_->grad);
}

void Tensor::set_grad(const Tensor& g) {
  check_defined("set_grad");
  impl_->grad = g.impl_ptr();
}

void Tensor::zero_grad() {
  check_defined("zero_grad");
  impl_->grad.reset();
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  check_defined("grad_fn");
  return impl_->grad_fn;
}

Tensor Tensor::detach() const { return view(shape()); }

void Tensor::backward(const Tensor& grad_output) const { genlab::backward(*this, grad_output); }

std::string Tensor::to_string(int max_elements) const {
  if (!defined()) return "Tensor(undefined)";
  std::string s = "Tensor(shape=" + shape_str(shape()) + ", device=" + device_str(device()) + ", [";
  const std::vector<float> v = to_vector();
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()) && i < max_elements; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.6g", i ? ", " : "", v[i]);
    s += buf;
  }
  if (static_cast<int64_t>(v.size()) > max_elements) s += ", ...";
  return s + "])";
}

}  // namespace genlab
