// Adaptive Dormand-Prince 5(4) in double precision on the host: the accuracy reference
// for the samplers (rk45) and the integrator of the likelihood ODE. The state is a flat
// vector; the caller converts to tensors inside the right-hand side.
//
//   OdeSolveStats stats;
//   auto y1 = dormand_prince(f, t0, t1, y0, {.rtol = 1e-8, .atol = 1e-8}, &stats);
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace genlab {

// dy = f(t, y); dy has y's size on entry.
using OdeRhs = std::function<void(double t, const std::vector<double>& y, std::vector<double>& dy)>;

struct OdeSolveOptions {
  double rtol = 1e-5, atol = 1e-5;
  double first_step = 0.0;  // 0: Hairer's initial-step heuristic (one extra evaluation)
  int64_t max_steps = 1000000;
};

struct OdeSolveStats {
  int64_t accepted = 0, rejected = 0, evaluations = 0;
};

// Integrates from t0 to t1 (either direction). The local error of each step, measured as
// the RMS over components of err_i / (atol + rtol max(|y_i|, |y_new_i|)), is kept <= 1.
std::vector<double> dormand_prince(const OdeRhs& f, double t0, double t1, std::vector<double> y,
                                   const OdeSolveOptions& o = {}, OdeSolveStats* stats = nullptr);

// A batch of independent ODEs, one per row of y ([rows, dims] row-major), all from t0 to
// t1, each row with its own steps: its error norm (the RMS above over its own components),
// step sizes and result do not depend on the other rows, as a sample's path must not
// depend on its neighbours. f gets each row at its own time t[r]; rows that are done ride
// along in the call (active[r] false) and their derivative is ignored.
using RowsRhs = std::function<void(const std::vector<double>& t, const std::vector<double>& y,
                                   std::vector<double>& dy, const std::vector<char>& active)>;
struct RowsSolveStats {
  int64_t calls = 0;                    // evaluations of f (each of every row)
  std::vector<int64_t> evaluations;     // per row: the calls it was active in
  std::vector<int64_t> accepted, rejected;
};
std::vector<double> dormand_prince_rows(const RowsRhs& f, double t0, double t1, std::vector<double> y,
                                        int64_t rows, const OdeSolveOptions& o = {},
                                        RowsSolveStats* stats = nullptr);

}  // namespace genlab
