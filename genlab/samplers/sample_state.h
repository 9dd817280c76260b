// The state x a sampler steps: float32 (a Tensor, the precision the network computes in)
// or float64 (the state and every update in double, as EDM's own sampler does; the
// network still sees x rounded to float32 and answers in float32). Samplers are written
// once against this type: x + y, x - y and x * c with c a double step coefficient. In
// float32 the coefficient is rounded to float first, so a float32 State computes exactly
// the Tensor expression it replaces.
//
//   State x(noise * 80.0f, Precision::float64);
//   x = x + ode.denoise(x, 80.0) * 0.5;   // D in float32, the update in double
//   Tensor out = x.tensor();               // rounded to float32
#pragma once

#include <string>
#include <vector>

#include "genlab/core/tensor.h"

namespace genlab {

enum class Precision { float32, float64 };
const std::vector<std::string>& precision_names();  // {"float32", "float64"}, by enum order
Precision parse_precision(const std::string& name);  // throws std::invalid_argument

class State {
 public:
  State() = default;
  // x's values (a float32 tensor) in the given precision.
  State(const Tensor& x, Precision precision);
  static State from_doubles(std::vector<double> values, const Shape& shape, Precision precision);

  bool defined() const { return defined_; }
  Precision precision() const { return precision_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const;
  // The values as float32 (rounded from double in float64) and as double.
  Tensor tensor() const;
  std::vector<double> doubles() const;
  // A float32 tensor (noise, a denoiser's answer) in this state's precision.
  State like(const Tensor& t) const { return State(t, precision_); }

  State operator+(const State& o) const;
  State operator-(const State& o) const;
  State operator*(double c) const;
  // Row r times c[r]: the step coefficients of samplers whose rows each keep their own
  // time (adaptive solvers with a step size per sample).
  State scale_rows(const std::vector<double>& c) const;
  // Row r of `a` where take[r], else of `b` (same shape and precision).
  static State select_rows(const std::vector<char>& take, const State& a, const State& b);
  int64_t rows() const { return shape_.empty() ? 0 : shape_[0]; }

 private:
  void check_same(const State& o, const char* op) const;
  bool defined_ = false;
  Precision precision_ = Precision::float32;
  Shape shape_;
  Tensor x_;                  // float32
  std::vector<double> wide_;  // float64, row-major
};

inline State operator*(double c, const State& x) {
  return x * c;
}

}  // namespace genlab
