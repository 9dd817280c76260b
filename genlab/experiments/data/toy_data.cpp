#include "genlab/experiments/data/toy_data.h"

#include <cmath>
#include <functional>
#include <stdexcept>

namespace genlab {
namespace {

// Each generator fills (x, y) for sample i from uniforms u[0..3] and normals z[0..1].
using PointFn = std::function<void(const float* u, const float* z, float* out)>;

Tensor generate(int64_t n, Generator& rng, const PointFn& fn) {
  const auto u = rng.uniform({n, 4}).to_vector();
  const auto z = rng.normal({n, 2}).to_vector();
  std::vector<float> out(2 * n);
  for (int64_t i = 0; i < n; ++i) fn(&u[4 * i], &z[2 * i], &out[2 * i]);
  return Tensor::from_vector(out, {n, 2});
}

constexpr float kPi = static_cast<float>(M_PI);

}  // namespace

const std::vector<std::string>& toy_2d_names() {
  static const std::vector<std::string> names{"moons",        "eight_gaussians", "swiss_roll",
                                              "checkerboard", "pinwheel",        "circles",
                                              "two_spirals"};
  return names;
}

Tensor toy_2d(const std::string& name, int64_t n, Generator& rng) {
  if (n < 1) throw std::invalid_argument("toy data: n must be >= 1");
  if (name == "moons")  // two interleaved half circles (sklearn's make_moons), centered
    return generate(n, rng, [](const float* u, const float* z, float* o) {
      const float th = kPi * u[0];
      const bool upper = u[1] < 0.5f;
      const float x = upper ? std::cos(th) : 1.0f - std::cos(th);
      const float y = upper ? std::sin(th) : 0.5f - std::sin(th);
      o[0] = x - 0.5f + 0.05f * z[0], o[1] = y - 0.25f + 0.05f * z[1];
    });
  if (name == "eight_gaussians")  // radius 1, std 0.1
    return generate(n, rng, [](const float* u, const float* z, float* o) {
      const float a = std::floor(u[0] * 8.0f) * kPi / 4.0f;
      o[0] = std::cos(a) + 0.1f * z[0], o[1] = std::sin(a) + 0.1f * z[1];
    });
  if (name == "swiss_roll")  // t in [1.5 pi, 4.5 pi], (t cos t, t sin t) / 7
    return generate(n, rng, [](const float* u, const float* z, float* o) {
      const float t = 1.5f * kPi * (1.0f + 2.0f * u[0]);
      o[0] = (t * std::cos(t) + 0.25f * z[0]) / 7.0f,
      o[1] = (t * std::sin(t) + 0.25f * z[1]) / 7.0f;
    });
  if (name == "checkerboard")  // 8 unit squares of a checkerboard over [-2, 2]^2
    return generate(n, rng, [](const float* u, const float*, float* o) {
      const float x1 = 4.0f * u[0] - 2.0f;
      const float x2 = u[1] - (u[2] < 0.5f ? 0.0f : 2.0f) + std::fmod(std::floor(x1) + 4.0f, 2.0f);
      o[0] = x1, o[1] = x2;
    });
  if (name == "pinwheel")  // 5 arms (FFJORD's: radial std 0.3, tangential 0.1, rate 0.25)
    return generate(n, rng, [](const float* u, const float* z, float* o) {
      const int arm = static_cast<int>(u[0] * 5.0f) % 5;
      const float r = 1.0f + 0.3f * z[0], tang = 0.1f * z[1];
      const float a = 2.0f * kPi * arm / 5.0f + 0.25f * std::exp(r);
      o[0] = 1.5f * (r * std::cos(a) - tang * std::sin(a)),
      o[1] = 1.5f * (r * std::sin(a) + tang * std::cos(a));
    });
  if (name == "circles")  // radii 1 and 0.5, noise 0.05
    return generate(n, rng, [](const float* u, const float* z, float* o) {
      const float r = u[1] < 0.5f ? 1.0f : 0.5f, a = 2.0f * kPi * u[0];
      o[0] = r * std::cos(a) + 0.05f * z[0], o[1] = r * std::sin(a) + 0.05f * z[1];
    });
  if (name == "two_spirals")  // FFJORD's two spirals, scaled by 1/3
    return generate(n, rng, [](const float* u, const float*, float* o) {
      const float t = std::sqrt(u[0]) * 3.0f * kPi;  // 540 degrees
      const float sign = u[1] < 0.5f ? 1.0f : -1.0f;
      o[0] = sign * (-std::cos(t) * t + 0.5f * u[2]) / 3.0f,
      o[1] = sign * (std::sin(t) * t + 0.5f * u[3]) / 3.0f;
    });
  std::string allowed;
  for (const auto& k : toy_2d_names()) allowed += (allowed.empty() ? "" : ", ") + k;
  throw std::invalid_argument("unknown toy data set '" + name + "' (allowed: " + allowed + ")");
}

}  // namespace genlab
