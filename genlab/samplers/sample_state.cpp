#include "genlab/samplers/sample_state.h"

#include <algorithm>
#include <stdexcept>

#include "genlab/core/ops.h"

namespace genlab {

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names{"float32", "float64"};
  return names;
}

Precision parse_precision(const std::string& name) {
  if (name == "float32") return Precision::float32;
  if (name == "float64") return Precision::float64;
  throw std::invalid_argument("unknown precision '" + name + "' (allowed: float32, float64)");
}

State::State(const Tensor& x, Precision precision)
    : defined_(true), precision_(precision), shape_(x.shape()) {
  if (precision == Precision::float32) {
    x_ = x;
    return;
  }
  const auto v = x.to_vector();
  wide_.assign(v.begin(), v.end());
}

State State::from_doubles(std::vector<double> values, const Shape& shape, Precision precision) {
  if (precision == Precision::float32)
    return State(Tensor::from_vector(std::vector<float>(values.begin(), values.end()), shape),
                 precision);
  State s;
  s.defined_ = true;
  s.precision_ = precision;
  s.shape_ = shape;
  s.wide_ = std::move(values);
  if (static_cast<int64_t>(s.wide_.size()) != s.numel())
    throw std::invalid_argument("State::from_doubles: " + std::to_string(s.wide_.size()) +
                                " values for shape " + shape_str(shape));
  return s;
}

int64_t State::numel() const {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

Tensor State::tensor() const {
  if (precision_ == Precision::float32) return x_;
  return Tensor::from_vector(std::vector<float>(wide_.begin(), wide_.end()), shape_);
}

std::vector<double> State::doubles() const {
  if (precision_ == Precision::float64) return wide_;
  const auto v = x_.to_vector();
  return std::vector<double>(v.begin(), v.end());
}

void State::check_same(const State& o, const char* op) const {
  if (o.precision_ != precision_)
    throw std::logic_error(std::string("State ") + op + ": float32 and float64 states mixed");
  if (o.shape_ != shape_)
    throw std::invalid_argument(std::string("State ") + op + ": shapes " + shape_str(shape_) +
                                " and " + shape_str(o.shape_));
}

State State::operator+(const State& o) const {
  check_same(o, "+");
  State r = *this;
  if (precision_ == Precision::float32) {
    r.x_ = x_ + o.x_;
    return r;
  }
  for (size_t i = 0; i < r.wide_.size(); ++i) r.wide_[i] += o.wide_[i];
  return r;
}

State State::operator-(const State& o) const {
  check_same(o, "-");
  State r = *this;
  if (precision_ == Precision::float32) {
    r.x_ = x_ - o.x_;
    return r;
  }
  for (size_t i = 0; i < r.wide_.size(); ++i) r.wide_[i] -= o.wide_[i];
  return r;
}

State State::scale_rows(const std::vector<double>& c) const {
  const int64_t n = rows(), per_row = n > 0 ? numel() / n : 0;
  if (static_cast<int64_t>(c.size()) != n)
    throw std::invalid_argument("State::scale_rows: " + std::to_string(c.size()) + " coefficients for " +
                                std::to_string(n) + " rows");
  State r = *this;
  if (precision_ == Precision::float32) {
    const std::vector<float> cf(c.begin(), c.end());
    r.x_ = x_ * Tensor::from_vector(cf, {n, 1}).to(x_.device());
    return r;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < per_row; ++j) r.wide_[i * per_row + j] *= c[i];
  return r;
}

State State::select_rows(const std::vector<char>& take, const State& a, const State& b) {
  a.check_same(b, "select_rows");
  const int64_t n = a.rows(), per_row = n > 0 ? a.numel() / n : 0;
  if (static_cast<int64_t>(take.size()) != n) throw std::invalid_argument("State::select_rows: mask size");
  if (a.precision_ == Precision::float64) {
    State r = b;
    for (int64_t i = 0; i < n; ++i)
      if (take[i]) std::copy_n(a.wide_.begin() + i * per_row, per_row, r.wide_.begin() + i * per_row);
    return r;
  }
  auto va = a.x_.to_vector(), vb = b.x_.to_vector();
  for (int64_t i = 0; i < n; ++i)
    if (take[i]) std::copy_n(va.begin() + i * per_row, per_row, vb.begin() + i * per_row);
  State r = b;
  r.x_ = Tensor::from_vector(vb, a.shape_).to(a.x_.device());
  return r;
}

State State::operator*(double c) const {
  State r = *this;
  if (precision_ == Precision::float32) {
    r.x_ = x_ * static_cast<float>(c);
    return r;
  }
  for (double& v : r.wide_) v *= c;
  return r;
}

}  // namespace genlab
