#include "genlab/samplers/dormand_prince.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace genlab {
namespace {

// Dormand & Prince (1980) coefficients: 5th-order solution b, embedded 4th-order b_hat.
constexpr double c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9;
constexpr double a21 = 1.0 / 5;
constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                 a54 = -212.0 / 729;
constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                 a65 = -5103.0 / 18656;
constexpr double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784,
                 b6 = 11.0 / 84;
// e = b - b_hat (the 7th stage is f at the new point: first same as last).
constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                 e6 = 22.0 / 525, e7 = -1.0 / 40;

}  // namespace

// One ODE is a batch of one row: the same steps, arithmetic and error norm.
std::vector<double> dormand_prince(const OdeRhs& f, double t0, double t1, std::vector<double> y,
                                   const OdeSolveOptions& o, OdeSolveStats* stats) {
  if (y.empty()) return y;
  const RowsRhs one_row = [&](const std::vector<double>& t, const std::vector<double>& yy, std::vector<double>& dy,
                              const std::vector<char>&) { f(t[0], yy, dy); };
  RowsSolveStats st;
  y = dormand_prince_rows(one_row, t0, t1, std::move(y), 1, o, &st);
  if (stats) *stats = {.accepted = st.accepted[0], .rejected = st.rejected[0], .evaluations = st.calls};
  return y;
}

std::vector<double> dormand_prince_rows(const RowsRhs& f, double t0, double t1, std::vector<double> y,
                                        int64_t rows, const OdeSolveOptions& o, RowsSolveStats* stats) {
  if (!(o.rtol > 0) || !(o.atol >= 0))
    throw std::invalid_argument("dormand_prince: need rtol > 0, atol >= 0");
  const size_t n = static_cast<size_t>(rows), total = y.size();
  if (n == 0 || total % n) throw std::invalid_argument("dormand_prince_rows: y is not rows x dims");
  const size_t d = total / n;
  const double dir = t1 >= t0 ? 1.0 : -1.0, span = std::abs(t1 - t0);
  RowsSolveStats st;
  st.evaluations.assign(n, 0), st.accepted.assign(n, 0), st.rejected.assign(n, 0);
  if (span == 0) {
    if (stats) *stats = st;
    return y;
  }
  std::vector<double> t(n, t0), h(n, o.first_step), ts(n);
  std::vector<char> active(n, 1);
  auto eval = [&](const std::vector<double>& at, const std::vector<double>& yy, std::vector<double>& dy) {
    dy.assign(total, 0.0);
    f(at, yy, dy, active);
    ++st.calls;
    for (size_t r = 0; r < n; ++r) st.evaluations[r] += active[r];
  };
  // The scaled RMS of v over row r's components: sum of (v_i / (atol + rtol max(|a_i|, |b_i|)))^2.
  auto row_rms = [&](const std::vector<double>& v, const std::vector<double>& a,
                     const std::vector<double>& b, size_t r) {
    double acc = 0;
    for (size_t i = r * d; i < (r + 1) * d; ++i) {
      const double sc = o.atol + o.rtol * std::max(std::abs(a[i]), std::abs(b[i]));
      acc += (v[i] / sc) * (v[i] / sc);
    }
    return std::sqrt(acc / static_cast<double>(std::max<size_t>(d, 1)));
  };
  std::vector<double> k1, k2, k3, k4, k5, k6, k7, tmp(total), y_new(total), err(total);
  eval(t, y, k1);
  if (o.first_step <= 0) {  // Hairer, Norsett & Wanner, section II.4, per row
    std::vector<double> h0(n);
    for (size_t r = 0; r < n; ++r) {
      const double d0 = row_rms(y, y, y, r), d1 = row_rms(k1, y, y, r);
      h0[r] = std::min((d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1, span);
      for (size_t i = r * d; i < (r + 1) * d; ++i) tmp[i] = y[i] + dir * h0[r] * k1[i];
      ts[r] = t0 + dir * h0[r];
    }
    eval(ts, tmp, k2);
    for (size_t i = 0; i < total; ++i) err[i] = (k2[i] - k1[i]) / h0[i / d];
    for (size_t r = 0; r < n; ++r) {
      const double d1 = row_rms(k1, y, y, r), d2 = row_rms(err, y, y, r);
      const double h1 = std::max(d1, d2) <= 1e-15 ? std::max(1e-6, h0[r] * 1e-3)
                                                  : std::pow(0.01 / std::max(d1, d2), 0.2);
      h[r] = std::min(100 * h0[r], h1);
    }
  }
  std::vector<double> hs(n);
  auto stage = [&](double c) {  // each row's time at stage c of its own step
    for (size_t r = 0; r < n; ++r) ts[r] = active[r] ? t[r] + c * hs[r] : t[r];
  };
  while (true) {
    bool any = false;
    for (size_t r = 0; r < n; ++r) {
      active[r] = dir * (t1 - t[r]) > 0;
      any = any || active[r];
      if (!active[r]) {
        hs[r] = 0;
        continue;
      }
      if (st.accepted[r] + st.rejected[r] >= o.max_steps)
        throw std::runtime_error("dormand_prince: more than " + std::to_string(o.max_steps) +
                                 " steps for row " + std::to_string(r));
      h[r] = std::min(h[r], std::abs(t1 - t[r]));
      hs[r] = dir * h[r];
    }
    if (!any) break;
    auto combine = [&](std::initializer_list<std::pair<const std::vector<double>*, double>> terms) {
      for (size_t i = 0; i < total; ++i) {
        double acc = 0;
        for (const auto& [k, a] : terms) acc += a * (*k)[i];
        tmp[i] = y[i] + hs[i / d] * acc;
      }
    };
    combine({{&k1, a21}});
    stage(c2);
    eval(ts, tmp, k2);
    combine({{&k1, a31}, {&k2, a32}});
    stage(c3);
    eval(ts, tmp, k3);
    combine({{&k1, a41}, {&k2, a42}, {&k3, a43}});
    stage(c4);
    eval(ts, tmp, k4);
    combine({{&k1, a51}, {&k2, a52}, {&k3, a53}, {&k4, a54}});
    stage(c5);
    eval(ts, tmp, k5);
    combine({{&k1, a61}, {&k2, a62}, {&k3, a63}, {&k4, a64}, {&k5, a65}});
    std::vector<double> t_new(n);
    for (size_t r = 0; r < n; ++r)
      t_new[r] = !active[r] ? t[r] : h[r] >= std::abs(t1 - t[r]) ? t1 : t[r] + hs[r];
    eval(t_new, tmp, k6);
    for (size_t i = 0; i < total; ++i)
      y_new[i] = y[i] + hs[i / d] * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i]);
    eval(t_new, y_new, k7);
    for (size_t i = 0; i < total; ++i)
      err[i] = hs[i / d] * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i]);
    for (size_t r = 0; r < n; ++r) {
      if (!active[r]) continue;
      const double e = row_rms(err, y, y_new, r);
      if (!std::isfinite(e))
        throw std::runtime_error("dormand_prince: non-finite error estimate in row " + std::to_string(r));
      const double factor = e == 0 ? 10.0 : std::clamp(0.9 * std::pow(e, -0.2), 0.2, 10.0);
      if (e <= 1.0) {
        t[r] = t_new[r];
        std::copy_n(y_new.begin() + r * d, d, y.begin() + r * d);
        std::copy_n(k7.begin() + r * d, d, k1.begin() + r * d);
        ++st.accepted[r];
        h[r] *= factor;
      } else {
        ++st.rejected[r];
        h[r] *= std::min(1.0, factor);
      }
    }
  }
  if (stats) *stats = st;
  return y;
}

}  // namespace genlab
