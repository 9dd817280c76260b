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

namespace {

// The batch of rows in flight: each row's time, step and state, and the stage buffers.
// One object per call; its steps are the functions below.
class RowsIntegrator {
 public:
  RowsIntegrator(const RowsRhs& f, double t0, double t1, std::vector<double> y, size_t n,
                 const OdeSolveOptions& o)
      : f_(f), o_(o), t0_(t0), t1_(t1), y_(std::move(y)), n_(n), total_(y_.size()), d_(total_ / n),
        dir_(t1 >= t0 ? 1.0 : -1.0), span_(std::abs(t1 - t0)), t_(n, t0), h_(n, o.first_step), ts_(n),
        hs_(n), active_(n, 1), tmp_(total_), y_new_(total_), err_(total_) {
    st_.evaluations.assign(n, 0), st_.accepted.assign(n, 0), st_.rejected.assign(n, 0);
  }

  std::vector<double> run(RowsSolveStats* stats) {
    if (span_ > 0) {
      eval(t_, y_, k1_);
      if (o_.first_step <= 0) initial_steps();
      while (next_steps()) step();
    }
    if (stats) *stats = st_;
    return std::move(y_);
  }

 private:
  void eval(const std::vector<double>& at, const std::vector<double>& yy, std::vector<double>& dy) {
    dy.assign(total_, 0.0);
    f_(at, yy, dy, active_);
    ++st_.calls;
    for (size_t r = 0; r < n_; ++r) st_.evaluations[r] += active_[r];
  }
  // The scaled RMS of v over row r's components: sum of (v_i / (atol + rtol max(|a_i|, |b_i|)))^2.
  double row_rms(const std::vector<double>& v, const std::vector<double>& a, const std::vector<double>& b,
                 size_t r) const {
    double acc = 0;
    for (size_t i = r * d_; i < (r + 1) * d_; ++i) {
      const double sc = o_.atol + o_.rtol * std::max(std::abs(a[i]), std::abs(b[i]));
      acc += (v[i] / sc) * (v[i] / sc);
    }
    return std::sqrt(acc / static_cast<double>(std::max<size_t>(d_, 1)));
  }
  // Hairer, Norsett & Wanner, section II.4, per row.
  void initial_steps() {
    std::vector<double> h0(n_);
    for (size_t r = 0; r < n_; ++r) {
      const double d0 = row_rms(y_, y_, y_, r), d1 = row_rms(k1_, y_, y_, r);
      h0[r] = std::min((d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1, span_);
      for (size_t i = r * d_; i < (r + 1) * d_; ++i) tmp_[i] = y_[i] + dir_ * h0[r] * k1_[i];
      ts_[r] = t0_ + dir_ * h0[r];
    }
    eval(ts_, tmp_, k2_);
    for (size_t i = 0; i < total_; ++i) err_[i] = (k2_[i] - k1_[i]) / h0[i / d_];
    for (size_t r = 0; r < n_; ++r) {
      const double d1 = row_rms(k1_, y_, y_, r), d2 = row_rms(err_, y_, y_, r);
      const double h1 = std::max(d1, d2) <= 1e-15 ? std::max(1e-6, h0[r] * 1e-3)
                                                  : std::pow(0.01 / std::max(d1, d2), 0.2);
      h_[r] = std::min(100 * h0[r], h1);
    }
  }
  // Which rows still move, and each one's signed step; false when none does.
  bool next_steps() {
    bool any = false;
    for (size_t r = 0; r < n_; ++r) {
      active_[r] = dir_ * (t1_ - t_[r]) > 0;
      any = any || active_[r];
      if (!active_[r]) {
        hs_[r] = 0;
        continue;
      }
      if (st_.accepted[r] + st_.rejected[r] >= o_.max_steps)
        throw std::runtime_error("dormand_prince: more than " + std::to_string(o_.max_steps) + " steps for row " +
                                 std::to_string(r));
      h_[r] = std::min(h_[r], std::abs(t1_ - t_[r]));
      hs_[r] = dir_ * h_[r];
    }
    return any;
  }
  void stage(double c) {  // each row's time at stage c of its own step
    for (size_t r = 0; r < n_; ++r) ts_[r] = active_[r] ? t_[r] + c * hs_[r] : t_[r];
  }
  void combine(std::initializer_list<std::pair<const std::vector<double>*, double>> terms) {
    for (size_t i = 0; i < total_; ++i) {
      double acc = 0;
      for (const auto& [k, a] : terms) acc += a * (*k)[i];
      tmp_[i] = y_[i] + hs_[i / d_] * acc;
    }
  }
  // One Dormand-Prince step of every active row, then its acceptance.
  void step() {
    combine({{&k1_, a21}});
    stage(c2);
    eval(ts_, tmp_, k2_);
    combine({{&k1_, a31}, {&k2_, a32}});
    stage(c3);
    eval(ts_, tmp_, k3_);
    combine({{&k1_, a41}, {&k2_, a42}, {&k3_, a43}});
    stage(c4);
    eval(ts_, tmp_, k4_);
    combine({{&k1_, a51}, {&k2_, a52}, {&k3_, a53}, {&k4_, a54}});
    stage(c5);
    eval(ts_, tmp_, k5_);
    combine({{&k1_, a61}, {&k2_, a62}, {&k3_, a63}, {&k4_, a64}, {&k5_, a65}});
    std::vector<double> t_new(n_);
    for (size_t r = 0; r < n_; ++r)
      t_new[r] = !active_[r] ? t_[r] : h_[r] >= std::abs(t1_ - t_[r]) ? t1_ : t_[r] + hs_[r];
    eval(t_new, tmp_, k6_);
    for (size_t i = 0; i < total_; ++i)
      y_new_[i] = y_[i] + hs_[i / d_] * (b1 * k1_[i] + b3 * k3_[i] + b4 * k4_[i] + b5 * k5_[i] + b6 * k6_[i]);
    eval(t_new, y_new_, k7_);
    for (size_t i = 0; i < total_; ++i)
      err_[i] = hs_[i / d_] * (e1 * k1_[i] + e3 * k3_[i] + e4 * k4_[i] + e5 * k5_[i] + e6 * k6_[i] + e7 * k7_[i]);
    for (size_t r = 0; r < n_; ++r)
      if (active_[r]) accept_or_reject(r, t_new[r]);
  }
  void accept_or_reject(size_t r, double t_new) {
    const double e = row_rms(err_, y_, y_new_, r);
    if (!std::isfinite(e))
      throw std::runtime_error("dormand_prince: non-finite error estimate in row " + std::to_string(r));
    const double factor = e == 0 ? 10.0 : std::clamp(0.9 * std::pow(e, -0.2), 0.2, 10.0);
    if (e <= 1.0) {
      t_[r] = t_new;
      std::copy_n(y_new_.begin() + r * d_, d_, y_.begin() + r * d_);
      std::copy_n(k7_.begin() + r * d_, d_, k1_.begin() + r * d_);
      ++st_.accepted[r];
      h_[r] *= factor;
    } else {
      ++st_.rejected[r];
      h_[r] *= std::min(1.0, factor);
    }
  }

  const RowsRhs& f_;
  const OdeSolveOptions& o_;
  const double t0_, t1_;
  std::vector<double> y_;
  const size_t n_, total_, d_;
  const double dir_, span_;
  std::vector<double> t_, h_, ts_, hs_;
  std::vector<char> active_;
  std::vector<double> k1_, k2_, k3_, k4_, k5_, k6_, k7_, tmp_, y_new_, err_;
  RowsSolveStats st_;
};

}  // namespace

std::vector<double> dormand_prince_rows(const RowsRhs& f, double t0, double t1, std::vector<double> y,
                                        int64_t rows, const OdeSolveOptions& o, RowsSolveStats* stats) {
  if (!(o.rtol > 0) || !(o.atol >= 0))
    throw std::invalid_argument("dormand_prince: need rtol > 0, atol >= 0");
  const size_t n = static_cast<size_t>(rows);
  if (n == 0 || y.size() % n) throw std::invalid_argument("dormand_prince_rows: y is not rows x dims");
  return RowsIntegrator(f, t0, t1, std::move(y), n, o).run(stats);
}

}  // namespace genlab
